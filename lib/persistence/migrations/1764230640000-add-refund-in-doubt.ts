import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';
import { bigintColumn } from './migration-columns';

/** `refundInDoubtMinor`: a refund sent to PlacetoPay whose outcome is not known yet. */
export class AddRefundInDoubt1764230640000 implements MigrationInterface {
  name = 'AddRefundInDoubt1764230640000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      'placetopay_payments',
      new TableColumn(bigintColumn('refundInDoubtMinor', true)),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn('placetopay_payments', 'refundInDoubtMinor');
  }
}
