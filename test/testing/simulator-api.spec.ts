import { PlacetoPayAuthenticationError, PlacetoPayRequestRejectedError } from 'nestjs-placetopay';
import { createAuth } from '../../lib/gateway/authentication';
import { type RedirectInformation } from 'nestjs-placetopay/wire';
import { PlacetoPaySimulator } from 'nestjs-placetopay/testing';
import { LOGIN, SECRET_KEY, sessionRequest } from '../support/fixtures';
import { captureLogs } from '../support/log-capture';
import { startHarness, type Harness } from '../support/simulator-harness';

async function post(url: string, body: unknown, contentType = 'application/json') {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': contentType },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    json: (await response.json()) as {
      status: { status: string; reason: unknown; message: string };
    },
  };
}

function auth(secretKey = SECRET_KEY, login = LOGIN) {
  return createAuth({ login, secretKey });
}

describe('PlacetoPaySimulator API (docs/protocol.md §4)', () => {
  let h: Harness;
  const logs = captureLogs();

  beforeEach(async () => {
    h = await startHarness({}, {}, logs);
  });
  afterEach(() => h.close());

  it('listens on a random loopback port', () => {
    expect(h.simulator.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('creates a session with an integer requestId and a processUrl, and echoes the request on query', async () => {
    const created = await h.client.createSession(
      sessionRequest({ locale: 'es_CO', fields: [{ keyword: 'order', value: 1001 }] }),
    );
    expect(created.status).toMatchObject({ status: 'OK', reason: 'PC' });
    expect(Number.isInteger(created.requestId)).toBe(true);
    expect(created.processUrl).toBe(
      `${h.simulator.url}/session/${created.requestId}/${created.processUrl.split('/').pop()}`,
    );
    expect(created.processUrl.split('/').pop()).toMatch(/^[0-9a-f]{32}$/);

    const info = await h.client.getSession(created.requestId);
    expect(info.status).toMatchObject({ status: 'PENDING', reason: 'PT' });
    expect(info.status.date).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}-05:00$/);
    expect(info.payment).toEqual([]);
    expect(info.subscription).toBeNull();
    expect(info.request).toMatchObject({
      locale: 'es_CO',
      payment: {
        reference: 'ORDER-1001',
        amount: { currency: 'COP', total: 125000 },
        allowPartial: false,
        subscribe: false,
      },
      returnUrl: 'https://shop.example.com/return?order=1001',
    });
    expect((info.request as { fields: unknown[] }).fields).toEqual([
      { keyword: 'order', value: 1001 },
      { keyword: '_processUrl_', value: created.processUrl, displayOn: 'none' },
    ]);
    expect(info.request).not.toHaveProperty('auth');
  });

  it('returns payment[] transactions shaped like the docs after a payment', async () => {
    const { requestId } = await h.client.createSession(sessionRequest());
    h.simulator.approve(requestId);
    const info = await h.client.getSession(requestId);
    expect(info.status).toMatchObject({ status: 'APPROVED', reason: '00' });
    const [tx] = info.payment;
    expect(tx).toMatchObject({
      status: { status: 'APPROVED', reason: '00' },
      reference: 'ORDER-1001',
      paymentMethod: 'visa',
      franchise: 'CR_VS',
      refunded: false,
      amount: {
        from: { currency: 'COP', total: 125000 },
        to: { currency: 'COP', total: 125000 },
        factor: 1,
      },
    });
    expect(tx.internalReference).toBeGreaterThan(0);
    expect(tx.authorization).toMatch(/^\d{6}$/);
    expect(tx.receipt).toMatch(/^\d+$/);
    expect(tx.processorFields).toContainEqual({
      keyword: 'lastDigits',
      value: '0081',
      displayOn: 'none',
    });
  });

  it('cancels a pending session (REJECTED, reason MC) and refuses to cancel it twice', async () => {
    const { requestId } = await h.client.createSession(sessionRequest());
    const cancelled = await h.client.cancelSession(requestId);
    expect(cancelled.status.status).toBe('OK');
    expect(cancelled.session?.status).toMatchObject({ status: 'REJECTED', reason: 'MC' });
    await expect(h.client.cancelSession(requestId)).rejects.toMatchObject({
      reason: 'action_not_allowed',
      httpStatus: 400,
    });
    await expect(h.client.cancelSession(999)).rejects.toMatchObject({
      reason: 'request_not_valid',
      httpStatus: 404,
    });
  });

  it('refuses to show a session to another site', async () => {
    const other = await new PlacetoPaySimulator({
      sites: [
        { login: LOGIN, secretKey: SECRET_KEY },
        { login: 'other', secretKey: 'other-secret' },
      ],
      tickMs: 0,
    }).start();
    try {
      const created = await post(`${other.url}/api/session`, { auth: auth(), ...sessionRequest() });
      const { status, json } = await post(
        `${other.url}/api/session/${(created.json as unknown as { requestId: number }).requestId}`,
        {
          auth: auth('other-secret', 'other'),
        },
      );
      expect(status).toBe(400);
      expect(json.status).toMatchObject({ status: 'FAILED', reason: 'unauthorized' });
    } finally {
      await other.stop();
    }
  });

  it('refunds (partially, then the rest) through /api/transaction and marks the transaction refunded', async () => {
    const { requestId } = await h.client.createSession(sessionRequest());
    h.simulator.approve(requestId);
    const [tx] = (await h.client.getSession(requestId)).payment;
    const partial = await h.client.transaction({
      internalReference: tx.internalReference!,
      action: 'reverse',
      amount: { currency: 'COP', total: 25000 },
    });
    expect(partial.status.status).toBe('APPROVED');
    expect(partial.payment?.amount?.from.total).toBe(25000);
    expect(partial.payment?.internalReference).not.toBe(tx.internalReference);
    const after = await h.client.getSession(requestId);
    expect(after.status.status).toBe('APPROVED');
    expect(after.payment[0].refunded).toBe(true);
    await h.client.reverse(tx.internalReference!);
    await expect(h.client.reverse(tx.internalReference!)).rejects.toMatchObject({
      gatewayMessage: 'Transaction already refunded',
    });
  });

  it('refuses transaction actions that do not apply', async () => {
    const { requestId } = await h.client.createSession(sessionRequest());
    h.simulator.approve(requestId);
    const [tx] = (await h.client.getSession(requestId)).payment;
    await expect(
      h.client.transaction({ internalReference: tx.internalReference!, action: 'confirm' }),
    ).rejects.toBeInstanceOf(PlacetoPayRequestRejectedError);
    await expect(
      h.client.transaction({
        internalReference: tx.internalReference!,
        action: 'checkout',
        amount: { currency: 'COP', total: 1 },
      }),
    ).rejects.toMatchObject({ reason: 'request_not_valid' });
    await expect(
      h.client.transaction({ internalReference: 424242, action: 'reverse' }),
    ).rejects.toMatchObject({
      reason: 'request_not_valid',
    });
  });

  it('subscribes a card, charges the token with collect (24-hour duplicate guard) and invalidates it', async () => {
    const { requestId } = await h.client.createSession(
      sessionRequest({
        payment: undefined,
        subscription: { reference: 'SUB-1', description: 'Save my card' },
      }),
    );
    h.simulator.approve(requestId);
    const info = await h.client.getSession(requestId);
    expect(info.status.status).toBe('APPROVED');
    expect(info.subscription).toMatchObject({ type: 'token', status: { status: 'OK' } });
    const pairs = Object.fromEntries(
      info.subscription!.instrument.map((p) => [p.keyword, p.value]),
    );
    expect(pairs.token).toMatch(/^[0-9a-f]{64}$/);
    expect(pairs.subtoken).toMatch(/^\d{12}0081$/);
    expect(pairs.lastDigits).toBe('0081');

    const charge = {
      payment: {
        reference: 'CHARGE-1',
        description: 'Monthly',
        amount: { currency: 'USD', total: 9.99 },
      },
      instrument: { token: { token: pairs.token as string } },
      payer: { name: 'Ana', surname: 'Gómez', email: 'ana@example.com' },
      ipAddress: '127.0.0.1',
      userAgent: 'cron',
    };
    const first: RedirectInformation = await h.client.collect(charge);
    expect(first.status.status).toBe('APPROVED');
    expect(first.requestId).not.toBe(requestId);
    const again = await h.client.collect(charge);
    expect(again.requestId).toBe(first.requestId);
    expect(again.payment).toHaveLength(1);
    const other = await h.client.collect({
      ...charge,
      payment: { ...charge.payment, reference: 'CHARGE-2' },
    });
    expect(other.requestId).not.toBe(first.requestId);

    await h.client.invalidateToken({ token: pairs.token as string });
    await expect(
      h.client.collect({ ...charge, payment: { ...charge.payment, reference: 'CHARGE-3' } }),
    ).rejects.toMatchObject({
      reason: 'XN',
      gatewayMessage: 'The token used is invalid',
    });
    await expect(h.client.invalidateToken({ token: pairs.token as string })).rejects.toMatchObject({
      reason: 'XN',
    });
  });

  describe('authentication (docs/protocol.md §3.4)', () => {
    it('accepts SHA-256 and SHA-1 digests', async () => {
      await h.moduleRef.close();
      const legacy = await startHarness({}, { authAlgorithm: 'sha1' }, logs);
      try {
        await expect(legacy.client.createSession(sessionRequest())).resolves.toMatchObject({
          requestId: 1,
        });
      } finally {
        await legacy.close();
      }
    });

    it('answers 100 when the auth block is missing or the body is not JSON', async () => {
      for (const [body, contentType] of [
        [sessionRequest(), 'application/json'],
        [{ auth: { login: LOGIN } }, 'application/json'],
        [{ auth: auth(), ...sessionRequest() }, 'text/plain'],
      ] as const) {
        const { status, json } = await post(`${h.simulator.url}/api/session`, body, contentType);
        expect(status).toBe(401);
        expect(json.status).toMatchObject({
          status: 'FAILED',
          reason: 401,
          message: 'Authentication failed 100',
        });
      }
    });

    it('answers 101 for an unknown login, 102 for a wrong secret, 103 for a skewed seed', async () => {
      const cases: Array<[object, number]> = [
        [{ login: 'nobody' }, 101],
        [{ secretKey: 'wrong' }, 102],
        [{ clockOffsetMs: -6 * 60_000 }, 103],
        [{ clockOffsetMs: 6 * 60_000 }, 103],
      ];
      for (const [options, code] of cases) {
        const bad = await startHarness({}, options, logs);
        try {
          const error = await bad.client.getSession(1).catch((e: unknown) => e);
          expect(error).toBeInstanceOf(PlacetoPayAuthenticationError);
          expect(error).toMatchObject({ authCode: code });
        } finally {
          await bad.close();
        }
      }
      const within = await startHarness({}, { clockOffsetMs: -4 * 60_000 }, logs);
      await expect(within.client.createSession(sessionRequest())).resolves.toBeDefined();
      await within.close();
    });

    it('localizes the message and refuses a reused nonce', async () => {
      const block = auth();
      const first = await post(`${h.simulator.url}/api/session`, {
        auth: block,
        ...sessionRequest(),
      });
      expect(first.status).toBe(200);
      const replay = await post(`${h.simulator.url}/api/session`, {
        auth: block,
        ...sessionRequest(),
        locale: 'es_CO',
      });
      expect(replay.status).toBe(401);
      expect(replay.json.status.message).toBe('Autenticación fallida 102');
    });
  });

  describe('validation (docs/protocol.md §5, §10)', () => {
    it.each([
      [
        'reference too long',
        { payment: { ...sessionRequest().payment!, reference: 'x'.repeat(33) } },
        'payment.reference',
      ],
      [
        'expiration too close',
        { expiration: new Date(Date.now() + 60_000).toISOString() },
        'expiration',
      ],
      ['bad locale', { locale: 'spanish' }, 'locale'],
      ['missing returnUrl', { returnUrl: undefined }, 'returnUrl'],
      [
        'bad currency',
        { payment: { ...sessionRequest().payment!, amount: { currency: 'ABC', total: 1 } } },
        'payment.amount.currency',
      ],
    ])('answers 400 request_not_valid naming the field: %s', async (_name, overrides, field) => {
      const { status, json } = await post(`${h.simulator.url}/api/session`, {
        auth: auth(),
        ...sessionRequest(),
        ...overrides,
      });
      expect(status).toBe(400);
      expect(json.status).toMatchObject({ status: 'FAILED', reason: 'request_not_valid' });
      expect(json.status.message).toContain(field);
      expect(h.simulator.session(1)).toBeUndefined();
    });

    it('keeps the HTTP test controls off unless asked', async () => {
      const { requestId } = await h.client.createSession(sessionRequest());
      const response = await fetch(`${h.simulator.url}/__simulator/session/${requestId}/approve`, {
        method: 'POST',
      });
      expect(response.status).toBe(404);
      expect((await h.client.getSession(requestId)).status.status).toBe('PENDING');
    });

    it('answers 404 NA for an unknown route', async () => {
      const { status, json } = await post(`${h.simulator.url}/api/nothing`, { auth: auth() });
      expect(status).toBe(404);
      expect(json.status).toMatchObject({ status: 'FAILED', reason: 'NA' });
    });
  });

  it('counts calls per endpoint and keeps a request log without secrets', async () => {
    const { requestId } = await h.client.createSession(sessionRequest());
    await h.client.getSession(requestId);
    await h.client.getSession(requestId);
    expect(h.simulator.calls).toMatchObject({ createSession: 1, getSession: 2, collect: 0 });
    expect(h.simulator.requestLog.map((e) => [e.operation, e.path, e.httpStatus])).toEqual([
      ['createSession', '/api/session', 200],
      ['getSession', `/api/session/${requestId}`, 200],
      ['getSession', `/api/session/${requestId}`, 200],
    ]);
    expect(JSON.stringify(h.simulator.requestLog)).not.toContain(SECRET_KEY);
    expect(logs.text()).not.toContain(SECRET_KEY);
  });
});
