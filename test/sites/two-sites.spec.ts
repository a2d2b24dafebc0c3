import { Injectable, Module, type INestApplication, type Provider } from '@nestjs/common';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import {
  InjectPlacetoPay,
  InjectPlacetoPayClient,
  OnPlacetoPayEvent,
  PLACETOPAY_ENTITIES,
  PLACETOPAY_MIGRATIONS,
  PaymentStatus,
  PlacetoPayClient,
  PlacetoPayModule,
  PlacetoPayPayment,
  PlacetoPayService,
  getPlacetoPayClientToken,
  getPlacetoPayServiceToken,
  type CreatePaymentInput,
  type PlacetoPayEvent,
} from 'nestjs-placetopay';
import { PlacetoPaySimulator, signNotification } from 'nestjs-placetopay/testing';
import { DataSource } from 'typeorm';
import { NotificationInbox } from '../../lib/notifications/notification-inbox';
import { PlacetoPayNotification } from '../../lib/persistence/placetopay-notification.entity';
import { ProbeRunner } from '../../lib/probe/probe-runner';
import { DatabaseClock } from '../../lib/persistence/database-clock';
import { TransactionRunner } from '../../lib/persistence/transaction-runner';
import { captureLogs } from '../support/log-capture';
import { postBody } from '../support/webhook-app';
import { siteProvider } from '../support/site-internals';

/** Two merchant accounts, each with its own credentials at its own simulator. */
const CO = { login: 'site-co-login', secretKey: 'co-secret-key-0001' };
const EC = { login: 'site-ec-login', secretKey: 'ec-secret-key-0002' };
/** Never during a test: the jobs are registered, passes are run by hand. */
const NEVER = '0 0 1 1 *';

@Injectable()
class Listeners {
  readonly everySite: PlacetoPayEvent[] = [];
  readonly coOnly: PlacetoPayEvent[] = [];

  @OnPlacetoPayEvent('payment.approved')
  onAnyApproved(event: PlacetoPayEvent): void {
    this.everySite.push(event);
  }

  @OnPlacetoPayEvent('payment.approved', { site: 'co' })
  onCoApproved(event: PlacetoPayEvent): void {
    this.coOnly.push(event);
  }
}

/** A host service that takes both sites' services and clients by their decorators. */
@Injectable()
class Checkout {
  constructor(
    @InjectPlacetoPay('co') readonly co: PlacetoPayService,
    @InjectPlacetoPay('ec') readonly ec: PlacetoPayService,
    @InjectPlacetoPayClient('co') readonly coClient: PlacetoPayClient,
  ) {}
}

const siteOptions = (site: { login: string; secretKey: string }, baseUrl: string) => ({
  ...site,
  baseUrl,
  eventPollMs: 0,
  queryAttempts: 1,
  timeoutMs: 2_000,
  probeCron: NEVER,
  probeFirstCheckMs: 0,
});

const order = (reference: string, currency = 'COP'): CreatePaymentInput => ({
  reference,
  description: 'Coffee',
  amount: { currency, total: currency === 'COP' ? 100_000 : 25 },
  returnUrl: 'https://shop.example.com/return',
  ipAddress: '127.0.0.1',
  userAgent: 'jest',
});

