import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PaymentStatus, PlacetoPayPaymentEvent } from 'nestjs-placetopay';
import { PlacetoPaySimulator, signNotification } from 'nestjs-placetopay/testing';
import type { DataSourceOptions } from 'typeorm';
import { parseSegment } from '../../lib/notifications/journal-format';
import { NotificationInbox } from '../../lib/notifications/notification-inbox';
import { PlacetoPayNotification } from '../../lib/persistence/placetopay-notification.entity';
import { enginesUnderTest, type TestDatabase } from '../support/databases';
import { LOGIN, SECRET_KEY } from '../support/fixtures';
import { captureLogs } from '../support/log-capture';
import { startPaymentsApp } from '../support/payments-app';
import { TcpProxy } from '../support/tcp-proxy';

// Issue 24's crash test: the database unreachable, 200 notifications accepted (all 200 OK), the
// process killed with SIGKILL, the database back, the process restarted: all 200 recorded and
// settled, none twice. The app runs in a child process, so the kill is real; the database is
// made unreachable by a TCP proxy in front of it, so the shared server stays up.

const ROOT = join(__dirname, '..', '..');
const NOTIFICATIONS = 200;
const servers = enginesUnderTest().filter((engine) => engine.name !== 'sqlite');

/** The notification PlacetoPay sends of a session's current status. */
function notificationOf(simulator: PlacetoPaySimulator, requestId: number): string {
  const { status, date } = simulator.session(requestId)!.status as { status: string; date: string };
  return JSON.stringify({
    status: { status, reason: '00', message: 'decided', date },
    requestId,
    reference: `CRASH-${requestId}`,
    signature: signNotification({ requestId, status, date, secretKey: SECRET_KEY }),
  });
}

/** Starts the webhook app in a child process; resolves with its URL and a way to kill it. */
async function startChild(database: DataSourceOptions, simulatorUrl: string, journalDir: string) {
  const child = spawn(
    process.execPath,
    [
      '-r',
      'ts-node/register',
      '-r',
      'tsconfig-paths/register',
      join(__dirname, 'fixtures', 'journal-child.ts'),
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        TS_NODE_TRANSPILE_ONLY: 'true',
        JOURNAL_CHILD_DATABASE: JSON.stringify(database),
        JOURNAL_CHILD_SIMULATOR: simulatorUrl,
        JOURNAL_CHILD_DIR: journalDir,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code)),
  );
  let url: string | undefined;
  for await (const line of createInterface({ input: child.stdout })) {
    if (line.startsWith('LISTENING ')) {
      url = line.slice('LISTENING '.length);
      break;
    }
  }
  if (!url) throw new Error(`the child did not start: ${stderr}`);
  return {
    url,
    stderr: () => stderr,
    kill: async () => {
      child.kill('SIGKILL');
      return exited;
    },
  };
}

/** Every intact record in the journal's segments. */
function journaled(dir: string): number {
  const folder = join(dir, 'default', 'notification');
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return 0;
  }
  return names.reduce(
    (sum, name) => sum + parseSegment(readFileSync(join(folder, name))).records.length,
    0,
  );
}

