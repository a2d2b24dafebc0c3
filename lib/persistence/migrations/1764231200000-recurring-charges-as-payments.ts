import { TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { varcharColumn } from './migration-columns';

const PAYMENTS = 'placetopay_payments';
const RECURRING = 'placetopay_recurring_notifications';
const INDEX = 'UQ_placetopay_payments_recurring_charge';

/**
 * Recurring charges become payment rows (kind `recurring`): `parentPaymentId` links one to its
 * original payment, unique with the charge's internalReference per site; a recurring
 * notification's `chargePaymentId` names the row it became. Rows recorded before keep their state;
 * a `pending` one (its event never written) is settled as a charge by the new code.
 */
export class RecurringChargesAsPayments1764231200000 implements MigrationInterface {
  name = 'RecurringChargesAsPayments1764231200000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.addColumn(
      PAYMENTS,
      new TableColumn(varcharColumn('parentPaymentId', 36, true)),
    );
    await queryRunner.createIndex(
      PAYMENTS,
      new TableIndex({
        name: INDEX,
        columnNames: ['site', 'parentPaymentId', 'internalReference'],
        isUnique: true,
      }),
    );
    await queryRunner.addColumn(
      RECURRING,
      new TableColumn(varcharColumn('chargePaymentId', 36, true)),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropColumn(RECURRING, 'chargePaymentId');
    await queryRunner.dropIndex(PAYMENTS, INDEX);
    await queryRunner.dropColumn(PAYMENTS, 'parentPaymentId');
  }
}
