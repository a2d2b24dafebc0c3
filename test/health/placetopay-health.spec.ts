import { Controller, Get, type INestApplication } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import {
  PlacetoPayHealthIndicator,
  PlacetoPayHealthModule,
  PlacetoPayModule,
  type PlacetoPayHealthOptions,
  type PlacetoPayModuleOptions,
} from 'nestjs-placetopay';
import { createAuth } from '../../lib/gateway/authentication';
import { HEALTH_PROBE_REQUEST_ID } from '../../lib/health/placetopay-health.indicator';
import { PlacetoPaySimulator } from 'nestjs-placetopay/testing';
import { LOGIN, SECRET_KEY, sessionRequest } from '../support/fixtures';
import { captureLogs, secretsIn } from '../support/log-capture';
import { freePort } from '../support/free-port';
import { ScriptedServer } from '../support/scripted-server';

const WRONG_SECRET = 'WrongSecret-9f3Kq27';
const OTHER_LOGIN = 'another-site-login';
const OTHER_SECRET = 'AnotherSiteSecret-77';

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly placetopay: PlacetoPayHealthIndicator,
  ) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([() => this.placetopay.isHealthy()]);
  }
}

interface HealthApp {
  app: INestApplication;
  get(): Promise<{ status: number; text: string; body: HealthBody }>;
}
interface HealthBody {
  status: 'ok' | 'error';
  info?: Record<string, Record<string, unknown>>;
  error?: Record<string, Record<string, unknown>>;
}

const logs = captureLogs();
const apps: INestApplication[] = [];

/** A real Nest HTTP app: TerminusModule + PlacetoPayModule + PlacetoPayHealthModule + /health. */
async function startHealthApp(
  baseUrl: string,
  options: PlacetoPayModuleOptions = {},
  health?: PlacetoPayHealthOptions,
): Promise<HealthApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      TerminusModule.forRoot(),
      PlacetoPayModule.forRoot({
        clientOnly: true,
        login: LOGIN,
        secretKey: SECRET_KEY,
        baseUrl,
        retryBaseDelayMs: 1,
        retryMaxDelayMs: 5,
        // These tests count the gateway calls of the health check alone.
        verifyCredentials: 'off',
        ...options,
      }),
      health ? PlacetoPayHealthModule.forRoot(health) : PlacetoPayHealthModule,
    ],
    controllers: [HealthController],
  })
    .setLogger(logs)
    .compile();
  const app = moduleRef.createNestApplication();
  app.useLogger(logs);
  await app.listen(0, '127.0.0.1');
  apps.push(app);
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    app,
    async get() {
      const response = await fetch(`${url}/health`);
      const text = await response.text();
      return { status: response.status, text, body: JSON.parse(text) as HealthBody };
    },
  };
}

afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

