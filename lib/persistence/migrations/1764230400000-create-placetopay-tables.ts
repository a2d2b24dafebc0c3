import {
  Table,
  TableForeignKey,
  TableIndex,
  type MigrationInterface,
  type QueryRunner,
} from 'typeorm';
import type { TableColumnOptions } from 'typeorm/schema-builder/options/TableColumnOptions';
import { bigintColumn, integerColumn, varcharColumn } from './migration-columns';

const text = varcharColumn;
const bigint = bigintColumn;
const integer = integerColumn;
const json = (name: string, nullable = true): TableColumnOptions => ({
  name,
  type: 'text',
  isNullable: nullable,
});

/** Creates `placetopay_payments` and `placetopay_payment_events`, portable to PostgreSQL, MySQL/MariaDB and SQLite. */
export class CreatePlacetoPayTables1764230400000 implements MigrationInterface {
  name = 'CreatePlacetoPayTables1764230400000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // MySQL and MariaDB spell boolean as tinyint, without a display width; only PostgreSQL has a
    // real boolean default. This is what TypeORM expects of the entities on each engine.
    const engine = queryRunner.connection.driver.options.type;
    const mysql = ['mysql', 'mariadb', 'aurora-mysql'].includes(engine);
    const flag = (name: string): TableColumnOptions => ({
      name,
      type: mysql ? 'tinyint' : 'boolean',
      isNullable: false,
      default: engine === 'postgres' ? false : 0,
    });
    await queryRunner.createTable(
      new Table({
        name: 'placetopay_payments',
        columns: [
          { ...text('id', 36), isPrimary: true },
          text('reference', 32),
          bigint('requestId', true),
          { ...text('kind', 16), default: "'payment'" },
          text('processUrl', 512, true),
          text('description', 255),
          text('currency', 3),
          bigint('amountMinor'),
          bigint('paidMinor', false, 0),
          flag('allowPartial'),
          text('status', 32),
          text('statusReason', 64, true),
          text('statusMessage', 255, true),
          bigint('statusDate', true),
          bigint('expiresAt', true),
          bigint('internalReference', true),
          text('authorization', 64, true),
          text('paymentMethod', 64, true),
          text('franchise', 32, true),
          text('lastDigits', 4, true),
          flag('refunded'),
          bigint('refundedMinor', false, 0),
          flag('needsReview'),
          text('reviewReason', 255, true),
          text('buyerEmail', 80, true),
          json('metadata'),
          json('gatewaySnapshot'),
          bigint('nextCheckAt', true),
          integer('checkAttempts', 0),
          text('leaseOwner', 64, true),
          bigint('leaseUntil', true),
          bigint('createdAt'),
          bigint('updatedAt'),
          integer('version', 1),
        ],
        indices: [
          new TableIndex({ name: 'IDX_placetopay_payments_reference', columnNames: ['reference'] }),
          new TableIndex({
            name: 'UQ_placetopay_payments_request_id',
            columnNames: ['requestId'],
            isUnique: true,
          }),
          new TableIndex({
            name: 'IDX_placetopay_payments_next_check',
            columnNames: ['nextCheckAt'],
          }),
        ],
      }),
      true,
    );
    await queryRunner.createTable(
      new Table({
        name: 'placetopay_payment_events',
        columns: [
          { ...text('id', 36), isPrimary: true },
          text('paymentId', 36),
          integer('sequence'),
          text('type', 48),
          text('fromStatus', 32, true),
          text('toStatus', 32, true),
          text('source', 16),
          json('payload', false),
          bigint('createdAt'),
          bigint('publishedAt', true),
        ],
        indices: [
          new TableIndex({
            name: 'UQ_placetopay_payment_events_sequence',
            columnNames: ['paymentId', 'sequence'],
            isUnique: true,
          }),
          new TableIndex({
            name: 'IDX_placetopay_payment_events_published',
            columnNames: ['publishedAt'],
          }),
        ],
        foreignKeys: [
          new TableForeignKey({
            name: 'FK_placetopay_payment_events_payment',
            columnNames: ['paymentId'],
            referencedTableName: 'placetopay_payments',
            referencedColumnNames: ['id'],
            onDelete: 'NO ACTION',
            onUpdate: 'NO ACTION',
          }),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('placetopay_payment_events', true);
    await queryRunner.dropTable('placetopay_payments', true);
  }
}
