import {
  PLACETOPAY_ENTITIES,
  PLACETOPAY_MIGRATIONS,
  PaymentStatus,
  PlacetoPayPayment,
} from 'nestjs-placetopay';
import { DataSource, DefaultNamingStrategy, In } from 'typeorm';
import { PlacetoPayRecurringNotification } from '../../lib/persistence/placetopay-recurring-notification.entity';
import { enginesUnderTest, type TestDatabase } from '../support/databases';
import { insertRawRows } from '../support/raw-rows';

describe.each(enginesUnderTest().map((engine) => [engine.name, engine] as const))(
  'migrations on %s',
  (_name, engine) => {
    let database: TestDatabase;
    let dataSource: DataSource;

    beforeAll(async () => {
      database = await engine.create();
      dataSource = new DataSource({
        ...database.options,
        entities: PLACETOPAY_ENTITIES,
        migrations: PLACETOPAY_MIGRATIONS,
      });
      await dataSource.initialize();
    });

    afterAll(async () => {
      await dataSource?.destroy();
      await database?.drop();
    });

    it('creates the schema the entities describe: TypeORM sees no pending change', async () => {
      const ran = await dataSource.runMigrations();
      expect(ran.map((m) => m.name)).toEqual([
        'CreatePlacetoPayTables1764230400000',
        'CreatePlacetoPayEventDeliveries1764230460000',
        'CreatePlacetoPayNotifications1764230520000',
        'AddOpenReference1764230580000',
        'AddRefundInDoubt1764230640000',
        'UnscheduleFinalPayments1764230700000',
        'CreatePlacetoPayInstruments1764230760000',
        'IndexNotificationReference1764230790000',
        'CreatePlacetoPayRecurringNotifications1764230820000',
        'TrackRecurringChargeEvents1764230880000',
        'ScheduleUnconfirmedSessions1764230940000',
        'AddSite1764231000000',
        'AddEventTraceparent1764231100000',
        'RecurringChargesAsPayments1764231200000',
      ]);
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
      expect(await dataSource.showMigrations()).toBe(false);
    });

    it('takes payments settled before the probe existed off its schedule', async () => {
      // Back to before UnscheduleFinalPayments (the migrations after it first).
      const after = PLACETOPAY_MIGRATIONS.findIndex(
        (m) => m.name === 'UnscheduleFinalPayments1764230700000',
      );
      for (let i = after; i < PLACETOPAY_MIGRATIONS.length; i++)
        await dataSource.undoLastMigration();
      const payments = dataSource.getRepository(PlacetoPayPayment);
      const row = (id: string, status: string) => ({
        id,
        reference: id,
        openReference: null,
        requestId: null,
        description: 'd',
        currency: 'COP',
        amountMinor: 100,
        status: status as PlacetoPayPayment['status'],
        nextCheckAt: new Date(1_000),
        leaseOwner: 'replica:1',
        leaseUntil: new Date(2_000),
        createdAt: new Date(),
        updatedAt: new Date(),
      });
      // The tables are as they were then: the entity's newer columns (site) are not there yet.
      await insertRawRows(dataSource, 'placetopay_payments', [
        row('settled-1', 'APPROVED'),
        row('open-1', 'PENDING'),
      ]);
      await dataSource.runMigrations();
      expect(await payments.findOneByOrFail({ id: 'settled-1' })).toMatchObject({
        nextCheckAt: null,
        leaseOwner: null,
        leaseUntil: null,
      });
      expect(await payments.findOneByOrFail({ id: 'open-1' })).toMatchObject({
        nextCheckAt: new Date(1_000),
        leaseOwner: 'replica:1',
      });
      await payments.delete(['settled-1', 'open-1']);
    });

    it('schedules a check for UNKNOWN redirect payments written without one, and only those', async () => {
      // Back to before ScheduleUnconfirmedSessions (then AddSite comes after it).
      const at = PLACETOPAY_MIGRATIONS.findIndex(
        (migration) => migration.name === 'ScheduleUnconfirmedSessions1764230940000',
      );
      for (let i = at; i < PLACETOPAY_MIGRATIONS.length; i++) await dataSource.undoLastMigration();
      const payments = dataSource.getRepository(PlacetoPayPayment);
      const expiresAt = new Date(1_700_000_000_000);
      type Changes = Partial<
        Pick<
          PlacetoPayPayment,
          'kind' | 'status' | 'requestId' | 'openReference' | 'expiresAt' | 'nextCheckAt'
        >
      >;
      const row = (id: string, changes: Changes) => ({
        id,
        reference: id,
        openReference: id,
        requestId: null,
        kind: 'payment' as const,
        description: 'd',
        currency: 'COP',
        amountMinor: 100,
        status: PaymentStatus.UNKNOWN,
        expiresAt,
        nextCheckAt: null,
        leaseOwner: null,
        leaseUntil: null,
        needsReview: true,
        createdAt: new Date(),
        updatedAt: new Date(),
        ...changes,
      });
      const rows = [
        row('redirect', {}),
        row('subscription', { kind: 'subscription' }),
        row('collect', { kind: 'collect' }),
        row('no-expiry', { expiresAt: null }),
        row('with-request', { requestId: 4242 }),
        row('failed', { status: PaymentStatus.FAILED, openReference: null }),
        row('scheduled', { nextCheckAt: new Date(1_800_000_000_000) }),
      ];
      // Plain SQL: the table has no `site` column yet.
      await insertRawRows(dataSource, 'placetopay_payments', rows);
      await dataSource.runMigrations();
      const schedule = async () =>
        Object.fromEntries(
          (await payments.findBy({ id: In(rows.map((r) => r.id)) })).map((p) => [
            p.id,
            p.nextCheckAt?.getTime() ?? null,
          ]),
        );
      expect(await schedule()).toEqual({
        redirect: expiresAt.getTime(),
        subscription: expiresAt.getTime(),
        collect: null,
        'no-expiry': null,
        'with-request': null,
        failed: null,
        scheduled: 1_800_000_000_000,
      });

      // Idempotent: run again after the probe moved a check date, it keeps the probe's.
      await payments.update({ id: 'redirect' }, { nextCheckAt: new Date(1_750_000_000_000) });
      const runner = dataSource.createQueryRunner();
      try {
        await new PLACETOPAY_MIGRATIONS[at]().up(runner);
      } finally {
        await runner.release();
      }
      expect((await schedule()).redirect).toBe(1_750_000_000_000);
      await payments.delete(rows.map((r) => r.id));
    });

    it('keeps recurring notifications and payments recorded before charges became payments', async () => {
      await dataSource.undoLastMigration();
      // The tables as they were: no parentPaymentId, no chargePaymentId yet.
      await insertRawRows(dataSource, 'placetopay_payments', [
        {
          id: 'original',
          reference: 'SUB-1',
          openReference: 'SUB-1',
          requestId: 77,
          description: 'd',
          currency: 'COP',
          amountMinor: 100,
          status: PaymentStatus.APPROVED,
          createdAt: new Date(),
          updatedAt: new Date(),
        },
      ]);
      const notification = (id: string, internalReference: number, eventState: string) => ({
        id,
        internalReference,
        reference: 'SUB-1',
        status: 'APPROVED',
        statusDate: '2026-01-01T00:00:00-05:00',
        signatureAlgorithm: 'sha256',
        verified: true,
        paymentId: 'original',
        receivedAt: new Date(),
        eventState,
        nextEventAt: eventState === 'pending' ? new Date(5_000) : null,
      });
      await insertRawRows(dataSource, 'placetopay_recurring_notifications', [
        notification('written-1', 501, 'written'),
        notification('pending-1', 502, 'pending'),
      ]);
      await dataSource.runMigrations();
      expect(
        await dataSource.getRepository(PlacetoPayPayment).findOneByOrFail({ id: 'original' }),
      ).toMatchObject({ parentPaymentId: null, kind: 'payment', status: PaymentStatus.APPROVED });
      const rows = await dataSource
        .getRepository(PlacetoPayRecurringNotification)
        .find({ order: { internalReference: 'ASC' } });
      expect(
        rows.map((r) => [r.id, r.eventState, r.chargePaymentId, r.nextEventAt?.getTime() ?? null]),
      ).toEqual([
        ['written-1', 'written', null, null],
        // Still pending: the new code settles it as a charge (a payment row) from its session.
        ['pending-1', 'pending', null, 5_000],
      ]);
      // Two charges of one original payment may be rows; the same charge twice may not.
      const payments = dataSource.getRepository(PlacetoPayPayment);
      const charge = (id: string, internalReference: number) =>
        payments.insert({
          id,
          reference: 'SUB-1',
          openReference: null,
          requestId: null,
          kind: 'recurring',
          parentPaymentId: 'original',
          internalReference,
          description: 'd',
          currency: 'COP',
          amountMinor: 100,
          status: PaymentStatus.APPROVED,
          createdAt: new Date(),
          updatedAt: new Date(),
        });
      await charge('charge-1', 501);
      await charge('charge-2', 502);
      await expect(charge('charge-3', 502)).rejects.toThrow();
      await payments.delete(['original', 'charge-1', 'charge-2']);
      await dataSource.getRepository(PlacetoPayRecurringNotification).clear();
    });

    it('reverts cleanly and applies again', async () => {
      for (let i = 0; i < PLACETOPAY_MIGRATIONS.length; i++) await dataSource.undoLastMigration();
      const runner = dataSource.createQueryRunner();
      try {
        expect(await runner.hasTable('placetopay_payments')).toBe(false);
        expect(await runner.hasTable('placetopay_payment_events')).toBe(false);
      } finally {
        await runner.release();
      }
      await dataSource.runMigrations();
      expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
    });
  },
);

describe('a host naming strategy', () => {
  it("does not change the module's column names", async () => {
    class SnakeCase extends DefaultNamingStrategy {
      override columnName(propertyName: string, customName: string, prefixes: string[]): string {
        return (
          customName ||
          super.columnName(
            propertyName.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`),
            '',
            prefixes,
          )
        );
      }
    }
    const dataSource = new DataSource({
      type: 'better-sqlite3',
      database: ':memory:',
      entities: PLACETOPAY_ENTITIES,
      migrations: PLACETOPAY_MIGRATIONS,
      namingStrategy: new SnakeCase(),
    });
    await dataSource.initialize();
    try {
      await dataSource.runMigrations();
      expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
    } finally {
      await dataSource.destroy();
    }
  });
});
