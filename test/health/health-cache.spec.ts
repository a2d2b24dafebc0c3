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
  type PlacetoPayHealthOptions,
} from 'nestjs-placetopay';
import { PlacetoPaySimulator } from 'nestjs-placetopay/testing';
import { LOGIN, SECRET_KEY } from '../support/fixtures';
import { captureLogs } from '../support/log-capture';

const WRONG_SECRET = 'WrongSecret-Hc71x';

@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly placetopay: PlacetoPayHealthIndicator,
  ) {}

  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([() => this.placetopay.isLive()]);
  }

  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([() => this.placetopay.isReady()]);
  }
}

interface HealthBody {
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
let simulator: PlacetoPaySimulator;
let clock: MovableClock;

async function start(
  health?: PlacetoPayHealthOptions,
  secretKey = SECRET_KEY,
): Promise<(path: 'live' | 'ready') => Promise<{ status: number; body: HealthBody }>> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      TerminusModule.forRoot(),
      PlacetoPayModule.forRoot({
        clientOnly: true,
        login: LOGIN,
        secretKey,
        baseUrl: simulator.url,
        verifyCredentials: 'off',
      }),
      health ? PlacetoPayHealthModule.forRoot(health) : PlacetoPayHealthModule,
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
  clock = new MovableClock();
  simulator = await new PlacetoPaySimulator({
    sites: [{ login: LOGIN, secretKey: SECRET_KEY, merchantName: 'Café de Prueba' }],
    tickMs: 0,
  }).start();
});
afterEach(async () => {
  await app?.close();
  app = undefined;
  await simulator.stop();
});

describe('readiness: the gateway check is cached', () => {
  it('makes one gateway call for two checks within the 60 s default, another once it passed', async () => {
    const get = await start();
    expect((await get('ready')).status).toBe(200);
    clock.advance(59_999);
    const second = await get('ready');
    expect(second.status).toBe(200);
    expect(second.body.info.placetopay).toMatchObject({ status: 'up', credentials: 'accepted' });
    expect(simulator.calls.getSession).toBe(1);

    clock.advance(1);
    expect((await get('ready')).status).toBe(200);
    expect(simulator.calls.getSession).toBe(2);
  });

  it('takes its TTL from PlacetoPayHealthModule.forRoot({ cacheTtlMs }), and 0 turns it off', async () => {
    const get = await start({ cacheTtlMs: 5_000 });
    await get('ready');
    clock.advance(4_999);
    await get('ready');
    expect(simulator.calls.getSession).toBe(1);
    clock.advance(1);
    await get('ready');
    expect(simulator.calls.getSession).toBe(2);

    const indicator = app!.get(PlacetoPayHealthIndicator);
    await indicator.isReady('placetopay', { cacheTtlMs: 0 });
    expect(simulator.calls.getSession).toBe(3);
  });

  it('caches a refusal too, and concurrent checks share one call', async () => {
    const get = await start({}, WRONG_SECRET);
    const answers = await Promise.all([get('ready'), get('ready'), get('ready')]);
    expect(answers.map((a) => a.status)).toEqual([503, 503, 503]);
    expect(answers[2].body.error.placetopay).toMatchObject({ authCode: 102 });
    expect(simulator.calls.getSession).toBe(1);
    expect(logs.text()).not.toContain(WRONG_SECRET);
  });

  it('refuses a TTL that is not a whole number of milliseconds', () => {
    expect(() => PlacetoPayHealthModule.forRoot({ cacheTtlMs: -1 })).toThrow(PlacetoPayConfigError);
    expect(() => PlacetoPayHealthModule.forRoot({ cacheTtlMs: 1.5 })).toThrow(
      'cacheTtlMs: must be a whole number of milliseconds',
    );
  });
});

describe('liveness', () => {
  it('never calls PlacetoPay, and stays up while the gateway refuses the credentials', async () => {
    const get = await start({}, WRONG_SECRET);
    for (let i = 0; i < 5; i++) {
      const { status, body } = await get('live');
      expect(status).toBe(200);
      expect(body.info.placetopay).toEqual({ status: 'up', gateway: 'not-checked' });
      clock.advance(120_000);
    }
    expect(simulator.calls.getSession).toBe(0);
    expect(simulator.requestLog).toHaveLength(0);
    // Readiness, on the other hand, sees the refusal.
    expect((await get('ready')).status).toBe(503);
    expect(simulator.calls.getSession).toBe(1);
  });
});
