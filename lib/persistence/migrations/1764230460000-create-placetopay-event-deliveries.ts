import { Table, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { bigintColumn, integerColumn, varcharColumn } from './migration-columns';

/** Creates `placetopay_event_deliveries`: one row per (event, listener) pair. */
export class CreatePlacetoPayEventDeliveries1764230460000 implements MigrationInterface {
  name = 'CreatePlacetoPayEventDeliveries1764230460000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const text = varcharColumn;
    const bigint = bigintColumn;
    await queryRunner.createTable(
      new Table({
        name: 'placetopay_event_deliveries',
        columns: [
          { ...text('id', 36), isPrimary: true },
          text('eventId', 36),
          text('listenerId', 200),
          text('paymentId', 36),
          integerColumn('sequence'),
          text('status', 16),
          integerColumn('attempts', 0),
          bigint('nextAttemptAt'),
          text('leaseOwner', 64, true),
          bigint('leaseUntil', true),
          text('lastError', 1000, true),
          bigint('deliveredAt', true),
          bigint('createdAt'),
        ],
        indices: [
          new TableIndex({
            name: 'UQ_placetopay_event_deliveries_pair',
            columnNames: ['eventId', 'listenerId'],
            isUnique: true,
          }),
          new TableIndex({
            name: 'IDX_placetopay_event_deliveries_due',
            columnNames: ['status', 'nextAttemptAt'],
          }),
          new TableIndex({
            name: 'IDX_placetopay_event_deliveries_order',
            columnNames: ['paymentId', 'listenerId', 'sequence'],
          }),
        ],
      }),
      true,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropTable('placetopay_event_deliveries', true);
  }
}
