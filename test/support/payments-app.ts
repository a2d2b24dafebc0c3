import type { INestApplication, Provider } from '@nestjs/common';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TypeOrmModule, getRepositoryToken } from '@nestjs/typeorm';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  PLACETOPAY_CLOCK,
  PLACETOPAY_ENTITIES,
  type PlacetoPayClock,
  PLACETOPAY_MIGRATIONS,
  PaymentStatus,
  PlacetoPayModule,
  PlacetoPayPayment,
  PlacetoPayPaymentRepository,
  PlacetoPayService,
  type PlacetoPayModuleOptions,
} from 'nestjs-placetopay';
import { DatabaseClock } from '../../lib/persistence/database-clock';
import { EventDispatcher } from '../../lib/events/event-dispatcher';
import { PaymentLifecycle } from '../../lib/payments/payment-lifecycle';
import { type RedirectInformation } from 'nestjs-placetopay/wire';
import { DataSource, type Logger as TypeOrmLogger, type Repository } from 'typeorm';
import type { Engine, TestDatabase } from './databases';
import { LOGIN, SECRET_KEY } from './fixtures';
import type { LogCapture } from './log-capture';

export interface PaymentsApp {
  moduleRef: TestingModule;
  lifecycle: PaymentLifecycle;
  service: PlacetoPayService;
  repository: PlacetoPayPaymentRepository;
  /** The payments table itself, for tests that arrange or inspect rows directly. */
  payments: Repository<PlacetoPayPayment>;
  dataSource: DataSource;
  dispatcher: EventDispatcher;
  database: TestDatabase;
  /** The HTTP base URL when started with `listen`. */
  url?: string;
  close(): Promise<void>;
}

/** A Nest app with TypeORM on a fresh database of `engine`, migrated, and the full module. */
export interface PaymentsAppExtras {
  /** Providers of the host app (listeners, ...). */
  providers?: Provider[];
  clock?: PlacetoPayClock;
  /** Replaces the database's clock (what the probe's schedule and leases run on). */
  databaseClock?: Pick<DatabaseClock, 'now'>;
  /** Share a database with another app instead of creating one (it is not dropped on close). */
  database?: TestDatabase;
  /** Serve HTTP on a loopback port (the webhook route included); `url` is its base. */
  listen?: boolean;
  /** Every SQL statement the app sends is pushed here (BEGIN and COMMIT included). */
  statements?: string[];
}

export async function startPaymentsApp(
  engine: Engine,
  options: PlacetoPayModuleOptions = {},
  logs?: LogCapture,
  extras: PaymentsAppExtras = {},
): Promise<PaymentsApp> {
  const database = extras.database ?? (await engine.create());
  const builder = Test.createTestingModule({
    providers: extras.providers ?? [],
    imports: [
      TypeOrmModule.forRoot({
        ...database.options,
        entities: PLACETOPAY_ENTITIES,
        migrations: PLACETOPAY_MIGRATIONS,
        migrationsRun: true,
        logging: false,
        ...(extras.statements ? { logger: statementLog(extras.statements) } : {}),
      }),
      PlacetoPayModule.forRoot({
        login: LOGIN,
        secretKey: SECRET_KEY,
        baseUrl: 'https://checkout-test.placetopay.com',
        retryBaseDelayMs: 1,
        retryMaxDelayMs: 5,
        // Suites that test the probe turn it on; the others run passes with runProbe() if at all.
        probeEnabled: false,
        // The default base URL is the real test gateway: no start-up call to it from a test.
        verifyCredentials: 'off',
        // A journal of its own, as each replica has in production: what one app leaves in its
        // journal is never replayed into another app's database (pass journalDir to share one).
        journalDir: mkdtempSync(join(process.env.PLACETOPAY_JOURNAL_DIR ?? tmpdir(), 'app-')),
        ...options,
      }),
    ],
  });
  if (logs) builder.setLogger(logs);
  if (extras.clock) builder.overrideProvider(PLACETOPAY_CLOCK).useValue(extras.clock);
  if (extras.databaseClock) {
    builder.overrideProvider(DatabaseClock).useValue(extras.databaseClock);
  }
  const moduleRef = await builder.compile();
  let url: string | undefined;
  let http: INestApplication | undefined;
  if (extras.listen) {
    http = moduleRef.createNestApplication({ logger: logs ?? false });
    await http.listen(0, '127.0.0.1');
    url = (await http.getUrl()).replace('[::1]', '127.0.0.1');
  } else {
    await moduleRef.init();
  }
  return {
    url,
    moduleRef,
    lifecycle: moduleRef.get(PaymentLifecycle),
    service: moduleRef.get(PlacetoPayService),
    repository: moduleRef.get(PlacetoPayPaymentRepository),
    payments: moduleRef.get(getRepositoryToken(PlacetoPayPayment)),
    dataSource: moduleRef.get(DataSource),
    dispatcher: moduleRef.get(EventDispatcher),
    database,
    async close() {
      await (http ?? moduleRef).close();
      if (!extras.database) await database.drop();
    },
  };
}

