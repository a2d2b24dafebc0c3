import {
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { CreatePaymentInput } from 'nestjs-placetopay';
import { ManualClock, PlacetoPaySimulator, signNotification } from 'nestjs-placetopay/testing';
import { computeRecurringNotificationSignature } from '../../lib/gateway/notification-signature';
import { RecurringNotificationInbox } from '../../lib/notifications/recurring-notification-inbox';
import type { CheckedRecurringNotification } from '../../lib/notifications/recurring-notification.guard';
import { UNVERIFIED_PER_PAYMENT_PER_DAY } from '../../lib/notifications/unsigned-recurring-bound';
import { WebhookRefusals } from '../../lib/notifications/webhook-refusals';
import { PlacetoPayNotification } from '../../lib/persistence/placetopay-notification.entity';
import { PlacetoPayRecurringNotification } from '../../lib/persistence/placetopay-recurring-notification.entity';
import { LOGIN, SECRET_KEY } from '../support/fixtures';
import { captureLogs } from '../support/log-capture';
import {
  postBody,
  startWebhookApp,
  type AdapterName,
  type WebhookApp,
} from '../support/webhook-app';

const NOTIFICATION = 'placetopay/notification';
const RECURRING = 'placetopay/recurring-notification';
const DATE = '2026-12-27T10:00:00-05:00';
const CAP = 16 * 1024;
/** A control character of any kind: none may reach a log line. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
/** A reference that would write a forged, Nest-formatted line into the log. */
const FORGING = 'R\n[Nest] 1 - 12/04/2026 LOG [PlacetoPayWebhook] forged\u001b[31m\r\u2028';

function notification(requestId: number, reference = 'REF', padding?: string) {
  const status = 'APPROVED';
  const signature = signNotification({ requestId, status, date: DATE, secretKey: SECRET_KEY });
  return { status: { status, reason: '00', date: DATE }, requestId, reference, signature, padding };
}

function recurring(internalReference: number, reference: string, signed = true, padding?: string) {
  const signature = signed
    ? computeRecurringNotificationSignature({
        internalReference,
        status: 'APPROVED',
        date: DATE,
        secretKey: SECRET_KEY,
      })
    : `sha256:${'0'.repeat(64)}`;
  return {
    status: { status: 'APPROVED', reason: '00', date: DATE },
    internalReference,
    reference,
    signature,
    padding,
  };
}

/** An order of 32,000 COP; `repeat`: with a monthly recurrence notified to the recurring route. */
function order(reference: string, baseUrl: string, repeat: boolean): CreatePaymentInput {
  const buyer = { ipAddress: '127.0.0.1', userAgent: 'jest' };
  return {
    reference,
    description: 'Coffee subscription',
    amount: { currency: 'COP', total: 32000 },
    returnUrl: `${baseUrl}/return`,
    ...buyer,
    ...(repeat && {
      recurring: {
        periodicity: 'M',
        interval: 1,
        maxPeriods: -1,
        notificationUrl: `${baseUrl}/${RECURRING}`,
      },
    }),
  };
}

interface Trickled {
  /** The answer's status; undefined when the connection ended without one. */
  status?: number;
  /** Bytes the client could write before the connection ended. */
  written: number;
  /** Milliseconds from the answer to the server closing the connection (with `untilClosed`). */
  closedAfterMs?: number;
}

/**
 * POSTs chunks with `Transfer-Encoding: chunked` (no Content-Length), one per turn of the event
 * loop, until they run out or the server answers; resolves once the connection is over (ended by
 * the client after the answer, or with `untilClosed` by the server).
 */
function trickle(
  url: string,
  contentType: string,
  chunks: Iterator<Buffer>,
  untilClosed = false,
): Promise<Trickled> {
  return new Promise((resolve) => {
    const target = new URL(url);
    const result: Trickled = { written: 0 };
    let over = false;
    const done = () => {
      if (over) return;
      over = true;
      resolve(result);
    };
    const request = httpRequest({
      host: target.hostname,
      port: target.port,
      path: target.pathname,
      method: 'POST',
      headers: { 'Content-Type': contentType, 'Transfer-Encoding': 'chunked' },
    });
    let answeredAt = 0;
    request.on('response', (response) => {
      result.status = response.statusCode;
      answeredAt = performance.now();
      response.resume();
      response.on('end', () => {
        if (!untilClosed) request.destroy();
      });
    });
    request.on('close', () => {
      if (answeredAt) result.closedAfterMs = performance.now() - answeredAt;
    });
    request.on('error', done);
    request.on('close', done);
    const pump = () => {
      if (over || result.status !== undefined) return;
      const next = chunks.next();
      if (next.done) {
        request.end();
        return;
      }
      result.written += next.value.length;
      if (request.write(next.value)) setImmediate(pump);
      else request.once('drain', pump);
    };
    pump();
  });
}

/** A body cut into 1 KB chunks. */
function* chunksOf(body: string): Iterator<Buffer> {
  const bytes = Buffer.from(body);
  for (let at = 0; at < bytes.length; at += 1024) yield bytes.subarray(at, at + 1024);
}

/** `{"padding":"xxx…` without end: at most `max` bytes. */
function* endless(max: number): Iterator<Buffer> {
  yield Buffer.from('{"padding":"');
  for (let sent = 0; sent < max; sent += 1024) yield Buffer.alloc(1024, 'x');
}

describe.each(['express', 'fastify'] as AdapterName[])('hostile input on %s', (adapter) => {
  const site = { login: LOGIN, secretKey: SECRET_KEY };
  const simulator = new PlacetoPaySimulator({ sites: [site], tickMs: 0 });
  const logs = captureLogs();
  let web: WebhookApp;
  let clock: ManualClock;
  let counter = 0;

  beforeAll(() => simulator.start());
  beforeEach(async () => {
    clock = new ManualClock();
    web = await startWebhookApp(adapter, simulator.url, {}, { logs, clock });
  });
  afterEach(() => web.close());
  afterAll(async () => {
    await simulator.stop();
    // What went to the gateway (tranKey, nonce) and the secret never reach a line.
    expect(logs.text()).not.toContain(SECRET_KEY);
    expect(logs.text()).not.toMatch(/tranKey|nonce/i);
  });

  const notifications = () => web.dataSource.getRepository(PlacetoPayNotification).find();
  const recurringRows = () => web.dataSource.getRepository(PlacetoPayRecurringNotification).find();
  const linesFrom = (start: number) => logs.lines.slice(start);

  async function approvedPayment(repeat: boolean) {
    const reference = `HI-${adapter}-${++counter}`;
    const { requestId } = await web.service.createPayment(order(reference, web.url, repeat));
    simulator.approve(requestId);
    return web.service.syncPayment(requestId);
  }

  it('answers 413 to a chunked body over 16 KB on both routes, and stores nothing', async () => {
    const padding = 'x'.repeat(CAP + 1024);
    const routes = [
      [NOTIFICATION, notification(91_001, 'REF', padding)],
      [RECURRING, recurring(91_002, 'NOBODY', true, padding)],
    ] as const;
    for (const [path, body] of routes) {
      const answer = await trickle(
        `${web.url}/${path}`,
        'application/json',
        chunksOf(JSON.stringify(body)),
      );
      expect(answer.status).toBe(413);
    }
    // The same bodies within the cap are taken: only the size was refused.
    for (const [path, body] of routes) {
      const fits = { ...body, padding: 'x'.repeat(1024) };
      expect(
        (await trickle(`${web.url}/${path}`, 'application/json', chunksOf(JSON.stringify(fits))))
          .status,
      ).toBe(200);
    }
    await web.inbox.idle();
    expect(await notifications()).toHaveLength(1);
    expect(await recurringRows()).toHaveLength(1);
  });

  it('escapes what a request sent before it reaches a log line: one line, no control character', async () => {
    const start = logs.lines.length;
    expect(
      (await postBody(`${web.url}/${RECURRING}`, recurring(92_001, FORGING, false))).status,
    ).toBe(200);
    expect(
      (await postBody(`${web.url}/${NOTIFICATION}`, notification(92_002, FORGING))).status,
    ).toBe(200);
    await web.inbox.idle();
    const lines = linesFrom(start).filter((line) => line.includes('forged'));
    expect(lines).toHaveLength(2);
    for (const line of lines) {
      expect(line).not.toMatch(CONTROL);
      expect(line).toContain(
        'R\\n[Nest] 1 - 12/04/2026 LOG [PlacetoPayWebhook] forged\\u001b[31m\\r\\u2028',
      );
    }
  });

  it('stores at most the bound of unsigned recurring notifications, logs their refusals with a count, and still takes the genuine ones', async () => {
    const payment = await approvedPayment(true);
    const start = logs.lines.length;
    for (let n = 1; n <= 30; n++) {
      const { status } = await postBody(
        `${web.url}/${RECURRING}`,
        recurring(93_000 + n, payment.reference, false),
      );
      expect(status).toBe(200);
    }
    const inbox = web.app.get(RecurringNotificationInbox);
    const unsigned = (n: number): CheckedRecurringNotification => ({
      internalReferenceText: String(n),
      internalReference: n,
      status: 'APPROVED',
      date: DATE,
      reason: '00',
      message: null,
      reference: `NOBODY-${n}`,
      signature: `sha256:${'0'.repeat(64)}`,
      tries: 1,
      enabled: true,
      algorithm: 'sha256',
      verified: false,
      signatureProblem: 'mismatch',
    });
    for (let n = 1; n <= 1200; n++) await inbox.receive(unsigned(94_000 + n));
    const stored = () => recurringRows().then((rows) => rows.filter((row) => !row.verified));
    expect(await stored()).toHaveLength(UNVERIFIED_PER_PAYMENT_PER_DAY);
    const refusals = () => linesFrom(start).filter((line) => /refused [\d,]+ unsigned/.test(line));
    expect(refusals()).toEqual([
      expect.stringContaining('refused 1 unsigned recurring notification(s) in the last minute'),
    ]);

    // A minute later the next refusal writes the count of the ones between.
    clock.advance(61_000);
    await inbox.receive(unsigned(95_000));
    expect(refusals()).toHaveLength(2);
    expect(refusals()[1]).toContain(
      'refused 1,220 unsigned recurring notification(s) in the last minute, nothing stored (19 over 10 a day for one payment, 1,201 for references of no approved payment; the latest: internalReference 95000 (reference NOBODY-95000, signature mismatch))',
    );
    // At most one "recorded unverified" line per stored row.
    expect(linesFrom(start).length).toBeLessThanOrEqual(UNVERIFIED_PER_PAYMENT_PER_DAY + 2);

    // The bound is per day: a day later one more is stored.
    clock.advance(24 * 60 * 60 * 1000);
    await postBody(`${web.url}/${RECURRING}`, recurring(96_001, payment.reference, false));
    expect(await stored()).toHaveLength(UNVERIFIED_PER_PAYMENT_PER_DAY + 1);

    // Genuine ones are never counted nor refused: a signed charge is stored and applied ...
    const internalReference = simulator.chargeRecurring(payment.requestId!);
    await simulator.notifications.settled();
    expect(simulator.notifications.sent.at(-1)).toMatchObject({ responseStatus: 200 });
    // Settled in the background, as a payment of its own.
    await web.app.get(RecurringNotificationInbox).idle();
    expect(await recurringRows()).toContainEqual(
      expect.objectContaining({
        internalReference,
        verified: true,
        paymentId: payment.id,
        eventState: 'written',
      }),
    );
    // ... and a signed session notification is stored and settled.
    const pending = await web.service.createPayment(
      order(`HI-${adapter}-${++counter}`, web.url, false),
    );
    simulator.approve(pending.requestId);
    expect(
      (await postBody(`${web.url}/${NOTIFICATION}`, notification(pending.requestId))).status,
    ).toBe(200);
    await web.inbox.idle();
    expect((await web.service.findByRequestId(pending.requestId))!.status).toBe('APPROVED');
  });

  it('stops reading a trickled body past 16 KB whatever its type, although the host parses JSON and forms, answers 413 and closes the connection', async () => {
    // Bytes the server took off each socket by the time its answer was over.
    const server = web.app.getHttpServer() as Server;
    const read: number[] = [];
    const onRequest = (request: IncomingMessage, response: ServerResponse) =>
      response.on('close', () => read.push(request.socket.bytesRead));
    server.on('request', onRequest);
    const max = 4 * 1024 * 1024; // past both hosts' own parser limits (Express 100 KB, Fastify 1 MB)
    const cases = [
      [NOTIFICATION, 'application/json'],
      [RECURRING, 'application/x-www-form-urlencoded'],
      [RECURRING, 'text/plain'],
    ] as const;
    try {
      for (const [path, type] of cases) {
        const answer = await trickle(`${web.url}/${path}`, type, endless(max), true);
        expect(answer.status).toBe(413);
        expect(answer.written).toBeLessThan(max);
        // The server closes the connection with the answer: the rest is never read.
        expect(answer.closedAfterMs).toBeLessThan(1000);
      }
    } finally {
      server.off('request', onRequest);
    }
    // Reading stopped near the cap, not at the parser's limit.
    expect(read).toHaveLength(cases.length);
    for (const bytes of read) expect(bytes).toBeLessThan(64 * 1024);
    expect(await notifications()).toEqual([]);
    expect(await recurringRows()).toEqual([]);
    expect(web.app.get(WebhookRefusals).totals.get('too_large')).toBe(cases.length);
  });

  it('logs a flood of refusals in one line a minute, with their count per reason', async () => {
    const start = logs.lines.length;
    const forged = (n: number) => ({
      ...notification(97_000 + n),
      signature: `sha256:${'0'.repeat(64)}`,
    });
    for (let n = 1; n <= 50; n++) {
      expect((await postBody(`${web.url}/${NOTIFICATION}`, forged(n))).status).toBe(401);
    }
    for (let n = 1; n <= 5; n++) {
      expect((await postBody(`${web.url}/${NOTIFICATION}`, { requestId: n })).status).toBe(400);
    }
    const refused = () => linesFrom(start).filter((line) => line.includes('refused'));
    // The first at once, the other 54 counted, not written.
    expect(refused()).toEqual([
      expect.stringContaining('refused a notification for requestId 97001: signature mismatch'),
    ]);
    // The minute ends: one line with the count.
    clock.advance(61_000);
    await web.app.get(WebhookRefusals).onApplicationShutdown();
    expect(refused()).toHaveLength(2);
    expect(refused()[1]).toContain(
      'refused 54 webhook requests in the last minute (49 bad signature, 5 missing fields; the latest: a notification without',
    );
    expect(await notifications()).toEqual([]);
  });
});
