import { Controller, Get, type INestApplication } from '@nestjs/common';
import { HealthCheck, HealthCheckService, TerminusModule } from '@nestjs/terminus';
import { Test } from '@nestjs/testing';
import {
  PLACETOPAY_CLOCK,
  PlacetoPayConfigError,
  PlacetoPayHealthIndicator,
  PlacetoPayHealthModule,
  PlacetoPayModule,
  type PlacetoPayClock,
  type PlacetoPayForRootOptions,
} from 'nestjs-placetopay';
import { PlacetoPaySimulator } from 'nestjs-placetopay/testing';
import { LOGIN, SECRET_KEY } from '../support/fixtures';
import { captureLogs } from '../support/log-capture';

// Two PlacetoPay sites, each a merchant account with its own credentials, on its own simulator.
const CO = { login: 'co-site-login', secretKey: 'CoSiteSecret-3Lk9' };
const EC = { login: 'ec-site-login', secretKey: 'EcSiteSecret-8Qz2' };
const WRONG_SECRET = 'WrongSecret-Ms41p';

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly placetopay: PlacetoPayHealthIndicator,
  ) {}

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.placetopay.forSite('co').isReady(),
      () => this.placetopay.forSite('ec').isReady(),
    ]);
  }

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([
      () => this.placetopay.forSite('co').isLive(),
      () => this.placetopay.forSite('ec').isLive(),
    ]);
  }
}

interface HealthBody {
  status: 'ok' | 'error';
  info: Record<string, Record<string, unknown>>;
  error: Record<string, Record<string, unknown>>;
}

/** A clock the test moves by hand: no sleeping. */
class MovableClock implements PlacetoPayClock {
  private ms = Date.parse('2026-03-01T12:00:00Z');
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

const logs = captureLogs();
let app: INestApplication | undefined;
let co: PlacetoPaySimulator;
let ec: PlacetoPaySimulator;
let clock: MovableClock;

const site = (name: string | undefined, simulator: PlacetoPaySimulator, credentials = CO) =>
  PlacetoPayModule.forRoot({
    ...(name ? { name } : {}),
    clientOnly: true,
    ...credentials,
    baseUrl: simulator.url,
    verifyCredentials: 'off',
  } as PlacetoPayForRootOptions);

/** The two sites (EC registered asynchronously), the health module, and /health on real HTTP. */
async function start(
  ecSecret = EC.secretKey,
  extra: NonNullable<Parameters<typeof Test.createTestingModule>[0]['imports']> = [],
): Promise<(path: 'live' | 'ready') => Promise<{ status: number; body: HealthBody }>> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      TerminusModule.forRoot(),
      site('co', co),
      PlacetoPayModule.forRootAsync({
        name: 'ec',
        clientOnly: true,
        useFactory: async () => ({
          login: EC.login,
          secretKey: ecSecret,
          baseUrl: ec.url,
          verifyCredentials: 'off' as const,
        }),
      }),
      ...extra,
      PlacetoPayHealthModule,
    ],
    controllers: [HealthController],
  })
    .overrideProvider(PLACETOPAY_CLOCK)
    .useValue(clock)
    .setLogger(logs)
    .compile();
  app = moduleRef.createNestApplication();
  app.useLogger(logs);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return async (path) => {
    const response = await fetch(`${url}/health/${path}`);
    return { status: response.status, body: (await response.json()) as HealthBody };
  };
}

beforeEach(async () => {
  logs.lines.splice(0);
  clock = new MovableClock();
  co = await new PlacetoPaySimulator({
    sites: [{ ...CO, merchantName: 'Tienda Colombia' }],
    tickMs: 0,
  }).start();
  ec = await new PlacetoPaySimulator({
    sites: [{ ...EC, merchantName: 'Tienda Ecuador' }],
    tickMs: 0,
  }).start();
});
afterEach(async () => {
  await app?.close();
  app = undefined;
  await co.stop();
  await ec.stop();
});