describe.each(servers.map((engine) => [engine.name, engine] as const))(
  'a process killed with SIGKILL during a database outage, on %s',
  (_name, engine) => {
    const logs = captureLogs();
    let simulator: PlacetoPaySimulator;
    let database: TestDatabase;
    let proxy: TcpProxy;
    let journalDir: string;

    beforeAll(async () => {
      simulator = await new PlacetoPaySimulator({
        sites: [{ login: LOGIN, secretKey: SECRET_KEY }],
        tickMs: 0,
      }).start();
      database = await engine.create();
      const url = new URL((database.options as { url: string }).url);
      proxy = await new TcpProxy({ host: url.hostname, port: Number(url.port) }).start();
      journalDir = mkdtempSync(join(tmpdir(), 'ptp-journal-crash-'));
    }, 60_000);

    afterAll(async () => {
      await proxy?.stop();
      await simulator?.stop();
      await database?.drop();
      rmSync(journalDir, { recursive: true, force: true });
    });

    it('records and settles, after a restart, every notification it answered 200, each once', async () => {
      // The payments, created through the module (a first process), decided at PlacetoPay: one
      // in four rejected.
      const shop = await startPaymentsApp(engine, { baseUrl: simulator.url }, logs, { database });
      const requestIds: number[] = [];
      try {
        for (let i = 0; i < NOTIFICATIONS; i += 50) {
          const created = await Promise.all(
            Array.from({ length: 50 }, (_, j) =>
              shop.service.createPayment({
                reference: `CRASH-${i + j}`,
                description: 'crash',
                amount: { currency: 'COP', total: 10_000 },
                returnUrl: 'https://shop.example.com/return',
                ipAddress: '127.0.0.1',
                userAgent: 'jest',
              }),
            ),
          );
          requestIds.push(...created.map((payment) => payment.requestId));
        }
      } finally {
        await shop.close();
      }
      requestIds.forEach((requestId, i) =>
        i % 4 === 3 ? simulator.reject(requestId) : simulator.approve(requestId),
      );
      const truth = new Map(
        requestIds.map((id) => [id, (simulator.session(id)!.status as { status: string }).status]),
      );

      // The webhook's process, on the database through the proxy; then the database goes away.
      const proxied = new URL((database.options as { url: string }).url);
      proxied.hostname = '127.0.0.1';
      proxied.port = String(proxy.port);
      const child = await startChild(
        { ...database.options, url: proxied.toString() } as DataSourceOptions,
        simulator.url,
        journalDir,
      );
      proxy.cut();
      const answers = await Promise.all(
        requestIds.map(async (requestId) => {
          const response = await fetch(`${child.url}/placetopay/notification`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: notificationOf(simulator, requestId),
          });
          return {
            status: response.status,
            body: (await response.json()) as { duplicate?: boolean },
          };
        }),
      );
      expect(answers.filter((a) => a.status !== 200)).toEqual([]);
      expect(answers.every((a) => a.body.duplicate === false)).toBe(true);
      // Every one answered is on disk already.
      expect(journaled(journalDir)).toBe(NOTIFICATIONS);
      expect(await child.kill()).toBe('SIGKILL');
      expect(child.stderr()).toBe('');

      // The database back, a new process on the same journal.
      proxy.restore();
      const app = await startPaymentsApp(
        engine,
        { baseUrl: simulator.url, journalDir, eventPollMs: 0 },
        logs,
        { database },
      );
      try {
        expect(logs.text()).toContain(
          `replayed ${NOTIFICATIONS} notification(s) from the journal ${journalDir}/default/notification`,
        );
        const inbox = app.moduleRef.get(NotificationInbox);
        const rows = app.dataSource.getRepository(PlacetoPayNotification);
        // Written and settled in the background: waited for, pass after pass.
        for (let pass = 0; pass < 50; pass++) {
          if (inbox.heldCount === 0 && (await rows.countBy({ state: 'pending' })) === 0) break;
          await inbox.writeHeld();
          await inbox.idle();
        }
        await inbox.idle();
        const stored = await rows.find();
        expect(stored).toHaveLength(NOTIFICATIONS);
        expect(new Set(stored.map((row) => row.requestId))).toEqual(new Set(requestIds));
        expect(stored.filter((row) => row.state !== 'settled')).toEqual([]);
        const payments = await app.payments.find();
        const wrong = payments.filter((p) => p.status !== truth.get(p.requestId!));
        expect(wrong.map((p) => `${p.requestId}: ${p.status}`)).toEqual([]);
        expect(payments.filter((p) => p.status === PaymentStatus.APPROVED)).toHaveLength(150);
        // One final event per payment: nothing applied twice.
        const events = await app.dataSource
          .getRepository(PlacetoPayPaymentEvent)
          .find({ where: [{ type: 'payment.approved' }, { type: 'payment.rejected' }] });
        expect(events).toHaveLength(NOTIFICATIONS);
        expect(new Set(events.map((event) => event.paymentId)).size).toBe(NOTIFICATIONS);
        // The journal is emptied once everything is stored.
        expect(journaled(journalDir)).toBe(0);
      } finally {
        await app.close();
      }
      expect(logs.text()).not.toContain(SECRET_KEY);
    }, 180_000);
  },
);