describe('PlacetoPayHealthIndicator against the simulator', () => {
  let simulator: PlacetoPaySimulator;

  beforeEach(async () => {
    simulator = await new PlacetoPaySimulator({
      sites: [
        { login: LOGIN, secretKey: SECRET_KEY, merchantName: 'Café de Prueba' },
        { login: OTHER_LOGIN, secretKey: OTHER_SECRET, merchantName: 'Otra Tienda' },
      ],
      tickMs: 0,
    }).start();
  });
  afterEach(() => simulator.stop());

  it('is up (200) with correct credentials: the unknown session answer proves both', async () => {
    const { get } = await startHealthApp(simulator.url);
    const { status, body } = await get();
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(body.info?.placetopay).toEqual({
      status: 'up',
      gateway: 'reachable',
      credentials: 'accepted',
      latencyMs: expect.any(Number),
    });
    // One call, and the simulator answered "The requested session does not exist".
    expect(simulator.calls.getSession).toBe(1);
    expect(simulator.requestLog.at(-1)).toMatchObject({ operation: 'getSession', httpStatus: 404 });
  });

  it('never reads a real session: it asks for session 0, which PlacetoPay never assigns', async () => {
    // Sessions of this site and of another exist; the simulator, like PlacetoPay, counts from 1.
    const ids: number[] = [];
    for (const [login, secretKey] of [
      [LOGIN, SECRET_KEY],
      [OTHER_LOGIN, OTHER_SECRET],
    ]) {
      const created = await fetch(`${simulator.url}/api/session`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ auth: createAuth({ login, secretKey }), ...sessionRequest() }),
      });
      ids.push(((await created.json()) as { requestId: number }).requestId);
    }
    expect(ids).toEqual([1, 2]);
    expect(ids).not.toContain(HEALTH_PROBE_REQUEST_ID);

    const { get } = await startHealthApp(simulator.url);
    const { status, body } = await get();
    expect(status).toBe(200);
    expect(body.info?.placetopay).toMatchObject({ status: 'up', credentials: 'accepted' });
    // "The requested session does not exist" (404 request_not_valid): authenticated, and no session
    // was read.
    expect(simulator.requestLog.at(-1)).toMatchObject({
      operation: 'getSession',
      path: `/api/session/${HEALTH_PROBE_REQUEST_ID}`,
      httpStatus: 404,
    });
    expect(HEALTH_PROBE_REQUEST_ID).toBe(0);
  });

  it('is down (503) with the auth code and hint when the credentials are refused, never the secret', async () => {
    const { get } = await startHealthApp(simulator.url, { secretKey: WRONG_SECRET });
    const { status, text, body } = await get();
    expect(status).toBe(503);
    expect(body.status).toBe('error');
    expect(body.error?.placetopay).toEqual({
      status: 'down',
      gateway: 'reachable',
      credentials: 'refused',
      authCode: 102,
      reason: expect.stringContaining('wrong secret key'),
      latencyMs: expect.any(Number),
    });
    expect(logs.text()).toContain('PlacetoPay is down: authentication failed (102)');
    for (const seen of [text, logs.text()]) {
      expect(seen).not.toContain(WRONG_SECRET);
      expect(seen).not.toContain(SECRET_KEY);
      expect(seen).not.toContain('tranKey');
    }
  });

  it('is down (503) within the check deadline when the gateway hangs, with one call and no retry', async () => {
    simulator.faults.inject('getSession', { type: 'hang' });
    // The module's own deadline and attempts would make this 3 x 15 s; the check uses 200 ms once.
    const { get } = await startHealthApp(
      simulator.url,
      { timeoutMs: 15_000, queryAttempts: 3 },
      { timeoutMs: 200 },
    );
    const { status, body } = await get();
    expect(status).toBe(503);
    expect(body.error?.placetopay).toEqual({
      status: 'down',
      gateway: 'unreachable',
      reason: 'timeout: no complete answer within 200 ms',
      latencyMs: expect.any(Number),
    });
    expect(simulator.calls.getSession).toBe(1);
  });

  it('defaults its deadline to the smaller of 5000 ms and the module timeoutMs', async () => {
    simulator.faults.inject('getSession', { type: 'hang' });
    const { get } = await startHealthApp(simulator.url, { timeoutMs: 150 });
    const { status, body } = await get();
    expect(status).toBe(503);
    expect(body.error?.placetopay.reason).toBe('timeout: no complete answer within 150 ms');
  });

  it('takes a per-call deadline', async () => {
    simulator.faults.inject('getSession', { type: 'hang' });
    const { app } = await startHealthApp(simulator.url, {}, { timeoutMs: 60_000 });
    const result = await app
      .get(PlacetoPayHealthIndicator)
      .isHealthy('gateway', { timeoutMs: 100 });
    expect(result.gateway).toMatchObject({
      status: 'down',
      reason: 'timeout: no complete answer within 100 ms',
    });
  });

  it('is down (503) when the gateway answers 500, without retrying', async () => {
    simulator.faults.inject('getSession', { type: 'status', status: 500 });
    const { get } = await startHealthApp(simulator.url, { queryAttempts: 3 });
    const { status, body } = await get();
    expect(status).toBe(503);
    expect(body.error?.placetopay).toEqual({
      status: 'down',
      gateway: 'unreachable',
      reason: 'server error: PlacetoPay answered HTTP 500',
      latencyMs: expect.any(Number),
    });
    expect(simulator.calls.getSession).toBe(1);
  });

  it('comes back up once the fault is gone, and logs the change', async () => {
    simulator.faults.inject('getSession', { type: 'reset' }, { times: 1 });
    const { get } = await startHealthApp(simulator.url, {}, { cacheTtlMs: 0 });
    const first = await get();
    expect(first.status).toBe(503);
    expect(first.body.error?.placetopay).toMatchObject({ gateway: 'unreachable' });
    const second = await get();
    expect(second.status).toBe(200);
    expect(logs.text()).toContain('PlacetoPay is up again');
  });
});

describe('PlacetoPayHealthIndicator against other gateway answers', () => {
  let server: ScriptedServer;
  beforeEach(async () => {
    server = await new ScriptedServer().start();
  });
  afterEach(() => server.stop());

  it.each([
    ['HTTP 200 FAILED reason 0 "No existe la sesión que busca"', 200, 0],
    ['HTTP 400 FAILED unauthorized "La sesión no pertenece a su sitio"', 400, 'unauthorized'],
    ['HTTP 404 FAILED request_not_valid', 404, 'request_not_valid'],
  ])('is up on %s', async (_name, httpStatus, reason) => {
    server.reply({
      status: httpStatus,
      json: { status: { status: 'FAILED', reason, message: 'no', date: new Date().toISOString() } },
    });
    const { get } = await startHealthApp(server.url);
    const { status, body } = await get();
    expect(status).toBe(200);
    expect(body.info?.placetopay).toMatchObject({ status: 'up', credentials: 'accepted' });
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0].path).toBe('/api/session/0');
    const secrets = secretsIn(
      server.requests.map((r) => r.json),
      SECRET_KEY,
    );
    for (const secret of secrets) expect(logs.text()).not.toContain(secret);
  });

  it('is down on "Page not found": the base URL does not lead to the API', async () => {
    const { get } = await startHealthApp(server.url);
    const { status, body } = await get();
    expect(status).toBe(503);
    expect(body.error?.placetopay).toMatchObject({
      status: 'down',
      gateway: 'unreachable',
      reason: expect.stringContaining('is baseUrl right?'),
    });
  });

  it('is down on a body that is not a PlacetoPay answer', async () => {
    server.reply({ status: 200, body: '<html>proxy</html>' });
    const { get } = await startHealthApp(server.url);
    const { status, body } = await get();
    expect(status).toBe(503);
    expect(body.error?.placetopay.reason).toMatch(/^malformed response: HTTP 200/);
  });

  it('is down with the network cause when nothing listens', async () => {
    const port = await freePort();
    const { get } = await startHealthApp(`http://127.0.0.1:${port}`);
    const { status, body } = await get();
    expect(status).toBe(503);
    expect(body.error?.placetopay).toMatchObject({
      gateway: 'unreachable',
      reason: expect.stringMatching(/^network error: ECONNREFUSED/),
    });
  });
});
