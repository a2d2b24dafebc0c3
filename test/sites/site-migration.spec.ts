import {
  PLACETOPAY_ENTITIES,
  PLACETOPAY_MIGRATIONS,
  PlacetoPayInstrument,
  PlacetoPayPayment,
} from 'nestjs-placetopay';
import { DataSource, type Repository } from 'typeorm';
import { PlacetoPayNotification } from '../../lib/persistence/placetopay-notification.entity';
import { PlacetoPayRecurringNotification } from '../../lib/persistence/placetopay-recurring-notification.entity';
import { enginesUnderTest, type TestDatabase } from '../support/databases';
import { insertRawRows } from '../support/raw-rows';

const PAYMENT_ID = '00000000-0000-4000-8000-000000000001';
const NOW = new Date(1_764_000_000_000);

/** One row in each table that gets `site`, written as a single-site install had them. */
const ROWS: Record<string, Record<string, unknown>> = {
  placetopay_payments: {
    id: PAYMENT_ID,
    reference: 'ORDER-1',
    openReference: 'ORDER-1',
    requestId: 7,
    description: 'd',
    currency: 'COP',
    amountMinor: 100,
    status: 'PENDING',
    createdAt: NOW,
    updatedAt: NOW,
  },
  placetopay_payment_events: {
    id: '00000000-0000-4000-8000-000000000002',
    paymentId: PAYMENT_ID,
    sequence: 1,
    type: 'payment.created',
    source: 'api',
    payload: { payment: { id: PAYMENT_ID } },
    createdAt: NOW,
  },
  placetopay_event_deliveries: {
    id: '00000000-0000-4000-8000-000000000003',
    eventId: '00000000-0000-4000-8000-000000000002',
    listenerId: 'Listener.onEvent',
    paymentId: PAYMENT_ID,
    sequence: 1,
    status: 'pending',
    nextAttemptAt: NOW,
    createdAt: NOW,
  },
  placetopay_notifications: {
    id: '00000000-0000-4000-8000-000000000004',
    requestId: 7,
    status: 'APPROVED',
    statusDate: '2026-01-01T00:00:00-05:00',
    signatureAlgorithm: 'sha256',
    state: 'settled',
    nextAttemptAt: NOW,
    receivedAt: NOW,
  },
  placetopay_recurring_notifications: {
    id: '00000000-0000-4000-8000-000000000005',
    internalReference: 9,
    reference: 'ORDER-1',
    status: 'APPROVED',
    statusDate: '2026-01-01T00:00:00-05:00',
    signatureAlgorithm: 'sha256',
    receivedAt: NOW,
  },
  placetopay_instruments: {
    id: '00000000-0000-4000-8000-000000000006',
    sourceRequestId: 7,
    sourcePaymentId: PAYMENT_ID,
    reference: 'ORDER-1',
    type: 'card',
    status: 'active',
    tokenCiphertext: 'v1.x.y.z.w',
    tokenKeyId: 'k1',
    createdAt: NOW,
    updatedAt: NOW,
  },
};

describe.each(enginesUnderTest().map((engine) => [engine.name, engine] as const))(
  'the site migration on %s, with rows present',
  (_name, engine) => {
    let database: TestDatabase;
    let dataSource: DataSource;
    /** AddSite and the migrations after it. */
    const after = PLACETOPAY_MIGRATIONS.slice(
      PLACETOPAY_MIGRATIONS.findIndex((m) => m.name === 'AddSite1764231000000'),
    );

    beforeAll(async () => {
      database = await engine.create();
      dataSource = new DataSource({
        ...database.options,
        entities: PLACETOPAY_ENTITIES,
        migrations: PLACETOPAY_MIGRATIONS,
      });
      await dataSource.initialize();
      // Every migration before AddSite, then a single-site install's rows.
      await dataSource.runMigrations();
      for (let i = 0; i < after.length; i++) await dataSource.undoLastMigration();
      for (const [table, row] of Object.entries(ROWS)) {
        await insertRawRows(dataSource, table, [row]);
      }
      const ran = await dataSource.runMigrations();
      expect(ran.map((m) => m.name)).toEqual(after.map((m) => m.name));
      expect(ran[0].name).toBe('AddSite1764231000000');
    });

    afterAll(async () => {
      await dataSource?.destroy();
      await database?.drop();
    });

    const sitesOf = async (table: string) =>
      (
        (await dataSource.query(
          `SELECT ${dataSource.driver.escape('site')} AS site FROM ${dataSource.driver.escape(table)}`,
        )) as Array<{ site: string }>
      ).map((row) => row.site);

    it('gives every existing row the default site, and leaves no schema change pending', async () => {
      for (const table of Object.keys(ROWS)) expect(await sitesOf(table)).toEqual(['default']);
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    });

    it('makes a reference, a requestId, a notification and an instrument unique per site', async () => {
      const payments = dataSource.getRepository(PlacetoPayPayment);
      const payment = (site: string, id: string) =>
        payments.create({
          ...(ROWS.placetopay_payments as Partial<PlacetoPayPayment>),
          id,
          site,
        });
      // The same open reference and requestId on another site: accepted.
      await payments.insert(payment('co', '00000000-0000-4000-8000-0000000000c1') as never);
      // Again on the default site: refused by the per-site unique keys.
      await expect(
        payments.insert(payment('default', '00000000-0000-4000-8000-0000000000d1') as never),
      ).rejects.toThrow();
      await expectPerSite(
        dataSource.getRepository(PlacetoPayNotification),
        ROWS.placetopay_notifications,
        '00000000-0000-4000-8000-0000000000c4',
      );
      await expectPerSite(
        dataSource.getRepository(PlacetoPayRecurringNotification),
        ROWS.placetopay_recurring_notifications,
        '00000000-0000-4000-8000-0000000000c5',
      );
      await expectPerSite(
        dataSource.getRepository(PlacetoPayInstrument),
        ROWS.placetopay_instruments,
        '00000000-0000-4000-8000-0000000000c6',
      );
    });

    it('reverts (once the sites no longer share a key) and applies again', async () => {
      for (const entity of [
        PlacetoPayPayment,
        PlacetoPayNotification,
        PlacetoPayRecurringNotification,
        PlacetoPayInstrument,
      ]) {
        await dataSource.getRepository(entity).delete({ site: 'co' });
      }
      // TypeORM rebuilds a table to drop a column on SQLite, and turns foreign keys off for
      // runMigrations but not for a revert: the payments' events would block it.
      const sqlite = engine.name === 'sqlite';
      if (sqlite) await dataSource.query('PRAGMA foreign_keys = OFF');
      for (let i = 0; i < after.length; i++) await dataSource.undoLastMigration();
      if (sqlite) await dataSource.query('PRAGMA foreign_keys = ON');
      const runner = dataSource.createQueryRunner();
      try {
        for (const table of Object.keys(ROWS)) {
          expect(await runner.hasColumn(table, 'site')).toBe(false);
        }
      } finally {
        await runner.release();
      }
      await dataSource.runMigrations();
      for (const table of Object.keys(ROWS)) expect(await sitesOf(table)).toEqual(['default']);
      expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
    });
  },
);

/** The row's key is free on another site and taken on its own. */
async function expectPerSite<T extends { site: string; id: string }>(
  repository: Repository<T>,
  row: Record<string, unknown>,
  id: string,
): Promise<void> {
  const copy = (site: string, rowId: string) =>
    repository.create({ ...row, id: rowId, site } as unknown as T);
  await repository.insert(copy('co', id) as never);
  await expect(
    repository.insert(copy('default', `${id.slice(0, -2)}ff`) as never),
  ).rejects.toThrow();
}
