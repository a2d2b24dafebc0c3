import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { varcharColumn } from './migration-columns';

/**
 * `traceparent` on outbox events: the W3C trace context active when the event was written (the
 * webhook's, the probe pass's, the host request's), so that each delivery's span links to the
 * trace that caused it (docs/operations.md). Null without OpenTelemetry, and for older rows.
 */
export class AddEventTraceparent1764231100000 implements MigrationInterface {
  name = 'AddEventTraceparent1764231100000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'placetopay_payment_events',
      new TableColumn(varcharColumn('traceparent', 55, true)),
    );
  }

  /** On SQLite, as for every migration that drops a column there, run it with foreign keys off. */
  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('placetopay_payment_events', 'traceparent');
  }
}
