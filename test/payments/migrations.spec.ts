import { PLACETOPAY_ENTITIES, PLACETOPAY_MIGRATIONS, PlacetoPayPayment } from 'nestjs-placetopay';
import { DataSource, DefaultNamingStrategy } from 'typeorm';
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
        'AddSite1764231000000',
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
