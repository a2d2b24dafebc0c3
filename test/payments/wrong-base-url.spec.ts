import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { Test } from '@nestjs/testing';
import {
  PlacetoPayClient,
  PlacetoPayModule,
  PlacetoPayUnavailableError,
  getPlacetoPayClientToken,
  type CreatePaymentInput,
  type PlacetoPayModuleOptions,
} from 'nestjs-placetopay';
import { enginesUnderTest } from '../support/databases';
import { LOGIN, SECRET_KEY } from '../support/fixtures';
import { captureLogs, secretsIn } from '../support/log-capture';
import { startPaymentsApp, type PaymentsApp } from '../support/payments-app';
import { ScriptedServer } from '../support/scripted-server';

let counter = 0;
function input(): CreatePaymentInput {
  return {
    reference: `WRONG-URL-${++counter}`,
    description: 'Two coffee bags',
    amount: { currency: 'COP', total: 125000 },
    returnUrl: 'https://shop.example.com/return',
    ipAddress: '127.0.0.1',
    userAgent: 'jest',
  };
}

/** A TCP server that hangs up on every connection at once: no TLS handshake ever completes. */
async function hangingUpServer(): Promise<{ port: number; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

// Real loopback servers standing where PlacetoPay should be (docs/protocol.md §2, §10).
describe('a create that provably never reached PlacetoPay', () => {
  const [sqlite] = enginesUnderTest();
  const logs = captureLogs();
  let server: ScriptedServer;
  let app: PaymentsApp | undefined;

  beforeAll(async () => {
    server = await new ScriptedServer().start();
  });
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });
  afterAll(async () => {
    await server.stop();
    const text = logs.text();
    for (const secret of secretsIn(
      server.requests.map((r) => r.json),
      SECRET_KEY,
    )) {
      expect(text).not.toContain(secret);
    }
  });

  async function createAgainst(options: PlacetoPayModuleOptions) {
    app = await startPaymentsApp(sqlite, { timeoutMs: 2_000, ...options }, logs);
    const request = input();
    const error = await app.service.createPayment(request).catch((e: unknown) => e);
    const [payment] = await app.service.listByReference(request.reference);
    return { error: error as PlacetoPayUnavailableError, payment, request };
  }

  /** The reference is free again: a second attempt opens a new payment (which fails the same way). */
  async function expectReferenceFree(request: CreatePaymentInput) {
    // Not PlacetoPayDuplicatePaymentError: the failed payment no longer blocks its reference.
    await expect(app!.service.createPayment({ ...request })).rejects.toMatchObject({
      code: expect.not.stringMatching('placetopay_duplicate_payment'),
    });
    const attempts = await app!.service.listByReference(request.reference);
    expect(attempts.map((p) => p.status)).toEqual(['FAILED', 'FAILED']);
  }

  it('ends FAILED at once when the base URL answers 404 with an HTML page', async () => {
    server.reply({
      status: 404,
      body: '<!DOCTYPE html><html><body><h1>Not Found</h1></body></html>',
      headers: { 'Content-Type': 'text/html; charset=utf-8' },
    });
    const { error, payment, request } = await createAgainst({ baseUrl: server.url });
    expect(error).toBeInstanceOf(PlacetoPayUnavailableError);
    expect(error).toMatchObject({
      kind: 'malformed_response',
      httpStatus: 404,
      mayHaveReachedGateway: false,
      hint: 'PLACETOPAY_BASE_URL answers 404 HTML: is the base URL right?',
    });
    expect(error.message).toContain('is the base URL right?');
    expect(payment).toMatchObject({
      status: 'FAILED',
      statusReason: 'not_placetopay',
      statusMessage: 'PLACETOPAY_BASE_URL answers 404 HTML: is the base URL right?',
      needsReview: false,
      openReference: null,
    });
    await expectReferenceFree(request);
  });

  it.each([
    [
      '405 with an empty body',
      { status: 405, body: '', headers: { 'Content-Type': 'text/plain' } },
    ],
    [
      '200 with plain text',
      { status: 200, body: 'hello', headers: { 'Content-Type': 'text/plain' } },
    ],
  ])('ends FAILED when the base URL answers %s', async (_name, reply) => {
    server.reply(reply);
    const { error, payment } = await createAgainst({ baseUrl: server.url });
    expect(error).toMatchObject({ mayHaveReachedGateway: false });
    expect(error.hint).toMatch(/^PLACETOPAY_BASE_URL answers \d{3} .*: is the base URL right\?$/);
    expect(payment).toMatchObject({ status: 'FAILED', statusReason: 'not_placetopay' });
  });

  it('ends FAILED when nothing listens on the port (connection refused)', async () => {
    const closed = await new ScriptedServer().start();
    const url = closed.url;
    await closed.stop();
    const { error, payment, request } = await createAgainst({ baseUrl: url });
    expect(error).toMatchObject({ kind: 'network', mayHaveReachedGateway: false });
    expect(error.hint).toMatch(/nothing listens at PLACETOPAY_BASE_URL/);
    expect(payment).toMatchObject({ status: 'FAILED', statusReason: 'not_sent' });
    await expectReferenceFree(request);
  });

  it('ends FAILED when https:// meets a server that does not speak TLS', async () => {
    // The scripted server speaks plain HTTP: the TLS client hello gets an HTTP answer.
    const port = new URL(server.url).port;
    const { error, payment, request } = await createAgainst({
      baseUrl: `https://127.0.0.1:${port}`,
    });
    expect(error).toMatchObject({ kind: 'network', mayHaveReachedGateway: false });
    expect(error.hint).toMatch(/TLS handshake with PLACETOPAY_BASE_URL failed/);
    expect(payment).toMatchObject({ status: 'FAILED', statusReason: 'not_sent' });
    await expectReferenceFree(request);
  });

  it('ends FAILED when the TLS handshake is cut off', async () => {
    const tcp = await hangingUpServer();
    try {
      const { error, payment } = await createAgainst({ baseUrl: `https://127.0.0.1:${tcp.port}` });
      expect(error).toMatchObject({ kind: 'network', mayHaveReachedGateway: false });
      expect(error.hint).toMatch(/TLS handshake/);
      expect(payment).toMatchObject({ status: 'FAILED', statusReason: 'not_sent' });
    } finally {
      await tcp.stop();
    }
  });

  it.each([
    [
      'a 502 HTML page (a proxy in front of PlacetoPay)',
      { status: 502, body: '<html>Bad gateway</html>', headers: { 'Content-Type': 'text/html' } },
    ],
    ['JSON cut short', { status: 200, body: '{"status": {"status": "OK"' }],
    ['a reset after sending', { reset: true as const }],
  ])('keeps UNKNOWN (outcome unknown) on %s', async (_name, reply) => {
    server.reply(reply);
    const { error, payment, request } = await createAgainst({ baseUrl: server.url });
    expect(error).toMatchObject({ mayHaveReachedGateway: true });
    expect(payment).toMatchObject({ status: 'UNKNOWN', needsReview: true });
    expect(payment.openReference).toBe(request.reference);
  });
});

