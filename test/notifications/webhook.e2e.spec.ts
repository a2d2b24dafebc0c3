import fc from 'fast-check';
import { type CreatePaymentInput, type PlacetoPayClock } from 'nestjs-placetopay';
import { PlacetoPayNotification } from '../../lib/persistence/placetopay-notification.entity';
import { PlacetoPaySimulator, signNotification } from 'nestjs-placetopay/testing';
import { LOGIN, SECRET_KEY } from '../support/fixtures';
import { captureLogs } from '../support/log-capture';
import {
  postBody,
  startWebhookApp,
  type AdapterName,
  type WebhookApp,
} from '../support/webhook-app';

class TestClock implements PlacetoPayClock {
  time = Date.now();
  now(): Date {
    return new Date(this.time);
  }
}

const DATE = '2026-11-27T10:00:00-05:00';

function order(reference: string): CreatePaymentInput {
  return {
    reference,
    description: 'Coffee',
    amount: { currency: 'COP', total: 32000 },
    returnUrl: 'https://shop.example.com/return',
    ipAddress: '127.0.0.1',
    userAgent: 'jest',
  };
}

function notification(
  requestId: number | string,
  status = 'APPROVED',
  overrides: Record<string, unknown> = {},
  algorithm: 'sha256' | 'sha1' = 'sha256',
) {
  return {
    status: { status, reason: '00', message: 'ok', date: DATE },
    requestId,
    reference: 'REF',
    signature: signNotification({
      requestId,
      status,
      date: DATE,
      secretKey: SECRET_KEY,
      algorithm,
    }),
    ...overrides,
  };
}

