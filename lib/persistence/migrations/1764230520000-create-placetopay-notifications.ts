import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { bigintColumn, integerColumn, varcharColumn } from './migration-columns';

/** Creates `placetopay_notifications`: the webhook's inbox. */
export class CreatePlacetoPayNotifications1764230520000 implements MigrationInterface {
  name = 'CreatePlacetoPayNotifications1764230520000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const text = varcharColumn;
    const bigint = bigintColumn;
    await queryRunner.createTable(
      new Table({
        name: 'placetopay_notifications',
        columns: [
          { ...text('id', 36), isPrimary: true },
          bigint('requestId'),
          text('status', 32),
          text('statusDate', 40),
          text('reference', 64, true),
          text('signatureAlgorithm', 8),
          text('state', 16),
          integerColumn('attempts', 0),
          bigint('nextAttemptAt'),
          text('lastError', 500, true),
          bigint('receivedAt'),
          bigint('settledAt', true),
        ],
        indices: [
          new TableIndex({
            name: 'UQ_placetopay_notifications_key',
            columnNames: ['requestId', 'status', 'statusDate'],
            isUnique: true,
          }),
          new TableIndex({
            name: 'IDX_placetopay_notifications_due',
            columnNames: ['state', 'nextAttemptAt'],
          }),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('placetopay_notifications', true);
  }
}