describe('readiness per site', () => {
  it('reports each site under its own key, each asking its own gateway with its own credentials', async () => {
    const get = await start();
    const { status, body } = await get('ready');
    expect(status).toBe(200);
    expect(Object.keys(body.info).sort()).toEqual(['placetopay:co', 'placetopay:ec']);
    for (const key of ['placetopay:co', 'placetopay:ec']) {
      expect(body.info[key]).toMatchObject({
        status: 'up',
        gateway: 'reachable',
        credentials: 'accepted',
      });
    }
    // EC's credentials are unknown to CO's simulator and the other way round: each asked its own.
    expect(co.calls.getSession).toBe(1);
    expect(ec.calls.getSession).toBe(1);
  });

  it("shows only EC down while EC's gateway is down, and CO stays up", async () => {
    const get = await start();
    expect((await get('ready')).status).toBe(200);
    await ec.stop();
    clock.advance(60_000);

    const { status, body } = await get('ready');
    expect(status).toBe(503);
    expect(body.info['placetopay:co']).toMatchObject({ status: 'up', credentials: 'accepted' });
    expect(body.error['placetopay:co']).toBeUndefined();
    expect(body.error['placetopay:ec']).toMatchObject({
      status: 'down',
      gateway: 'unreachable',
      reason: expect.stringMatching(/^network error: ECONNREFUSED/),
    });
    expect(body.info['placetopay:ec']).toBeUndefined();
    expect(co.calls.getSession).toBe(2);
    // The line's context names the site; CO logged no outage.
    const down = logs.lines.filter((line) => line.startsWith('warn PlacetoPay is down'));
    expect(down).toEqual([
      expect.stringMatching(
        /^warn PlacetoPay is down: network error: ECONNREFUSED.* PlacetoPayHealth:ec$/,
      ),
    ]);

    // Liveness never asks either gateway: both stay up.
    const live = await get('live');
    expect(live.status).toBe(200);
    expect(live.body.info).toEqual({
      'placetopay:co': { status: 'up', gateway: 'not-checked' },
      'placetopay:ec': { status: 'up', gateway: 'not-checked' },
    });
    expect(co.calls.getSession).toBe(2);
  });

  it("shows only EC down when PlacetoPay refuses EC's secret key", async () => {
    const get = await start(WRONG_SECRET);
    const { status, body } = await get('ready');
    expect(status).toBe(503);
    expect(body.info['placetopay:co']).toMatchObject({ status: 'up' });
    expect(body.error['placetopay:ec']).toMatchObject({
      status: 'down',
      credentials: 'refused',
      authCode: 102,
    });
    expect(logs.text()).not.toContain(WRONG_SECRET);
    expect(logs.text()).not.toContain(EC.secretKey);
  });

  it('keeps one cache per site: a fresh CO answer does not hide an EC outage', async () => {
    const get = await start();
    const indicator = app!.get(PlacetoPayHealthIndicator);
    // Typed under the site's key: a wrong key would not compile.
    const first = await indicator.forSite('co').isReady();
    expect(first['placetopay:co'].status).toBe('up');
    clock.advance(30_000);
    // EC was never asked: its first check goes to its gateway, within CO's cache window.
    ec.faults.inject('getSession', { type: 'status', status: 500 });
    const { status, body } = await get('ready');
    expect(status).toBe(503);
    expect(body.error['placetopay:ec']).toMatchObject({
      status: 'down',
      reason: 'server error: PlacetoPay answered HTTP 500',
    });
    expect(co.calls.getSession).toBe(1);
    expect(ec.calls.getSession).toBe(1);

    // Each site's answer expires on its own: at 60 s CO asks again, EC (30 s old) does not.
    clock.advance(30_000);
    await get('ready');
    expect(co.calls.getSession).toBe(2);
    expect(ec.calls.getSession).toBe(1);
  });

  it('takes a key and per-call settings on a site', async () => {
    await start();
    const ecHealth = app!.get(PlacetoPayHealthIndicator).forSite('ec');
    expect(ecHealth.site).toBe('ec');
    ec.faults.inject('getSession', { type: 'hang' });
    const result = await ecHealth.isHealthy('payments-ecuador', { timeoutMs: 100 });
    expect(result['payments-ecuador']).toMatchObject({
      status: 'down',
      reason: 'timeout: no complete answer within 100 ms',
    });
    expect(co.calls.getSession).toBe(0);
  });
});

describe('the default site beside named ones', () => {
  it('isReady() checks the unnamed registration under "placetopay", never a named one', async () => {
    const local = await new PlacetoPaySimulator({
      sites: [{ login: LOGIN, secretKey: SECRET_KEY }],
      tickMs: 0,
    }).start();
    try {
      await start(undefined, [site(undefined, local, { login: LOGIN, secretKey: SECRET_KEY })]);
      const indicator = app!.get(PlacetoPayHealthIndicator);
      const result = await indicator.isReady();
      expect(result).toEqual({
        placetopay: {
          status: 'up',
          gateway: 'reachable',
          credentials: 'accepted',
          latencyMs: expect.any(Number),
        },
      });
      expect(local.calls.getSession).toBe(1);
      expect([co.calls.getSession, ec.calls.getSession]).toEqual([0, 0]);
      // forSite() and forSite('default') are the same site, with the same cache.
      await indicator.forSite().isReady();
      await indicator.forSite('default').isReady();
      expect(local.calls.getSession).toBe(1);
    } finally {
      await app?.close();
      app = undefined;
      await local.stop();
    }
  });

  it('without an unnamed registration, isReady() says which sites there are', async () => {
    await start();
    const indicator = app!.get(PlacetoPayHealthIndicator);
    await expect(indicator.isReady()).rejects.toThrow(PlacetoPayConfigError);
    await expect(indicator.isLive()).rejects.toThrow(
      'no PlacetoPayModule registration without a name; this application registers the sites "co", "ec": check one with forSite("co")',
    );
    expect(() => indicator.forSite('pe')).toThrow(
      'no PlacetoPayModule registration is named "pe"; this application registers the sites "co", "ec"',
    );
    expect(co.calls.getSession + ec.calls.getSession).toBe(0);
  });
});

describe('the start-up credential check of a named site', () => {
  it("names the site's own variables when its secret is refused", async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        PlacetoPayModule.forRoot({
          name: 'ec',
          clientOnly: true,
          login: EC.login,
          secretKey: WRONG_SECRET,
          baseUrl: ec.url,
          verifyCredentials: 'warn',
        }),
      ],
    })
      .setLogger(logs)
      .compile();
    await moduleRef.init();
    await moduleRef.close();
    const line = logs.lines.find((l) => l.startsWith('error ') && l.includes('refused'));
    expect(line).toContain('PLACETOPAY_EC_SECRET_KEY: PlacetoPay at');
    expect(line).toContain('PLACETOPAY_EC_VERIFY_CREDENTIALS=fail stops it instead');
    expect(line).toMatch(/ PlacetoPayCredentials:ec$/);
    expect(logs.text()).not.toContain(WRONG_SECRET);
  });
});