let nextRequestId = 10_000;
let seeded = 0;

/** A payment in `status` with a requestId, as if it had got there through the lifecycle. */
export async function seedPayment(
  app: PaymentsApp,
  status: PaymentStatus,
  overrides: Partial<PlacetoPayPayment> = {},
): Promise<PlacetoPayPayment> {
  const payment = await app.lifecycle.open({
    reference: `REF-${++seeded}`,
    description: 'Seeded',
    currency: 'COP',
    amountMinor: 12_500_000,
  });
  const changes: Partial<PlacetoPayPayment> = {
    status,
    requestId: status === PaymentStatus.CREATING ? null : nextRequestId++,
    statusDate: new Date('2024-01-01T00:00:00Z'),
    ...overrides,
  };
  await app.payments.update({ id: payment.id }, changes as never);
  return (await app.repository.findById(payment.id))!;
}

export interface ObservedSessionOptions {
  currency?: string;
  total?: number;
  paid?: number;
  date?: string;
  refunded?: boolean;
}

/** What a session query would answer for a payment of 125000 COP. */
export function observedSession(
  requestId: number,
  status: string,
  options: ObservedSessionOptions = {},
): RedirectInformation {
  const currency = options.currency ?? 'COP';
  const total = options.total ?? 125_000;
  const date = options.date ?? new Date().toISOString();
  const paid =
    options.paid ??
    (status === 'APPROVED'
      ? total
      : status === 'APPROVED_PARTIAL' || status === 'PARTIAL_EXPIRED'
        ? total / 2
        : 0);
  const transaction = (txStatus: string, amount: number) => ({
    status: { status: txStatus, reason: '00', message: txStatus, date },
    internalReference: 900_000 + requestId,
    reference: 'REF',
    paymentMethod: 'visa',
    paymentMethodName: 'Visa',
    issuerName: 'BANK',
    amount: { from: { currency, total: amount }, to: { currency, total: amount }, factor: 1 },
    authorization: '123456',
    receipt: '1',
    franchise: 'CR_VS',
    refunded: options.refunded ?? false,
    processorFields: [{ keyword: 'lastDigits', value: '1111' }],
  });
  return {
    requestId,
    status: { status, reason: status === 'APPROVED' ? '00' : 'PT', message: status, date },
    request: { payment: { reference: 'REF', description: 'd', amount: { currency, total } } },
    payment:
      paid > 0
        ? [transaction('APPROVED', paid)]
        : status === 'REJECTED'
          ? [transaction('REJECTED', total)]
          : [],
    subscription: null,
    autopay: null,
  };
}

/** A TypeORM logger that keeps the text of every statement sent. */
function statementLog(statements: string[]): TypeOrmLogger {
  const ignore = () => undefined;
  return {
    logQuery: (query) => void statements.push(query),
    logQueryError: ignore,
    logQuerySlow: ignore,
    logSchemaBuild: ignore,
    logMigration: ignore,
    log: ignore,
  };
}
