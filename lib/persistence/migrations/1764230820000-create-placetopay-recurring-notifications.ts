import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import type { TableColumnOptions } from 'typeorm/schema-builder/options/TableColumnOptions';
import { bigintColumn, varcharColumn } from './migration-columns';

/** Creates `placetopay_recurring_notifications`: every recurring-charge notification received. */
export class CreatePlacetoPayRecurringNotifications1764230820000 implements MigrationInterface {
  name = 'CreatePlacetoPayRecurringNotifications1764230820000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const text = varcharColumn;
    const bigint = bigintColumn;
    // MySQL and MariaDB spell boolean as tinyint, without a display width; only PostgreSQL has a
    // real boolean default (as in CreatePlacetoPayTables1764230400000).
    const engine = queryRunner.connection.driver.options.type;
    const mysql = ['mysql', 'mariadb', 'aurora-mysql'].includes(engine);
    const flag = (name: string, isNullable: boolean): TableColumnOptions => ({
      name,
      type: mysql ? 'tinyint' : 'boolean',
      isNullable,
      ...(isNullable ? {} : { default: engine === 'postgres' ? false : 0 }),
    });
    await queryRunner.createTable(
      new Table({
        name: 'placetopay_recurring_notifications',
        columns: [
          { ...text('id', 36), isPrimary: true },
          bigint('internalReference'),
          text('reference', 64),
          text('status', 32),
          text('statusDate', 40),
          text('reason', 64, true),
          text('message', 255, true),
          { name: 'tries', type: 'integer', isNullable: true },
          flag('enabled', true),
          text('signatureAlgorithm', 8),
          flag('verified', false),
          text('paymentId', 36, true),
          bigint('receivedAt'),
        ],
        indices: [
          new TableIndex({
            name: 'UQ_placetopay_recurring_notifications_key',
            columnNames: ['internalReference', 'status', 'statusDate'],
            isUnique: true,
          }),
          new TableIndex({
            name: 'IDX_placetopay_recurring_notifications_payment',
            columnNames: ['paymentId'],
          }),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('placetopay_recurring_notifications', true);
  }
}