describe("a named site's hints", () => {
  it('name its own base URL variable (PLACETOPAY_EC_BASE_URL), for a refused port and a 404 page', async () => {
    const closed = await new ScriptedServer().start();
    const refusedUrl = closed.url;
    await closed.stop();
    const page = await new ScriptedServer().start();
    page.reply({
      status: 404,
      headers: { 'Content-Type': 'text/html' },
      body: '<html>Not found</html>',
    });
    const clientOf = async (baseUrl: string) => {
      const moduleRef = await Test.createTestingModule({
        imports: [
          PlacetoPayModule.forRoot({
            name: 'ec',
            clientOnly: true,
            login: LOGIN,
            secretKey: SECRET_KEY,
            baseUrl,
            verifyCredentials: 'off',
          }),
        ],
      }).compile();
      return {
        client: moduleRef.get<PlacetoPayClient>(getPlacetoPayClientToken('ec')),
        close: () => moduleRef.close(),
      };
    };
    const session = {
      payment: { reference: 'EC-1', description: 'd', amount: { currency: 'USD', total: 10 } },
      returnUrl: 'https://shop.example.com/return',
      ipAddress: '127.0.0.1',
      userAgent: 'jest',
      expiration: new Date(Date.now() + 30 * 60_000).toISOString(),
    };
    try {
      for (const [baseUrl, hint] of [
        [refusedUrl, /^nothing listens at PLACETOPAY_EC_BASE_URL/],
        [page.url, /^PLACETOPAY_EC_BASE_URL answers 404 HTML/],
      ] as const) {
        const { client, close } = await clientOf(baseUrl);
        try {
          const error = (await client.createSession(session).catch((e: unknown) => e)) as {
            hint?: string;
          };
          expect(error).toBeInstanceOf(PlacetoPayUnavailableError);
          expect(error.hint).toMatch(hint);
        } finally {
          await close();
        }
      }
    } finally {
      await page.stop();
    }
  });
});