describe.each(['express', 'fastify'] as AdapterName[])(
  'the notification webhook on %s',
  (adapter) => {
    let simulator: PlacetoPaySimulator;
    let web: WebhookApp;
    let clock: TestClock;
    let counter = 0;
    const logs = captureLogs();

    beforeAll(async () => {
      simulator = await new PlacetoPaySimulator({
        sites: [{ login: LOGIN, secretKey: SECRET_KEY }],
        tickMs: 0,
      }).start();
    });
    beforeEach(async () => {
      clock = new TestClock();
      web = await startWebhookApp(adapter, simulator.url, {}, { logs, clock });
    });
    afterEach(async () => {
      simulator.faults.clear();
      await web.close();
    });
    afterAll(async () => {
      await simulator.stop();
      // Settling queries sessions (tranKey, nonce) and logs retries: none of it reaches a line.
      expect(logs.text()).not.toContain(SECRET_KEY);
      expect(logs.text()).not.toMatch(/tranKey|nonce/i);
    });

    const post = (body: unknown, contentType?: string) =>
      postBody(`${web.url}/placetopay/notification`, body, contentType);

    async function pendingPayment(): Promise<number> {
      const { requestId } = await web.service.createPayment(order(`WH-${adapter}-${++counter}`));
      return requestId;
    }
    const inbox = () => web.dataSource.getRepository(PlacetoPayNotification).find();
    const statusOf = async (requestId: number) =>
      (await web.service.findByRequestId(requestId))!.status;

    it('records a valid notification, answers 200 at once, then settles it from a session query', async () => {
      const requestId = await pendingPayment();
      simulator.approve(requestId);
      const queries = simulator.calls.getSession;
      const { status, json } = await post(notification(requestId));
      expect(status).toBe(200);
      expect(json).toEqual({ received: true, duplicate: false });
      await web.inbox.idle();
      expect(simulator.calls.getSession).toBe(queries + 1);
      expect(await statusOf(requestId)).toBe('APPROVED');
      const [row] = await inbox();
      expect(row).toMatchObject({
        requestId,
        status: 'APPROVED',
        statusDate: DATE,
        state: 'settled',
        signatureAlgorithm: 'sha256',
      });
      const [event] = (
        await web.repository.history((await web.service.findByRequestId(requestId))!.id)
      ).slice(-1);
      expect(event).toMatchObject({ type: 'payment.approved', source: 'notification' });
    });

    it('never approves from the notification alone, and asks again while the query lags behind it', async () => {
      const requestId = await pendingPayment();
      // Signed APPROVED, but the session is still pending at PlacetoPay.
      expect((await post(notification(requestId))).status).toBe(200);
      await web.inbox.idle();
      expect(await statusOf(requestId)).toBe('PENDING');
      const [row] = await inbox();
      expect(row).toMatchObject({
        state: 'pending',
        lastError: 'the session is PENDING, the notification said APPROVED',
      });

      simulator.approve(requestId);
      clock.time = row.nextAttemptAt.getTime();
      await web.inbox.retryDue();
      expect(await statusOf(requestId)).toBe('APPROVED');
      expect((await inbox())[0].state).toBe('settled');
    });

    it('applies a part paid, but keeps a notification of APPROVED pending until the session is', async () => {
      const { requestId } = await web.service.createPayment({
        ...order(`WH-${adapter}-${++counter}`),
        allowPartial: true,
      });
      simulator.approve(requestId, { amount: 12000 });
      expect((await post(notification(requestId))).status).toBe(200);
      await web.inbox.idle();
      // The part paid is applied (with its event); the row is not settled with it.
      expect(await statusOf(requestId)).toBe('APPROVED_PARTIAL');
      const [row] = await inbox();
      expect(row).toMatchObject({
        state: 'pending',
        lastError: 'the session is APPROVED_PARTIAL, the notification said APPROVED',
      });

      simulator.approve(requestId, { amount: 20000 });
      clock.time = row.nextAttemptAt.getTime();
      await web.inbox.retryDue();
      expect(await statusOf(requestId)).toBe('APPROVED');
      expect((await inbox())[0].state).toBe('settled');
    });

    it('cannot be used to pollute Object.prototype', async () => {
      const bodies = [
        { '__proto__[polluted]': 'x' },
        { 'constructor[prototype]': 'x' },
        JSON.parse('{"__proto__": {"polluted": "x"}}'),
      ];
      for (const body of bodies) {
        expect((await post(body)).status).toBe(400);
        const form = new URLSearchParams(
          Object.entries(body).map(([k, v]): [string, string] => [k, String(v)]),
        ).toString();
        expect((await post(form, 'application/x-www-form-urlencoded')).status).toBe(400);
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(String({})).toBe('[object Object]');
    });

    it('accepts legacy SHA-1, unless allowLegacySha1 is false', async () => {
      const requestId = await pendingPayment();
      expect((await post(notification(requestId, 'APPROVED', {}, 'sha1'))).status).toBe(200);
      await web.close();
      web = await startWebhookApp(
        adapter,
        simulator.url,
        { allowLegacySha1: false },
        { logs, clock },
      );
      const refused = await post(notification(requestId, 'REJECTED', {}, 'sha1'));
      expect(refused).toEqual({
        status: 401,
        json: expect.objectContaining({ error: 'invalid_signature', reason: 'sha1_not_allowed' }),
      });
    });

    it.each([
      [
        'forged',
        (id: number) => ({
          ...notification(id),
          signature: signNotification({
            requestId: id,
            status: 'APPROVED',
            date: DATE,
            secretKey: 'not-the-secret',
          }),
        }),
        'mismatch',
      ],
      [
        'tampered status',
        (id: number) => ({
          ...notification(id, 'REJECTED'),
          status: { status: 'APPROVED', reason: '00', date: DATE },
        }),
        'mismatch',
      ],
      [
        'truncated',
        (id: number) => ({
          ...notification(id),
          signature: notification(id).signature.slice(0, -1),
        }),
        'malformed',
      ],
      [
        'uppercase hex',
        (id: number) => ({
          ...notification(id),
          signature: `sha256:${notification(id).signature.slice(7).toUpperCase()}`,
        }),
        'malformed',
      ],
      [
        'reformatted date',
        (id: number) => ({
          ...notification(id),
          status: { status: 'APPROVED', date: '2026-11-27T15:00:00Z' },
        }),
        'mismatch',
      ],
      [
        'another requestId',
        (id: number) => ({ ...notification(id), requestId: id + 1 }),
        'mismatch',
      ],
    ])('answers 401 to a %s notification and stores nothing', async (_name, build, reason) => {
      const requestId = await pendingPayment();
      const { status, json } = await post(build(requestId));
      expect(status).toBe(401);
      expect(json).toMatchObject({ error: 'invalid_signature', reason });
      expect(await inbox()).toEqual([]);
      expect(logs.text()).toContain(`refused a notification for requestId`);
    });

    it.each([
      ['no signature', { status: { status: 'APPROVED', date: DATE }, requestId: 5 }, ['signature']],
      ['no status', { requestId: 5, signature: 'sha256:x' }, ['status.status', 'status.date']],
      [
        'no requestId',
        { status: { status: 'APPROVED', date: DATE }, signature: 'sha256:x' },
        ['requestId'],
      ],
      ['a bad requestId', { ...notification(5), requestId: 'five' }, ['requestId']],
      [
        'a NUL character in its date',
        { ...notification(5), status: { status: 'APPROVED', date: `${DATE}\u0000` } },
        ['status.date'],
      ],
      ['an empty body', {}, ['requestId', 'status.status', 'status.date', 'signature']],
      ['an array', [1, 2, 3], ['requestId', 'status.status', 'status.date', 'signature']],
    ])('answers 400 to a notification with %s', async (_name, body, fields) => {
      const { status, json } = await post(body);
      expect(status).toBe(400);
      expect(json).toMatchObject({
        error: 'invalid_notification',
        reason: 'missing_fields',
        fields,
      });
      expect(await inbox()).toEqual([]);
    });

    it('takes requestId as a string and ignores extra fields', async () => {
      const requestId = await pendingPayment();
      simulator.approve(requestId);
      const body = {
        ...notification(String(requestId)),
        somethingNew: { nested: [1, 2] },
        extra: 'x',
      };
      expect((await post(body)).status).toBe(200);
      await web.inbox.idle();
      expect(await inbox()).toEqual([expect.objectContaining({ requestId, state: 'settled' })]);
    });

    it('stores a reference with a NUL character as none (PostgreSQL could not store it)', async () => {
      const requestId = await pendingPayment();
      simulator.approve(requestId);
      expect(
        (await post(notification(requestId, 'APPROVED', { reference: 'R\u0000F' }))).status,
      ).toBe(200);
      await web.inbox.idle();
      expect(await inbox()).toEqual([
        expect.objectContaining({ requestId, reference: null, state: 'settled' }),
      ]);
    });

    it('takes a form-encoded notification', async () => {
      const requestId = await pendingPayment();
      simulator.reject(requestId);
      const n = notification(requestId, 'REJECTED');
      const form = new URLSearchParams({
        'status[status]': 'REJECTED',
        'status[reason]': '00',
        'status[date]': DATE,
        requestId: String(requestId),
        reference: 'REF',
        signature: n.signature,
      }).toString();
      const answer = await post(form, 'application/x-www-form-urlencoded');
      expect(answer).toMatchObject({ status: 200, json: { received: true } });
      await web.inbox.idle();
      expect(await statusOf(requestId)).toBe('REJECTED');
    });

    it('refuses a body over 16 KB with 413', async () => {
      const requestId = await pendingPayment();
      const { status } = await post({ ...notification(requestId), padding: 'x'.repeat(17 * 1024) });
      expect(status).toBe(413);
      expect(await inbox()).toEqual([]);
    });

    it('answers 200 to a duplicate and does nothing more', async () => {
      const requestId = await pendingPayment();
      simulator.approve(requestId);
      await post(notification(requestId));
      await web.inbox.idle();
      const queries = simulator.calls.getSession;
      expect(await post(notification(requestId))).toEqual({
        status: 200,
        json: { received: true, duplicate: true },
      });
      await web.inbox.idle();
      expect(await inbox()).toHaveLength(1);
      expect(simulator.calls.getSession).toBe(queries);
    });

    it('settles a replay after the payment is final without querying, and ignores an out-of-order PENDING', async () => {
      const requestId = await pendingPayment();
      simulator.approve(requestId);
      await web.service.syncPayment(requestId);
      const queries = simulator.calls.getSession;
      const replay = {
        ...notification(requestId),
        status: { status: 'APPROVED', reason: '00', date: '2026-11-27T10:05:00-05:00' },
      };
      replay.signature = signNotification({
        requestId,
        status: 'APPROVED',
        date: replay.status.date,
        secretKey: SECRET_KEY,
      });
      expect((await post(replay)).status).toBe(200);
      expect((await post(notification(requestId, 'PENDING'))).status).toBe(200);
      await web.inbox.idle();
      expect(simulator.calls.getSession).toBe(queries);
      expect(await statusOf(requestId)).toBe('APPROVED');
      expect((await inbox()).map((r) => r.state)).toEqual(['settled', 'settled']);
    });

    it('records a valid notification for an unknown requestId, answers 200 and warns', async () => {
      const { status } = await post(notification(987654));
      expect(status).toBe(200);
      await web.inbox.idle();
      expect(await inbox()).toEqual([
        expect.objectContaining({ requestId: 987654, state: 'unknown_payment' }),
      ]);
      expect(logs.text()).toContain('notification for unknown requestId 987654');
    });

    it('keeps the notification pending when the query fails, and settles it on a later retry', async () => {
      const requestId = await pendingPayment();
      simulator.approve(requestId);
      simulator.faults.inject('getSession', { type: 'status', status: 503 });
      expect((await post(notification(requestId))).status).toBe(200);
      await web.inbox.idle();
      let [row] = await inbox();
      expect(row).toMatchObject({ state: 'pending', attempts: 1 });
      expect(row.lastError).toMatch(/503/);
      expect(await statusOf(requestId)).toBe('PENDING');

      await web.inbox.retryDue();
      expect((await inbox())[0].attempts).toBe(1); // not due yet
      simulator.faults.clear();
      clock.time = row.nextAttemptAt.getTime();
      await web.inbox.retryDue();
      [row] = await inbox();
      expect(row).toMatchObject({ state: 'settled', attempts: 2 });
      expect(await statusOf(requestId)).toBe('APPROVED');
    });

    it('never answers 5xx to arbitrary input', async () => {
      await fc.assert(
        fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), async (value) => {
          const { status } = await post(JSON.stringify(value));
          return status < 500;
        }),
        { numRuns: 60 },
      );
      for (const raw of ['{', 'not json', '{"requestId": 1, "status": ', '\u0000']) {
        expect((await post(raw)).status).toBeLessThan(500);
      }
    });
  },
);