describe('two sites in one app (SQLite, two simulators)', () => {
  const logs = captureLogs();
  let simCo: PlacetoPaySimulator;
  let simEc: PlacetoPaySimulator;
  let app: INestApplication;
  let url: string;
  let co: PlacetoPayService;
  let ec: PlacetoPayService;
  let listeners: Listeners;
  let dataSource: DataSource;

  beforeAll(async () => {
    simCo = await new PlacetoPaySimulator({ sites: [{ ...CO }], tickMs: 0 }).start();
    simEc = await new PlacetoPaySimulator({ sites: [{ ...EC }], tickMs: 0 }).start();
    const moduleRef = await Test.createTestingModule({
      providers: [Listeners, Checkout],
      imports: [
        ScheduleModule.forRoot(),
        TypeOrmModule.forRoot({
          type: 'better-sqlite3',
          database: ':memory:',
          entities: PLACETOPAY_ENTITIES,
          migrations: PLACETOPAY_MIGRATIONS,
          migrationsRun: true,
        }),
        PlacetoPayModule.forRoot({ name: 'co', ...siteOptions(CO, simCo.url) }),
        PlacetoPayModule.forRootAsync({
          name: 'ec',
          useFactory: () => siteOptions(EC, simEc.url),
        }),
      ],
    })
      .setLogger(logs)
      .compile();
    app = moduleRef.createNestApplication();
    app.useLogger(logs);
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    co = app.get(getPlacetoPayServiceToken('co'));
    ec = app.get(getPlacetoPayServiceToken('ec'));
    listeners = app.get(Listeners);
    dataSource = app.get(DataSource);
    // Each PlacetoPay site posts to its own route.
    simCo.sites[0].notificationUrl = `${url}/placetopay/notification/co`;
    simEc.sites[0].notificationUrl = `${url}/placetopay/notification/ec`;
  });

  afterAll(async () => {
    await app?.close();
    await simCo?.stop();
    await simEc?.stop();
  });

  const inboxOf = (site: string) => siteProvider<NotificationInbox>(app, site, NotificationInbox);

  /** Waits for the simulator's notifications to be answered and their settlements to end. */
  async function settleNotifications(simulator: PlacetoPaySimulator, site: string) {
    await simulator.notifications.settled();
    await inboxOf(site).idle();
  }

  it('injects each site by its token and decorators; no site under the bare classes', () => {
    expect(co).toBeInstanceOf(PlacetoPayService);
    expect(ec).toBeInstanceOf(PlacetoPayService);
    expect(co).not.toBe(ec);
    expect([co.site, ec.site]).toEqual(['co', 'ec']);
    const checkout = app.get(Checkout);
    expect(checkout.co).toBe(co);
    expect(checkout.ec).toBe(ec);
    expect(checkout.coClient).toBe(app.get(getPlacetoPayClientToken('co')));
    expect(checkout.coClient).not.toBe(app.get(getPlacetoPayClientToken('ec')));
    expect(getPlacetoPayServiceToken()).toBe(PlacetoPayService);
    expect(getPlacetoPayServiceToken('default')).toBe(PlacetoPayService);
    expect(getPlacetoPayClientToken('co')).toBe('PlacetoPayClient:co');
  });

  it('takes the same reference on both sites, and settles each through its own route', async () => {
    const onCo = await co.createPayment(order('SAME-1'));
    const onEc = await ec.createPayment(order('SAME-1', 'USD'));
    // Both simulators number their sessions alike: the same requestId on two sites.
    expect(onEc.requestId).toBe(onCo.requestId);
    expect(onCo.payment.site).toBe('co');
    expect(onEc.payment.site).toBe('ec');

    simCo.approve(onCo.requestId);
    await settleNotifications(simCo, 'co');
    expect(simCo.notifications.sent.at(-1)).toMatchObject({ responseStatus: 200 });
    expect((await co.findByRequestId(onCo.requestId))?.status).toBe(PaymentStatus.APPROVED);
    expect((await ec.findByRequestId(onEc.requestId))?.status).toBe(PaymentStatus.PENDING);

    simEc.approve(onEc.requestId);
    await settleNotifications(simEc, 'ec');
    expect((await ec.findByRequestId(onEc.requestId))?.status).toBe(PaymentStatus.APPROVED);
    // Each service sees its own site only.
    expect((await co.listByReference('SAME-1')).map((p) => p.id)).toEqual([onCo.payment.id]);
    expect((await ec.listByReference('SAME-1')).map((p) => p.id)).toEqual([onEc.payment.id]);
    expect(await co.findByReference('SAME-1')).toMatchObject({ currency: 'COP' });
    expect(await ec.findByReference('SAME-1')).toMatchObject({ currency: 'USD' });
  });

  it("refuses a notification signed with one site's secret on another site's route (401), changing nothing", async () => {
    const onEc = await ec.createPayment(order('FORGED-1', 'USD'));
    const before = await dataSource.getRepository(PlacetoPayNotification).count();
    const status = {
      status: 'APPROVED',
      reason: '00',
      message: 'ok',
      date: new Date().toISOString(),
    };
    const forged = {
      requestId: onEc.requestId,
      reference: 'FORGED-1',
      status,
      signature: signNotification({
        requestId: onEc.requestId,
        status: status.status,
        date: status.date,
        secretKey: CO.secretKey,
      }),
    };
    const answer = await postBody(`${url}/placetopay/notification/ec`, forged);
    expect(answer.status).toBe(401);
    await inboxOf('ec').idle();
    expect(await dataSource.getRepository(PlacetoPayNotification).count()).toBe(before);
    expect((await ec.findByRequestId(onEc.requestId))?.status).toBe(PaymentStatus.PENDING);
    // The same body is genuine on co's route (co's secret): recorded there, for co only.
    const onCoRoute = await postBody(`${url}/placetopay/notification/co`, forged);
    expect(onCoRoute.status).toBe(200);
    await inboxOf('co').idle();
    expect((await ec.findByRequestId(onEc.requestId))?.status).toBe(PaymentStatus.PENDING);
    // No unnamed site: the classic route does not exist.
    expect((await postBody(`${url}/placetopay/notification`, forged)).status).toBe(404);
  });

  it('registers one probe job per site, each settling only its own rows', async () => {
    const jobs = [...app.get(SchedulerRegistry).getCronJobs().keys()].sort();
    expect(jobs).toEqual(['placetopay-probe:co', 'placetopay-probe:ec']);
    const coRunner = siteProvider<ProbeRunner>(app, 'co', ProbeRunner);
    const ecRunner = siteProvider<ProbeRunner>(app, 'ec', ProbeRunner);
    expect(coRunner).not.toBe(ecRunner);

    // No notification this time: only the probe can settle them.
    const coUrl = simCo.sites[0].notificationUrl;
    const ecUrl = simEc.sites[0].notificationUrl;
    simCo.sites[0].notificationUrl = undefined;
    simEc.sites[0].notificationUrl = undefined;
    try {
      const onCo = await co.createPayment(order('PROBED-1'));
      const onEc = await ec.createPayment(order('PROBED-1', 'USD'));
      simCo.approve(onCo.requestId);
      simEc.approve(onEc.requestId);
      const ecQueriesBefore = simEc.requestLog.length;

      const coPass = await co.runProbe();
      expect(coPass.settled).toEqual({ APPROVED: 1 });
      expect((await co.findByRequestId(onCo.requestId))?.status).toBe(PaymentStatus.APPROVED);
      expect((await ec.findByRequestId(onEc.requestId))?.status).toBe(PaymentStatus.PENDING);
      // co's pass never asked ec's gateway anything.
      expect(simEc.requestLog.length).toBe(ecQueriesBefore);

      const ecPass = await ec.runProbe();
      expect(ecPass.settled).toEqual({ APPROVED: 1 });
      expect((await ec.findByRequestId(onEc.requestId))?.status).toBe(PaymentStatus.APPROVED);
    } finally {
      simCo.sites[0].notificationUrl = coUrl;
      simEc.sites[0].notificationUrl = ecUrl;
    }
  });

  it('delivers each site its own events; a listener filtered to one site hears only it', async () => {
    await co.deliverPendingEvents();
    await ec.deliverPendingEvents();
    const sitesOf = (events: PlacetoPayEvent[]) => [...new Set(events.map((e) => e.site))].sort();
    expect(sitesOf(listeners.everySite)).toEqual(['co', 'ec']);
    expect(listeners.coOnly.length).toBeGreaterThan(0);
    expect(sitesOf(listeners.coOnly)).toEqual(['co']);
    // Every approval of co, and only those, reached the filtered listener, once each.
    expect(listeners.coOnly.map((e) => e.id).sort()).toEqual(
      listeners.everySite
        .filter((e) => e.site === 'co')
        .map((e) => e.id)
        .sort(),
    );
    // Each event's payment is of its own site.
    const payments = dataSource.getRepository(PlacetoPayPayment);
    for (const event of listeners.everySite) {
      expect((await payments.findOneByOrFail({ id: event.payment.id })).site).toBe(event.site);
    }
  });

  it("keeps probing one site while the other site's gateway fails (a breaker per site)", async () => {
    simEc.faults.inject('getSession', { type: 'status', status: 500 });
    // Only the probe settles here: a notification racing it would settle co's payment first.
    const coUrl = simCo.sites[0].notificationUrl;
    simCo.sites[0].notificationUrl = undefined;
    try {
      const failing = [];
      for (let i = 0; i < 5; i++) failing.push(await ec.createPayment(order(`DOWN-${i}`, 'USD')));
      const onCo = await co.createPayment(order('UP-1'));
      simCo.approve(onCo.requestId);

      const ecPass = await ec.runProbe();
      expect(ecPass).toMatchObject({ errors: 5, circuitOpen: true });
      // ec's breaker is open: its next pass does not even try.
      expect(await ec.runProbe()).toMatchObject({ checked: 0, circuitOpen: true });

      const coPass = await co.runProbe();
      expect(coPass).toMatchObject({ circuitOpen: false, errors: 0, settled: { APPROVED: 1 } });
      expect((await co.findByRequestId(onCo.requestId))?.status).toBe(PaymentStatus.APPROVED);
      // Each site's probe logs under its own context.
      const probeLines = (site: string) =>
        logs.lines.filter((line) => line.endsWith(` PlacetoPayProbe:${site}`));
      expect(probeLines('co').some((line) => line.includes('probe pass'))).toBe(true);
      expect(probeLines('ec').length).toBeGreaterThan(0);
      for (const { requestId } of failing) {
        expect((await ec.findByRequestId(requestId))?.status).toBe(PaymentStatus.PENDING);
      }
    } finally {
      simEc.faults.clear();
      simCo.sites[0].notificationUrl = coUrl;
    }
  });

  it("serves each site's recurring-notification route on its own path", async () => {
    for (const site of ['co', 'ec']) {
      const answer = await postBody(`${url}/placetopay/recurring-notification/${site}`, {});
      expect(answer.status).not.toBe(404);
    }
    expect((await postBody(`${url}/placetopay/recurring-notification`, {})).status).toBe(404);
  });

  it('keeps operator calls per site', async () => {
    const onCo = await co.createPayment(order('REVIEW-1'));
    await dataSource
      .getRepository(PlacetoPayPayment)
      .update({ id: onCo.payment.id }, { needsReview: true, reviewReason: 'test' });
    expect((await co.listPaymentsNeedingReview()).map((p) => p.id)).toContain(onCo.payment.id);
    expect((await ec.listPaymentsNeedingReview()).map((p) => p.id)).not.toContain(onCo.payment.id);
    await expect(ec.abandonPayment(onCo.payment.id, 'not ours')).rejects.toThrow();
    expect((await co.listPaymentsNeedingReview()).map((p) => p.id)).toContain(onCo.payment.id);
  });
});

