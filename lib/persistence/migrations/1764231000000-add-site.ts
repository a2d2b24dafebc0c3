import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { siteColumn } from './migration-columns';

/** The tables whose rows carry `site`. */
const TABLES = [
  'placetopay_payments',
  'placetopay_payment_events',
  'placetopay_event_deliveries',
  'placetopay_notifications',
  'placetopay_recurring_notifications',
  'placetopay_instruments',
];

/** The unique keys that become per site: [table, index, columns before]. */
const UNIQUE_KEYS: Array<[string, string, string[]]> = [
  ['placetopay_payments', 'UQ_placetopay_payments_request_id', ['requestId']],
  ['placetopay_payments', 'UQ_placetopay_payments_open_reference', ['openReference']],
  [
    'placetopay_notifications',
    'UQ_placetopay_notifications_key',
    ['requestId', 'status', 'statusDate'],
  ],
  [
    'placetopay_recurring_notifications',
    'UQ_placetopay_recurring_notifications_key',
    ['internalReference', 'status', 'statusDate'],
  ],
  ['placetopay_instruments', 'UQ_placetopay_instruments_source', ['sourceRequestId']],
];

/**
 * Several sites (merchant accounts) in one app: every row carries its `site`, `default` for the
 * rows written before (the unnamed registration's), and a reference, a requestId, a notification
 * and an instrument's session are unique per site, not across sites.
 */
export class AddSite1764231000000 implements MigrationInterface {
  name = 'AddSite1764231000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    for (const table of TABLES) {
      await queryRunner.addColumn(table, new TableColumn(siteColumn()));
    }
    for (const [table, name, columns] of UNIQUE_KEYS) {
      await queryRunner.dropIndex(table, name);
      await queryRunner.createIndex(
        table,
        new TableIndex({ name, columnNames: ['site', ...columns], isUnique: true }),
      );
    }
  }

  /**
   * Fails while two sites share a key: one site's rows must go first. On SQLite, as for every
   * migration that drops a column there, run it with foreign keys off (TypeORM rebuilds the
   * table, and turns them off for `runMigrations` but not for a revert).
   */
  async down(queryRunner: QueryRunner): Promise<void> {
    for (const [table, name, columns] of UNIQUE_KEYS) {
      await queryRunner.dropIndex(table, name);
      await queryRunner.createIndex(
        table,
        new TableIndex({ name, columnNames: columns, isUnique: true }),
      );
    }
    for (const table of TABLES) await queryRunner.dropColumn(table, 'site');
  }
}
