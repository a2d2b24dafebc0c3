import { inspect } from 'node:util';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  PlacetoPayAuthenticationError,
  PlacetoPayClient,
  PlacetoPayModule,
  PlacetoPayRequestRejectedError,
  PlacetoPayUnavailableError,
  PlacetoPayValidationError,
  type PlacetoPayModuleOptions,
} from 'nestjs-placetopay';
import { computeTranKey } from '../../lib/gateway/authentication';
import { captureLogs, secretsIn, type LogCapture } from '../support/log-capture';
import {
  LOGIN,
  SECRET_KEY,
  okStatus,
  sessionInformation,
  sessionRequest,
} from '../support/fixtures';
import { ScriptedServer } from '../support/scripted-server';

describe('PlacetoPayClient on the wire', () => {
  let server: ScriptedServer;
  let moduleRef: TestingModule;
  let client: PlacetoPayClient;
  let logs: LogCapture;
  const errors: unknown[] = [];

  async function boot(overrides: PlacetoPayModuleOptions = {}): Promise<void> {
    await moduleRef?.close();
    moduleRef = await Test.createTestingModule({
      imports: [
        PlacetoPayModule.forRoot({
          clientOnly: true,
          login: LOGIN,
          secretKey: SECRET_KEY,
          baseUrl: server.url,
          retryBaseDelayMs: 1,
          retryMaxDelayMs: 5,
          ...overrides,
        }),
      ],
    })
      .setLogger(logs)
      .compile();
    client = moduleRef.get(PlacetoPayClient);
  }

  async function failure(promise: Promise<unknown>): Promise<unknown> {
    try {
      await promise;
    } catch (error) {
      errors.push(error);
      return error;
    }
    throw new Error('expected the call to fail');
  }

  beforeAll(() => {
    logs = captureLogs();
  });

  beforeEach(async () => {
    server = await new ScriptedServer().start();
    await boot();
  });

  afterEach(async () => {
    await moduleRef.close();
    await server.stop();
  });

  afterAll(() => {
    // Nothing secret may reach a log line or an error, whatever the test did.
    const seen = `${logs.text()}\n${errors.map((e) => `${String(e)} ${JSON.stringify(e)} ${(e as Error).stack}`).join('\n')}`;
    expect(logs.lines.length).toBeGreaterThan(0);
    for (const secret of secretsIn(allBodies, SECRET_KEY)) expect(seen).not.toContain(secret);
    expect(seen).not.toContain('tranKey');
  });

  const allBodies: Array<Record<string, unknown> | undefined> = [];
  afterEach(() => allBodies.push(...server.requests.map((r) => r.json)));

  function expectAuthBlock(body: Record<string, unknown> | undefined): void {
    const auth = body?.auth as Record<string, string>;
    expect(Object.keys(auth).sort()).toEqual(['login', 'nonce', 'seed', 'tranKey']);
    expect(auth.login).toBe(LOGIN);
    expect(Math.abs(Date.parse(auth.seed) - Date.now())).toBeLessThan(60_000);
    const raw = Buffer.from(auth.nonce, 'base64');
    expect(raw).toHaveLength(16);
    expect(auth.tranKey).toBe(computeTranKey(raw, auth.seed, SECRET_KEY, 'sha256'));
  }

  describe('operations', () => {
    it('createSession posts JSON with an auth block and parses requestId and processUrl', async () => {
      server.reply({
        json: {
          status: okStatus(),
          requestId: '77',
          processUrl: 'https://checkout.test/session/77/abc',
          extra: 1,
        },
      });
      const response = await client.createSession(sessionRequest());
      expect(response).toMatchObject({
        requestId: 77,
        processUrl: 'https://checkout.test/session/77/abc',
        extra: 1,
      });
      expect(response.status).toMatchObject({ status: 'OK', reason: 'PC' });
      const [request] = server.requests;
      expect(request.method).toBe('POST');
      expect(request.path).toBe('/api/session');
      expect(request.headers['content-type']).toMatch(/^application\/json/);
      expectAuthBlock(request.json);
      expect(request.json).toMatchObject({
        payment: { reference: 'ORDER-1001', amount: { currency: 'COP', total: 125000 } },
      });
    });

    it('getSession parses leniently: numbers as text, reason as number or text, unknown fields kept', async () => {
      server.reply({ json: sessionInformation(77) });
      const info = await client.getSession(77);
      expect(server.requests[0].path).toBe('/api/session/77');
      expectAuthBlock(server.requests[0].json);
      expect(Object.keys(server.requests[0].json!)).toEqual(['auth']);
      expect(info.requestId).toBe(77);
      expect(info.status.status).toBe('APPROVED');
      const [tx] = info.payment;
      expect(tx.internalReference).toBe(1);
      expect(tx.receipt).toBe('1000000031');
      expect(tx.amount).toEqual({
        from: { currency: 'COP', total: 125000 },
        to: { currency: 'COP', total: 125000 },
        factor: 1,
      });
      expect(tx.processorFields).toEqual([
        { keyword: 'lastDigits', value: '1111', displayOn: 'none' },
      ]);
      expect(tx.somethingNew).toEqual({ kept: true });
      expect(info.subscription).toBeNull();
    });

    it('getSession accepts the requestId as decimal text', async () => {
      server.reply({ json: sessionInformation(5) });
      await client.getSession('5');
      expect(server.requests[0].path).toBe('/api/session/5');
    });

    it('cancelSession posts to /cancel and parses the embedded session', async () => {
      server.reply({
        json: {
          status: okStatus('OK', '00'),
          session: { ...sessionInformation(9, 'REJECTED'), payment: null },
        },
      });
      const response = await client.cancelSession(9);
      expect(server.requests[0].path).toBe('/api/session/9/cancel');
      expectAuthBlock(server.requests[0].json);
      expect(response.session?.status.status).toBe('REJECTED');
      expect(response.session?.payment).toEqual([]);
    });

    it('collect posts the token charge and accepts payment as a single object', async () => {
      const info = sessionInformation(12);
      server.reply({ json: { ...info, payment: info.payment[0] } });
      const response = await client.collect({
        payment: {
          reference: 'SUB-1',
          description: 'Monthly plan',
          amount: { currency: 'USD', total: 9.99 },
        },
        instrument: { token: { token: 'a'.repeat(64) } },
        payer: {
          name: 'Ana',
          surname: 'Gómez',
          email: 'ana@example.com',
          documentType: 'CC',
          document: '1040035000',
        },
        ipAddress: '10.0.0.1',
        userAgent: 'cron',
      });
      expect(server.requests[0].path).toBe('/api/collect');
      expectAuthBlock(server.requests[0].json);
      expect(response.payment).toHaveLength(1);
    });

    it.each(['checkout', 'reauthorization', 'reverse', 'confirm', 'cancel'] as const)(
      'transaction %s posts to /api/transaction',
      async (action) => {
        server.reply({
          json: { status: okStatus('APPROVED', '00'), payment: sessionInformation(1).payment[0] },
        });
        const amount =
          action === 'checkout' || action === 'reauthorization'
            ? { currency: 'COP', total: 1000 }
            : undefined;
        const response = await client.transaction({ internalReference: 42, action, amount });
        expect(server.requests[0].path).toBe('/api/transaction');
        expectAuthBlock(server.requests[0].json);
        expect(server.requests[0].json).toMatchObject({ internalReference: 42, action });
        expect(response.payment?.internalReference).toBe(1);
      },
    );

    it('reverse posts the internal reference to the legacy endpoint', async () => {
      server.reply({
        json: { status: okStatus('APPROVED', '00'), payment: sessionInformation(1).payment[0] },
      });
      const response = await client.reverse('42');
      expect(server.requests[0].path).toBe('/api/reverse');
      expect(server.requests[0].json).toMatchObject({ internalReference: 42 });
      expect(response.status.status).toBe('APPROVED');
    });

    it('invalidateToken nests the token under instrument.token', async () => {
      server.reply(
        { json: { status: okStatus('APPROVED', '00') } },
        { json: { status: okStatus('OK', '00') } },
      );
      await client.invalidateToken({ token: 'b'.repeat(64) });
      await client.invalidateToken({ subtoken: '4111111111111111' });
      expect(server.requests.map((r) => [r.path, r.json?.instrument])).toEqual([
        ['/api/instrument/invalidate', { token: { token: 'b'.repeat(64) } }],
        ['/api/instrument/invalidate', { token: { subtoken: '4111111111111111' } }],
      ]);
    });

    it('adds the configured default locale to requests without one', async () => {
      await boot({ locale: 'en_US' });
      server.reply(
        { json: { status: okStatus(), requestId: 1, processUrl: 'https://x.test/1' } },
        { json: { status: okStatus(), requestId: 2, processUrl: 'https://x.test/2' } },
      );
      await client.createSession(sessionRequest());
      await client.createSession(sessionRequest({ locale: 'es_CO' }));
      expect(server.requests.map((r) => r.json?.locale)).toEqual(['en_US', 'es_CO']);
    });

    it('signs with SHA-1 when configured for a legacy site', async () => {
      await boot({ authAlgorithm: 'sha1' });
      server.reply({ json: sessionInformation(3) });
      await client.getSession(3);
      const auth = server.requests[0].json!.auth as Record<string, string>;
      expect(auth.tranKey).toBe(
        computeTranKey(Buffer.from(auth.nonce, 'base64'), auth.seed, SECRET_KEY, 'sha1'),
      );
      expect(auth.tranKey).toHaveLength(28);
    });

    it('moves the seed by the configured clock offset', async () => {
      await boot({ clockOffsetMs: -3_600_000 });
      server.reply({ json: sessionInformation(3) });
      await client.getSession(3);
      const seed = Date.parse((server.requests[0].json!.auth as Record<string, string>).seed);
      expect(Date.now() - seed).toBeGreaterThanOrEqual(3_600_000);
      expect(Date.now() - seed).toBeLessThan(3_660_000);
    });
  });

  describe('errors', () => {
    it.each([
      [100, /malformed/],
      [101, /another environment/],
      [102, /digest does not match/],
      [103, /5 minutes/],
      [104, /inactive/],
      [105, /expired/],
    ])('maps authentication code %s to a typed error with a hint', async (code, hint) => {
      server.reply({
        status: 401,
        json: {
          status: {
            status: 'FAILED',
            reason: 401,
            message: `Authentication failed ${code}`,
            date: '2024-01-01T00:00:00-05:00',
          },
        },
      });
      const error = (await failure(client.getSession(1))) as PlacetoPayAuthenticationError;
      expect(error).toBeInstanceOf(PlacetoPayAuthenticationError);
      expect(error.authCode).toBe(code);
      expect(error.message).toMatch(hint);
      expect(server.requests).toHaveLength(1);
    });

    it('reads the auth code from localized messages', async () => {
      server.reply({
        status: 401,
        json: { status: { status: 'FAILED', reason: 401, message: 'Autenticación fallida 101' } },
      });
      const error = (await failure(
        client.createSession(sessionRequest()),
      )) as PlacetoPayAuthenticationError;
      expect(error.authCode).toBe(101);
      expect(error.operation).toBe('createSession');
    });

    it('turns a FAILED answer into a rejection with reason, message and HTTP status', async () => {
      server.reply({
        status: 400,
        json: {
          status: {
            status: 'FAILED',
            reason: 'request_not_valid',
            message: 'The reference is not valid',
          },
        },
      });
      const error = (await failure(
        client.createSession(sessionRequest()),
      )) as PlacetoPayRequestRejectedError;
      expect(error).toBeInstanceOf(PlacetoPayRequestRejectedError);
      expect(error).toMatchObject({
        reason: 'request_not_valid',
        gatewayMessage: 'The reference is not valid',
        httpStatus: 400,
      });
    });

    it('treats a FAILED status in an HTTP 200 answer as a rejection, not as data', async () => {
      server.reply({
        json: { status: { status: 'FAILED', reason: 0, message: 'No existe la sesión que busca' } },
      });
      const error = (await failure(client.getSession(404))) as PlacetoPayRequestRejectedError;
      expect(error).toMatchObject({ reason: 0, httpStatus: 200 });
      expect(server.requests).toHaveLength(1);
    });

    it.each([
      ['an HTML body', { status: 200, body: '<html>maintenance</html>' }, false],
      ['a body without status', { status: 200, json: { hello: 'world' } }, true],
      [
        'a session without requestId',
        { status: 200, json: { status: okStatus(), processUrl: 'https://x' } },
        true,
      ],
      ['an HTML 404', { status: 404, body: '<h1>Not Found</h1>' }, false],
    ])(
      'reports %s from createSession as unavailable (malformed), attempted once',
      async (_name, reply, mayHaveReached) => {
        server.reply(reply);
        const error = (await failure(
          client.createSession(sessionRequest()),
        )) as PlacetoPayUnavailableError;
        expect(error).toBeInstanceOf(PlacetoPayUnavailableError);
        expect(error.kind).toBe('malformed_response');
        // An HTML page is not PlacetoPay's answer: the request never reached it.
        expect(error.mayHaveReachedGateway).toBe(mayHaveReached);
        expect(server.requests).toHaveLength(1);
      },
    );

    it('says a refused connection never reached PlacetoPay', async () => {
      const url = server.url;
      await server.stop();
      await boot({ baseUrl: url, queryAttempts: 1 });
      const error = (await failure(
        client.createSession(sessionRequest()),
      )) as PlacetoPayUnavailableError;
      expect(error).toMatchObject({ kind: 'network', mayHaveReachedGateway: false });
      server = await new ScriptedServer().start();
    });

    it('throws a validation error and sends nothing for a bad request', async () => {
      const error = (await failure(
        client.createSession(sessionRequest({ returnUrl: 'not-a-url', ipAddress: '999.1.1.1' })),
      )) as PlacetoPayValidationError;
      expect(error).toBeInstanceOf(PlacetoPayValidationError);
      expect(error.problems.map((p) => p.field)).toEqual(['ipAddress', 'returnUrl']);
      expect(server.requests).toHaveLength(0);
    });

    it('refuses a non-numeric requestId without a call', async () => {
      await expect(client.getSession('12; DROP')).rejects.toBeInstanceOf(PlacetoPayValidationError);
      await expect(client.cancelSession(0)).rejects.toBeInstanceOf(PlacetoPayValidationError);
      expect(server.requests).toHaveLength(0);
    });
  });

  describe('resilience', () => {
    it.each([
      ['a 503', { status: 503, body: 'unavailable' }],
      ['a 429', { status: 429, json: {} }],
      ['a reset', { reset: true as const }],
      ['a malformed body', { status: 200, body: '{"status":' }],
    ])('retries getSession after %s with a fresh auth block', async (_name, fault) => {
      server.reply(fault, fault, { json: sessionInformation(8) });
      await boot({ queryAttempts: 3 });
      const info = await client.getSession(8);
      expect(info.requestId).toBe(8);
      expect(server.requests).toHaveLength(3);
      const nonces = server.requests.map((r) => (r.json!.auth as Record<string, string>).nonce);
      const tranKeys = server.requests.map((r) => (r.json!.auth as Record<string, string>).tranKey);
      expect(new Set(nonces).size).toBe(3);
      expect(new Set(tranKeys).size).toBe(3);
      for (const request of server.requests) expectAuthBlock(request.json);
      expect(logs.text()).toMatch(/getSession attempt 1\/3 failed/);
    });

    it('gives up after the configured number of query attempts', async () => {
      await boot({ queryAttempts: 2 });
      server.otherwise({ status: 502, body: 'bad gateway' });
      const error = (await failure(client.getSession(8))) as PlacetoPayUnavailableError;
      expect(error).toMatchObject({ kind: 'server_error', httpStatus: 502, attempts: 2 });
      // One "may have reached" clause, not the last attempt's as well.
      expect(error.message.match(/may have reached PlacetoPay/g)).toHaveLength(1);
      expect(server.requests).toHaveLength(2);
    });

    it('does not retry earlier than a Retry-After it cannot honour', async () => {
      await boot({ queryAttempts: 3, retryMaxDelayMs: 1000 });
      server.reply(
        { status: 429, json: {}, headers: { 'Retry-After': '30' } },
        { json: sessionInformation(8) },
      );
      const error = (await failure(client.getSession(8))) as PlacetoPayUnavailableError;
      expect(error).toMatchObject({ kind: 'rate_limited', attempts: 1, retryAfterMs: 30_000 });
      expect(server.requests).toHaveLength(1);
    });

    it('keeps the secret out of the client and its options when serialised', () => {
      expect(JSON.stringify(client)).not.toContain(SECRET_KEY);
      expect(inspect(client, { depth: 5 })).not.toContain(SECRET_KEY);
    });

    it('does not retry a definite answer (rejection or authentication)', async () => {
      server.reply({
        status: 401,
        json: { status: { status: 'FAILED', reason: 401, message: 'Authentication failed 102' } },
      });
      await failure(client.getSession(8));
      expect(server.requests).toHaveLength(1);
    });

    it.each([
      ['a timeout', { hang: true as const }],
      ['a reset', { reset: true as const }],
      ['a 500', { status: 500, body: 'oops' }],
      [
        'a 503',
        {
          status: 503,
          json: { status: { status: 'FAILED', reason: 'X2', message: 'maintenance' } },
        },
      ],
    ])('attempts createSession exactly once on %s', async (_name, fault) => {
      await boot({ timeoutMs: 300, queryAttempts: 5 });
      server.otherwise(fault);
      const error = (await failure(
        client.createSession(sessionRequest()),
      )) as PlacetoPayUnavailableError;
      expect(error).toBeInstanceOf(PlacetoPayUnavailableError);
      expect(error.mayHaveReachedGateway).toBe(true);
      expect(server.requests).toHaveLength(1);
    });

    it.each(['collect', 'transaction', 'reverse'] as const)(
      'attempts %s exactly once on a 500',
      async (operation) => {
        await boot({ queryAttempts: 5 });
        server.otherwise({ status: 500, body: 'oops' });
        const calls = {
          collect: () =>
            client.collect({
              payment: { reference: 'R', description: 'D', amount: { currency: 'USD', total: 1 } },
              instrument: { token: { subtoken: '4111111111111111' } },
              payer: { name: 'A', surname: 'B', email: 'a@b.co' },
              ipAddress: '::1',
              userAgent: 'ua',
            }),
          transaction: () => client.transaction({ internalReference: 1, action: 'reverse' }),
          reverse: () => client.reverse(1),
        };
        await expect(calls[operation]()).rejects.toBeInstanceOf(PlacetoPayUnavailableError);
        expect(server.requests).toHaveLength(1);
      },
    );

    it('enforces a hard deadline against a server that trickles its body', async () => {
      await boot({ timeoutMs: 400, queryAttempts: 1 });
      server.otherwise({ trickle: { everyMs: 50 } });
      const error = (await failure(client.getSession(1))) as PlacetoPayUnavailableError;
      expect(error).toMatchObject({ kind: 'timeout', mayHaveReachedGateway: true });
    });

    it('times out a server that never answers', async () => {
      await boot({ timeoutMs: 200, queryAttempts: 2 });
      server.otherwise({ hang: true });
      const error = (await failure(client.getSession(1))) as PlacetoPayUnavailableError;
      expect(error).toMatchObject({ kind: 'timeout', attempts: 2 });
      expect(server.requests).toHaveLength(2);
    });
  });
});
