import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { varcharColumn } from './migration-columns';

/**
 * `openReference`: the reference while the payment blocks a new one for it (CREATING to APPROVED),
 * NULL otherwise, under a unique index. The database, not a process, refuses a second open payment
 * for a reference, across replicas.
 */
export class AddOpenReference1764230580000 implements MigrationInterface {
  name = 'AddOpenReference1764230580000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'placetopay_payments',
      new TableColumn(varcharColumn('openReference', 32, true)),
    );
    await queryRunner.createIndex(
      'placetopay_payments',
      new TableIndex({
        name: 'UQ_placetopay_payments_open_reference',
        columnNames: ['openReference'],
        isUnique: true,
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('placetopay_payments', 'UQ_placetopay_payments_open_reference');
    await queryRunner.dropColumn('placetopay_payments', 'openReference');
  }
}
