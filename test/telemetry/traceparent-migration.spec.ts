import {
  PLACETOPAY_ENTITIES,
  PLACETOPAY_MIGRATIONS,
  PlacetoPayPaymentEvent,
} from 'nestjs-placetopay';
import { DataSource } from 'typeorm';
import { enginesUnderTest, type TestDatabase } from '../support/databases';
import { insertRawRows } from '../support/raw-rows';

const PAYMENT_ID = '00000000-0000-4000-8000-000000000001';
const EVENT_ID = '00000000-0000-4000-8000-000000000002';
const NOW = new Date(1_764_000_000_000);
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe.each(enginesUnderTest().map((engine) => [engine.name, engine] as const))(
  'the event traceparent migration on %s, with rows present',
  (_name, engine) => {
    let database: TestDatabase;
    let dataSource: DataSource;

    /** AddEventTraceparent and the migrations after it: undone to arrange, then run again. */
    const after = PLACETOPAY_MIGRATIONS.slice(
      PLACETOPAY_MIGRATIONS.findIndex((m) => m.name === 'AddEventTraceparent1764231100000'),
    );

    beforeAll(async () => {
      database = await engine.create();
      dataSource = new DataSource({
        ...database.options,
        entities: PLACETOPAY_ENTITIES,
        migrations: PLACETOPAY_MIGRATIONS,
      });
      await dataSource.initialize();
      await dataSource.runMigrations();
      for (let i = 0; i < after.length; i++) await dataSource.undoLastMigration();
      // An event written before the column existed.
      await insertRawRows(dataSource, 'placetopay_payments', [
        {
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
      ]);
      await insertRawRows(dataSource, 'placetopay_payment_events', [
        {
          id: EVENT_ID,
          paymentId: PAYMENT_ID,
          sequence: 1,
          type: 'payment.created',
          source: 'api',
          payload: { payment: { id: PAYMENT_ID } },
          createdAt: NOW,
        },
      ]);
      const ran = await dataSource.runMigrations();
      expect(ran.map((m) => m.name)).toEqual(after.map((m) => m.name));
    });

    afterAll(async () => {
      await dataSource?.destroy();
      await database?.drop();
    });

    const events = () => dataSource.getRepository(PlacetoPayPaymentEvent);

    it('leaves older events without a trace, keeps a new one, and no schema change pending', async () => {
      expect((await events().findOneByOrFail({ id: EVENT_ID })).traceparent).toBeNull();
      await events().update({ id: EVENT_ID }, { traceparent: TRACEPARENT });
      expect((await events().findOneByOrFail({ id: EVENT_ID })).traceparent).toBe(TRACEPARENT);
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    });

    it('reverts cleanly, keeping the rows, and applies again', async () => {
      // SQLite rebuilds a table to drop a column: with rows referencing it, only with foreign keys
      // off (TypeORM turns them off for runMigrations, not for a revert).
      const sqlite = dataSource.options.type === 'better-sqlite3';
      if (sqlite) await dataSource.query('PRAGMA foreign_keys = OFF');
      for (let i = 0; i < after.length; i++) await dataSource.undoLastMigration();
      if (sqlite) await dataSource.query('PRAGMA foreign_keys = ON');
      const columns = (await dataSource
        .createQueryRunner()
        .getTable('placetopay_payment_events'))!.columns.map((column) => column.name);
      expect(columns).not.toContain('traceparent');
      const count = await dataSource.query(
        `SELECT COUNT(*) AS n FROM ${dataSource.driver.escape('placetopay_payment_events')}`,
      );
      expect(Number(count[0].n)).toBe(1);
      await dataSource.runMigrations();
      expect((await events().findOneByOrFail({ id: EVENT_ID })).traceparent).toBeNull();
    });
  },
);
