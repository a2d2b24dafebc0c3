import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Final payments leave the probe's schedule (`nextCheckAt` NULL), so its due query, which walks
 * the `nextCheckAt` index, never steps over them. Payments settled before the probe existed still
 * had a check date: this clears it. Data only; `down` has nothing to restore.
 */
export class UnscheduleFinalPayments1764230700000 implements MigrationInterface {
  name = 'UnscheduleFinalPayments1764230700000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const e = (name: string) => queryRunner.connection.driver.escape(name);
    await queryRunner.query(
      `UPDATE ${e('placetopay_payments')} SET ${e('nextCheckAt')} = NULL, ${e('leaseOwner')} = NULL, ${e('leaseUntil')} = NULL` +
        ` WHERE ${e('status')} IN ('APPROVED', 'REJECTED', 'PARTIAL_EXPIRED', 'FAILED', 'UNKNOWN')`,
    );
  }

  async down(): Promise<void> {
    // The old check dates served nothing.
  }
}