describe('site registrations', () => {
  const logs = captureLogs();

  async function boot(
    imports: NonNullable<Parameters<typeof Test.createTestingModule>[0]['imports']>,
    providers: Provider[] = [],
    moduleIdGeneratorAlgorithm: 'reference' | 'deep-hash' = 'reference',
  ) {
    const moduleRef = await Test.createTestingModule(
      { imports, providers },
      { moduleIdGeneratorAlgorithm },
    )
      .setLogger(logs)
      .compile();
    const app = moduleRef.createNestApplication();
    await app.init();
    return app;
  }

  const clientOnly = (extra: Record<string, unknown> = {}) => ({
    clientOnly: true,
    login: 'l',
    secretKey: 's',
    baseUrl: 'http://127.0.0.1:9',
    verifyCredentials: 'off' as const,
    ...extra,
  });

  it.each([
    [
      'identical options',
      () => [
        PlacetoPayModule.forRoot(clientOnly({ name: 'co' })),
        PlacetoPayModule.forRoot(clientOnly({ name: 'co' })),
      ],
    ],
    [
      'different options',
      () => [
        PlacetoPayModule.forRoot(clientOnly({ name: 'co' })),
        PlacetoPayModule.forRoot(clientOnly({ name: 'co', login: 'other' })),
      ],
    ],
    [
      'one sync, one async',
      () => [
        PlacetoPayModule.forRoot(clientOnly({ name: 'co' })),
        PlacetoPayModule.forRootAsync({
          name: 'co',
          clientOnly: true,
          useFactory: () => {
            const { clientOnly: _shape, ...options } = clientOnly();
            return options;
          },
        }),
      ],
    ],
    [
      'two unnamed',
      () => [PlacetoPayModule.forRoot(clientOnly()), PlacetoPayModule.forRoot(clientOnly())],
    ],
  ])('refuses two registrations of one site (%s)', async (_case, imports) => {
    const message = /2 PlacetoPayModule registrations serve the site "(co|default)"/;
    await expect(boot(imports())).rejects.toThrow(message);
    // Nest's other way of telling modules apart (a hash of their metadata) merges identical ones.
    await expect(boot(imports(), [], 'deep-hash')).rejects.toThrow(message);
  });

  it('accepts a default and a named site side by side; a named site is not under the bare class', async () => {
    @Injectable()
    class Host {
      constructor(
        readonly unnamed: PlacetoPayClient,
        @InjectPlacetoPayClient('co') readonly co: PlacetoPayClient,
      ) {}
    }
    const app = await boot(
      [
        PlacetoPayModule.forRoot(clientOnly()),
        PlacetoPayModule.forRoot(clientOnly({ name: 'co' })),
      ],
      [Host],
    );
    const host = app.get(Host);
    expect(host.unnamed).toBeInstanceOf(PlacetoPayClient);
    expect(host.co).toBeInstanceOf(PlacetoPayClient);
    expect(host.unnamed).not.toBe(host.co);
    await app.close();
    // Without the unnamed registration, nothing answers to the bare class.
    await expect(
      boot([PlacetoPayModule.forRoot(clientOnly({ name: 'co' }))], [Host]),
    ).rejects.toThrow(/PlacetoPayClient/);
  });

  it("takes name 'default' as the unnamed site", async () => {
    @Injectable()
    class Host {
      constructor(readonly client: PlacetoPayClient) {}
    }
    const app = await boot([PlacetoPayModule.forRoot(clientOnly({ name: 'default' }))], [Host]);
    expect(app.get(Host).client).toBeInstanceOf(PlacetoPayClient);
    await app.close();
    await expect(
      boot([
        PlacetoPayModule.forRoot(clientOnly({ name: 'default' })),
        PlacetoPayModule.forRoot(clientOnly()),
      ]),
    ).rejects.toThrow(/serve the site "default"/);
  });

  it('registers two named sites globally without a clash', async () => {
    @Injectable()
    class Host {
      constructor(
        @InjectPlacetoPayClient('co') readonly co: PlacetoPayClient,
        @InjectPlacetoPayClient('ec') readonly ec: PlacetoPayClient,
      ) {}
    }
    @Module({ providers: [Host] })
    class FeatureModule {}
    const app = await boot([
      PlacetoPayModule.forRoot(clientOnly({ name: 'co', isGlobal: true })),
      PlacetoPayModule.forRoot(clientOnly({ name: 'ec', isGlobal: true, login: 'ec' })),
      FeatureModule,
    ]);
    const host = app.get(Host);
    expect(host.co).not.toBe(host.ec);
    expect((host.ec as unknown as { options: { login: string } }).options.login).toBe('ec');
    await app.close();
  });

  it.each(['CO', '1co', 'co-ec', 'x'.repeat(33), ''])('refuses the name %p', (name) => {
    expect(() => PlacetoPayModule.forRoot(clientOnly({ name }))).toThrow(
      /name: must be a lowercase site name/,
    );
  });

  describe('environment variables', () => {
    const saved = { ...process.env };
    afterEach(() => {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    });

    it("reads a named site's options from its own prefix, never from the unnamed variables", async () => {
      Object.assign(process.env, {
        PLACETOPAY_LOGIN: 'default-login',
        PLACETOPAY_SECRET_KEY: 'default-secret',
        PLACETOPAY_BASE_URL: 'http://127.0.0.1:1',
        PLACETOPAY_CO_LOGIN: 'co-login',
        PLACETOPAY_CO_SECRET_KEY: 'co-secret',
        PLACETOPAY_CO_BASE_URL: 'http://127.0.0.1:2',
        PLACETOPAY_CO_TIMEOUT_MS: '4321',
        PLACETOPAY_CO_VERIFY_CREDENTIALS: 'off',
      });
      const app = await boot([PlacetoPayModule.forRoot({ name: 'co', clientOnly: true })]);
      const client = app.get<PlacetoPayClient>(getPlacetoPayClientToken('co'));
      const options = (client as unknown as { options: Record<string, unknown> }).options;
      expect(options).toMatchObject({
        login: 'co-login',
        baseUrl: 'http://127.0.0.1:2',
        timeoutMs: 4321,
        site: 'co',
      });
      expect(options.secretKey).toBe('co-secret');
      await app.close();
    });

    it('names the prefixed variable of a missing option', async () => {
      Object.assign(process.env, {
        PLACETOPAY_LOGIN: 'default-login',
        PLACETOPAY_SECRET_KEY: 'default-secret',
        PLACETOPAY_BASE_URL: 'http://127.0.0.1:1',
        PLACETOPAY_EC_LOGIN: 'ec-login',
      });
      const error = await boot([PlacetoPayModule.forRoot({ name: 'ec', clientOnly: true })]).catch(
        (caught: unknown) => caught as Error,
      );
      expect(String(error)).toContain('secretKey (PLACETOPAY_EC_SECRET_KEY): is required');
      expect(String(error)).toContain('baseUrl (PLACETOPAY_EC_BASE_URL): is required');
      expect(String(error)).not.toContain('PLACETOPAY_SECRET_KEY');
    });
  });
});

