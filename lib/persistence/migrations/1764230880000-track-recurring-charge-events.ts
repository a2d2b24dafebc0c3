import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { bigintColumn, varcharColumn } from './migration-columns';

const TABLE = 'placetopay_recurring_notifications';
const INDEX = 'IDX_placetopay_recurring_notifications_next_event';

/**
 * Tracks each recurring notification's `payment.recurring_charge` event, so one whose write failed
 * is written later: `eventState` (`pending`, `written`, `none`) and `nextEventAt`. Rows recorded
 * before it take `none`: their events were written then, or logged as not written.
 */
export class TrackRecurringChargeEvents1764230880000 implements MigrationInterface {
  name = 'TrackRecurringChargeEvents1764230880000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumns(TABLE, [
      new TableColumn({ ...varcharColumn('eventState', 16), default: "'none'" }),
      new TableColumn(bigintColumn('nextEventAt', true)),
    ]);
    await queryRunner.createIndex(
      TABLE,
      new TableIndex({ name: INDEX, columnNames: ['nextEventAt'] }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex(TABLE, INDEX);
    await queryRunner.dropColumn(TABLE, 'nextEventAt');
    await queryRunner.dropColumn(TABLE, 'eventState');
  }
}
