import type { INestApplication, Provider } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { TypeOrmModule, type TypeOrmModuleOptions } from '@nestjs/typeorm';
import {
  PLACETOPAY_ENTITIES,
  PLACETOPAY_MIGRATIONS,
  PlacetoPayModule,
  getPlacetoPayServiceToken,
  type CreatePaymentInput,
  type PlacetoPayModuleOptions,
  type PlacetoPayService,
} from 'nestjs-placetopay';
import type { ManualClock, PlacetoPaySimulator } from 'nestjs-placetopay/testing';
import { DataSource } from 'typeorm';
import { NotificationInbox } from '../../lib/notifications/notification-inbox';
import { DatabaseClock } from '../../lib/persistence/database-clock';
import type { TestDatabase } from './databases';
import type { LogCapture } from './log-capture';
import { siteProvider } from './site-internals';

/** Two merchant accounts, each with its own credentials at its own simulator. */
export const CO = { login: 'site-co-login', secretKey: 'co-secret-key-0001' };
export const EC = { login: 'site-ec-login', secretKey: 'ec-secret-key-0002' };
export const SITES = ['co', 'ec'] as const;
export type SiteName = (typeof SITES)[number];
/** Never during a test: the jobs are registered, passes are started by hand (or by firing them). */
export const NEVER = '0 0 1 1 *';

export interface TwoSitesApp {
  app: INestApplication;
  /** The HTTP base URL (both sites' webhook routes). */
  url: string;
  services: Record<SiteName, PlacetoPayService>;
  dataSource: DataSource;
  inbox(site: SiteName): NotificationInbox;
  close(): Promise<void>;
}

export interface TwoSitesAppSettings {
  database: TestDatabase;
  simulators: Record<SiteName, PlacetoPaySimulator>;
  /** The database's clock for every site (what the probe's schedule and leases run on). */
  databaseClock: ManualClock;
  /** Options of both sites (per-site ones in `perSite`). */
  options?: PlacetoPayModuleOptions;
  perSite?: Partial<Record<SiteName, PlacetoPayModuleOptions>>;
  providers?: Provider[];
  logs?: LogCapture;
  /** Merged into the DataSource's options (a smaller pool for replicas, ...). */
  databaseOptions?: Record<string, unknown>;
}

/**
 * One Nest HTTP app with two named sites, `co` and `ec`, each against its own simulator, on one
 * migrated database (a shared one: the caller creates and drops it), listening on loopback.
 */
export async function startTwoSitesApp(settings: TwoSitesAppSettings): Promise<TwoSitesApp> {
  const { database, simulators, logs } = settings;
  const site = (name: SiteName, credentials: typeof CO) =>
    PlacetoPayModule.forRoot({
      name,
      ...credentials,
      baseUrl: simulators[name].url,
      eventPollMs: 0,
      queryAttempts: 1,
      timeoutMs: 5_000,
      probeCron: NEVER,
      probeFirstCheckMs: 0,
      ...settings.options,
      ...settings.perSite?.[name],
    });
  const builder = Test.createTestingModule({
    providers: settings.providers ?? [],
    imports: [
      ScheduleModule.forRoot(),
      TypeOrmModule.forRoot({
        ...database.options,
        ...(settings.databaseOptions as object),
        entities: PLACETOPAY_ENTITIES,
        migrations: PLACETOPAY_MIGRATIONS,
        migrationsRun: true,
        logging: false,
      } as TypeOrmModuleOptions),
      site('co', CO),
      site('ec', EC),
    ],
  })
    // Every site's module has its own DatabaseClock; all of them read the test's clock.
    .overrideProvider(DatabaseClock)
    .useValue({ now: async () => settings.databaseClock.now() });
  if (logs) builder.setLogger(logs);
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication({ logger: logs ?? false });
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    app,
    url,
    services: {
      co: app.get(getPlacetoPayServiceToken('co')),
      ec: app.get(getPlacetoPayServiceToken('ec')),
    },
    dataSource: app.get(DataSource),
    inbox: (name) => siteProvider<NotificationInbox>(app, name, NotificationInbox),
    close: () => app.close(),
  };
}

/** An order of `reference`: COP on co, USD on ec. */
export function order(reference: string, site: SiteName): CreatePaymentInput {
  const currency = site === 'co' ? 'COP' : 'USD';
  return {
    reference,
    description: 'Coffee',
    amount: { currency, total: currency === 'COP' ? 100_000 : 25 },
    returnUrl: 'https://shop.example.com/return',
    ipAddress: '127.0.0.1',
    userAgent: 'jest',
  };
}

/** The number of session queries each requestId got at a simulator. */
export function queriesPerSession(simulator: PlacetoPaySimulator): Map<number, number> {
  const counts = new Map<number, number>();
  for (const entry of simulator.requestLog) {
    if (entry.operation === 'getSession' && entry.requestId !== undefined) {
      counts.set(entry.requestId, (counts.get(entry.requestId) ?? 0) + 1);
    }
  }
  return counts;
}

/** Empties the tables the tests write to (children first), so each test sees only its own rows. */
export async function emptyTables(dataSource: DataSource): Promise<void> {
  for (const table of [
    'placetopay_event_deliveries',
    'placetopay_payment_events',
    'placetopay_notifications',
    'placetopay_payments',
  ]) {
    await dataSource.query(`DELETE FROM ${dataSource.driver.escape(table)}`);
  }
}