describe('sites in their own DataSources', () => {
  const logs = captureLogs();
  let simulator: PlacetoPaySimulator;
  let app: INestApplication;

  beforeAll(async () => {
    simulator = await new PlacetoPaySimulator({ sites: [{ ...CO }, { ...EC }], tickMs: 0 }).start();
    const database = (name: string) =>
      TypeOrmModule.forRoot({
        name,
        type: 'better-sqlite3',
        database: ':memory:',
        entities: PLACETOPAY_ENTITIES,
        migrations: PLACETOPAY_MIGRATIONS,
        migrationsRun: true,
      });
    const moduleRef = await Test.createTestingModule({
      imports: [
        // A default DataSource too: the sites must not fall back to it.
        TypeOrmModule.forRoot({
          type: 'better-sqlite3',
          database: ':memory:',
          entities: PLACETOPAY_ENTITIES,
          migrations: PLACETOPAY_MIGRATIONS,
          migrationsRun: true,
        }),
        database('coDb'),
        database('ecDb'),
        PlacetoPayModule.forRoot({
          name: 'co',
          dataSource: 'coDb',
          ...siteOptions(CO, simulator.url),
          probeEnabled: false,
        }),
        PlacetoPayModule.forRoot({
          name: 'ec',
          dataSource: 'ecDb',
          ...siteOptions(EC, simulator.url),
          probeEnabled: false,
        }),
      ],
    })
      .setLogger(logs)
      .compile();
    app = moduleRef.createNestApplication();
    await app.init();
  });

  afterAll(async () => {
    await app?.close();
    await simulator?.stop();
  });

  it("keeps each site's rows in its own DataSource", async () => {
    const co = app.get<PlacetoPayService>(getPlacetoPayServiceToken('co'));
    const ec = app.get<PlacetoPayService>(getPlacetoPayServiceToken('ec'));
    const onCo = await co.createPayment(order('DS-1'));
    const onEc = await ec.createPayment(order('DS-2', 'USD'));
    simulator.approve(onCo.requestId);
    expect((await co.syncPayment(onCo.requestId)).status).toBe(PaymentStatus.APPROVED);
    const rows = async (name: string) =>
      (await app.get<DataSource>(getDataSourceToken(name)).getRepository(PlacetoPayPayment).find())
        .map((p) => `${p.site}:${p.reference}:${p.status}`)
        .sort();
    expect(await rows('coDb')).toEqual(['co:DS-1:APPROVED']);
    expect(await rows('ecDb')).toEqual(['ec:DS-2:PENDING']);

    expect(await app.get(DataSource).getRepository(PlacetoPayPayment).count()).toBe(0);
    // Transactions and the database clock run on the site's DataSource as well.
    expect(siteProvider<{ dataSource: DataSource }>(app, 'co', TransactionRunner).dataSource).toBe(
      app.get(getDataSourceToken('coDb')),
    );
    expect(siteProvider<{ dataSource: DataSource }>(app, 'ec', DatabaseClock).dataSource).toBe(
      app.get(getDataSourceToken('ecDb')),
    );
    expect((await ec.findByRequestId(onEc.requestId))?.reference).toBe('DS-2');
    expect(await co.findByReference('DS-2')).toBeNull();
  });
});