describe('the webhook route settings', () => {
  let simulator: PlacetoPaySimulator;
  beforeAll(async () => {
    simulator = await new PlacetoPaySimulator({
      sites: [{ login: LOGIN, secretKey: SECRET_KEY }],
      tickMs: 0,
    }).start();
  });
  afterAll(() => simulator.stop());

  it('serves a configured path, takes the host decorators, and can be turned off', async () => {
    const seen: string[] = [];
    const mark: MethodDecorator = (_target, key) => {
      seen.push(String(key));
    };
    const custom = await startWebhookApp('express', simulator.url, {
      webhook: { path: '/hooks/ptp/', decorators: [mark] },
    });
    try {
      expect(seen).toEqual(['receive', 'receive']);
      const moved = await fetch(`${custom.url}/hooks/ptp`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{}',
      });
      expect(moved.status).toBe(400);
      const old = await fetch(`${custom.url}/placetopay/notification`, {
        method: 'POST',
        body: '{}',
      });
      expect(old.status).toBe(404);
    } finally {
      await custom.close();
    }
    const off = await startWebhookApp('express', simulator.url, { webhook: { enabled: false } });
    try {
      expect(
        (await fetch(`${off.url}/placetopay/notification`, { method: 'POST', body: '{}' })).status,
      ).toBe(404);
    } finally {
      await off.close();
    }
  });
});
