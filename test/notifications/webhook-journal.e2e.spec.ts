import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PaymentStatus, PlacetoPayPaymentEvent } from 'nestjs-placetopay';
import { DataSource } from 'typeorm';
import { PlacetoPaySimulator, signNotification } from 'nestjs-placetopay/testing';
import { PlacetoPayNotification } from '../../lib/persistence/placetopay-notification.entity';
import { WebhookRefusals } from '../../lib/notifications/webhook-refusals';
import { LOGIN, SECRET_KEY } from '../support/fixtures';
import { captureLogs } from '../support/log-capture';
import { postBody, startWebhookApp, type WebhookApp } from '../support/webhook-app';

const TABLE = 'placetopay_notifications';
const RECURRING_TABLE = 'placetopay_recurring_notifications';

/** A notification of the session's current status, signed as PlacetoPay signs it. */
function notificationOf(simulator: PlacetoPaySimulator, requestId: number) {
  const { status, date } = simulator.session(requestId)!.status as { status: string; date: string };
  return {
    status: { status, reason: '00', message: 'ok', date },
    requestId,
    reference: 'REF',
    signature: signNotification({ requestId, status, date, secretKey: SECRET_KEY }),
  };
}

/** Every file under `dir`, with its content. */
function filesUnder(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (path: string) => {
    for (const entry of readdirSync(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.set(full, readFileSync(full, 'utf8'));
    }
  };
  walk(dir);
  return files;
}

describe('the notification journal (webhook, SQLite file)', () => {
  const logs = captureLogs();
  let simulator: PlacetoPaySimulator;
  let root: string;
  let database: string;
  let journalDir: string;
  let web: WebhookApp | undefined;

  const start = (dir = journalDir) =>
    startWebhookApp('express', simulator.url, { journalDir: dir }, { logs, database });
  /** The table renamed away (or back) from outside the app: every INSERT into it fails. */
  const moveTable = async (from: string, to: string) => {
    const outside = await new DataSource({ type: 'better-sqlite3', database }).initialize();
    try {
      await outside.query(`ALTER TABLE "${from}" RENAME TO "${to}"`);
    } finally {
      await outside.destroy();
    }
  };
  const tableAway = () => moveTable(TABLE, `${TABLE}_away`);
  const tableBack = () => moveTable(`${TABLE}_away`, TABLE);

  beforeAll(async () => {
    simulator = await new PlacetoPaySimulator({
      sites: [{ login: LOGIN, secretKey: SECRET_KEY }],
      tickMs: 0,
    }).start();
  });
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'ptp-webhook-journal-'));
    database = join(root, 'shop.sqlite');
    journalDir = join(root, 'journal');
  });
  afterEach(async () => {
    await web?.close();
    web = undefined;
    // A read-only directory is made writable again so that it can be removed.
    chmodSync(root, 0o755);
    rmSync(root, { recursive: true, force: true });
  });
  afterAll(async () => {
    await simulator.stop();
    expect(logs.text()).not.toContain(SECRET_KEY);
  });

  const approvedPayment = async (app: WebhookApp, reference: string) => {
    const created = await app.service.createPayment({
      reference,
      description: 'Coffee',
      amount: { currency: 'COP', total: 32_000 },
      returnUrl: 'https://shop.example.com/return',
      ipAddress: '127.0.0.1',
      userAgent: 'jest',
    });
    simulator.approve(created.requestId);
    return created;
  };

  it('answers 200 only once the notification is on disk, and the next start records and settles it once', async () => {
    web = await start();
    const { requestId, payment } = await approvedPayment(web, 'JOURNAL-1');
    const paymentId = payment.id;
    const body = notificationOf(simulator, requestId);
    await tableAway();
    expect(await postBody(`${web.url}/placetopay/notification`, body)).toEqual({
      status: 200,
      json: { received: true, duplicate: false },
    });
    // On disk when answered: one record, of this site and route, without the secret key.
    const journaled = filesUnder(journalDir);
    expect([...journaled.keys()].map((path) => path.slice(journalDir.length))).toEqual([
      expect.stringMatching(/^\/default\/notification\/\d{12}\.journal$/),
    ]);
    const [text] = journaled.values();
    expect(text).toContain(`"requestId":${requestId}`);
    expect(text).not.toContain(SECRET_KEY);
    // A copy sent meanwhile is a duplicate, not a second record.
    expect(await postBody(`${web.url}/placetopay/notification`, body)).toMatchObject({
      json: { duplicate: true },
    });
    expect(web.inbox.heldCount).toBe(1);
    // The process stops while the database still cannot take it: the journal keeps it.
    await web.close();
    web = undefined;
    expect(logs.text()).toContain(
      `1 verified notification(s) could not be stored before shutdown: ${requestId} (APPROVED); they stay in the journal`,
    );
    await tableBack();
    const kept = filesUnder(journalDir);
    expect([...kept.values()]).toEqual([text]);

    // The next start replays it: recorded, settled, and the journal emptied.
    web = await start();
    await web.inbox.writeHeld();
    await web.inbox.idle();
    expect(logs.text()).toContain('replayed 1 notification(s) from the journal');
    const rows = await web.dataSource.getRepository(PlacetoPayNotification).findBy({ requestId });
    expect(rows).toEqual([expect.objectContaining({ state: 'settled', status: 'APPROVED' })]);
    expect((await web.repository.findById(paymentId))!.status).toBe(PaymentStatus.APPROVED);
    expect(filesUnder(journalDir).size).toBe(0);
    await web.close();

    // A crash after the write but before the segment's deletion leaves it to be replayed again:
    // the copy is a duplicate, nothing is recorded or settled twice.
    for (const [path, content] of kept) {
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, content);
    }
    web = await start();
    await web.inbox.writeHeld();
    await web.inbox.idle();
    expect(await web.dataSource.getRepository(PlacetoPayNotification).countBy({ requestId })).toBe(
      1,
    );
    const approvals = await web.dataSource
      .getRepository(PlacetoPayPaymentEvent)
      .countBy({ paymentId, type: 'payment.approved' });
    expect(approvals).toBe(1);
    expect(filesUnder(journalDir).size).toBe(0);
  });

  it('answers 503 and says why, once a minute, when the journal cannot take it either', async () => {
    // A read-only directory; root writes through permission bits, so there the journal's folder
    // is blocked by a file instead (the same refusal from the file system: ENOTDIR).
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      writeFileSync(journalDir, 'not a directory');
    } else {
      mkdirSync(journalDir);
      chmodSync(journalDir, 0o555);
    }
    web = await start();
    expect(logs.text()).toMatch(
      /the journal \S+ cannot be written \((ENOTDIR|EACCES)[^)]*\): while the database is unreachable, notifications will be refused with 503/,
    );
    const first = await approvedPayment(web, 'JOURNAL-2');
    const second = await approvedPayment(web, 'JOURNAL-3');
    await tableAway();
    const answers = [];
    for (const { requestId } of [first, second]) {
      answers.push(
        await postBody(`${web.url}/placetopay/notification`, notificationOf(simulator, requestId)),
      );
    }
    expect(answers).toEqual([
      { status: 503, json: { error: 'not_stored', reason: 'journal_unwritable' } },
      { status: 503, json: { error: 'not_stored', reason: 'journal_unwritable' } },
    ]);
    expect(web.inbox.heldCount).toBe(0);
    const lines = logs.lines.filter((line) => line.includes('refused a notification'));
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `^warn refused a notification for requestId ${first.requestId} \\(APPROVED\\): the database could not take it \\(.*no such table.*\\) and the journal \\S+ could not take it either \\((ENOTDIR|EACCES)`,
        ),
      ),
    ]);
    // The second one, within the minute, is counted for the next line.
    expect(web.app.get(WebhookRefusals).totals.get('not_stored')).toBe(2);
    await tableBack();

    // The recurring-charge route, likewise (its own table away; a verified charge).
    await moveTable(RECURRING_TABLE, `${RECURRING_TABLE}_away`);
    const date = '2026-11-27T10:00:00-05:00';
    const charge = {
      internalReference: 987_654_321,
      reference: 'JOURNAL-2',
      status: { status: 'APPROVED', reason: '00', message: 'ok', date },
      signature: signNotification({
        requestId: 987_654_321,
        status: 'APPROVED',
        date,
        secretKey: SECRET_KEY,
      }),
    };
    expect(await postBody(`${web.url}/placetopay/recurring-notification`, charge)).toEqual({
      status: 503,
      json: { error: 'not_stored', reason: 'journal_unwritable' },
    });
    expect(web.app.get(WebhookRefusals).totals.get('not_stored')).toBe(3);
    await moveTable(`${RECURRING_TABLE}_away`, RECURRING_TABLE);
  });
});