/** A host service of a single-site app: the unnamed site's service, by its class. */
@Injectable()
class Classic {
  constructor(readonly service: PlacetoPayService) {}
}

describe('the unnamed site beside a named one', () => {
  const logs = captureLogs();
  let simulator: PlacetoPaySimulator;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    simulator = await new PlacetoPaySimulator({ sites: [{ ...CO }, { ...EC }], tickMs: 0 }).start();
    const moduleRef = await Test.createTestingModule({
      providers: [Checkout, Classic],
      imports: [
        ScheduleModule.forRoot(),
        TypeOrmModule.forRoot({
          type: 'better-sqlite3',
          database: ':memory:',
          entities: PLACETOPAY_ENTITIES,
          migrations: PLACETOPAY_MIGRATIONS,
          migrationsRun: true,
        }),
        PlacetoPayModule.forRoot(siteOptions(EC, simulator.url)),
        PlacetoPayModule.forRoot({ name: 'co', ...siteOptions(CO, simulator.url) }),
        // Checkout asks for an `ec` site too.
        PlacetoPayModule.forRoot({ name: 'ec', ...siteOptions(EC, simulator.url) }),
      ],
    })
      .setLogger(logs)
      .compile();
    app = moduleRef.createNestApplication();
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
    await simulator?.stop();
  });

  it('keeps the classic job, routes and class injection for the unnamed site', async () => {
    const jobs = [...app.get(SchedulerRegistry).getCronJobs().keys()].sort();
    expect(jobs).toEqual(['placetopay-probe', 'placetopay-probe:co', 'placetopay-probe:ec']);
    const unnamed = app.get(Classic).service;
    expect(unnamed.site).toBe('default');
    expect(app.get(getPlacetoPayServiceToken())).toBe(unnamed);
    // Neither the service nor the client of a named site answers to the bare class.
    const siteOfClient = (client: PlacetoPayClient) =>
      (client as unknown as { options: { site: string } }).options.site;
    expect(siteOfClient(app.get(PlacetoPayClient))).toBe('default');
    expect(siteOfClient(app.get(getPlacetoPayClientToken('co')))).toBe('co');
    const { payment, requestId } = await unnamed.createPayment(order('CLASSIC-1', 'USD'));
    expect(payment.site).toBe('default');
    // The classic route settles the unnamed site's payment; a named site's route refuses its
    // signature when that site's secret differs (co's), and accepts it on ec's (same secret,
    // but ec has no such payment: it changes nothing of the unnamed site's).
    simulator.approve(requestId);
    const session = simulator.session(requestId) as unknown as {
      status: { status: string; date: string };
    };
    const body = {
      requestId,
      reference: 'CLASSIC-1',
      status: session.status,
      signature: signNotification({
        requestId,
        status: session.status.status,
        date: session.status.date,
        secretKey: EC.secretKey,
      }),
    };
    expect((await postBody(`${url}/placetopay/notification/co`, body)).status).toBe(401);
    expect((await postBody(`${url}/placetopay/notification`, body)).status).toBe(200);
    await siteProvider<NotificationInbox>(app, 'default', NotificationInbox).idle();
    expect((await unnamed.findByRequestId(requestId))?.status).toBe(PaymentStatus.APPROVED);
    const co = app.get<PlacetoPayService>(getPlacetoPayServiceToken('co'));
    expect(await co.findByRequestId(requestId)).toBeNull();
  });
});
