import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The probe ends an UNKNOWN redirect session once its expiration has passed (`expired_unconfirmed`,
 * docs/probe.md), but it only claims payments whose `nextCheckAt` has come (ProbeLeases' due
 * query). Such payments written before that change have no check date: UnscheduleFinalPayments
 * cleared it, and the code of the time never set one. This gives each its session's expiration,
 * as a new one gets (decideCreationUnknown), so the probe looks at it and ends it.
 *
 * The rows are those `isUnconfirmedRedirect` picks: UNKNOWN, no requestId, not a collect charge,
 * with an expiration. Data only and idempotent: a payment that already has a check date keeps it.
 */
export class ScheduleUnconfirmedSessions1764230940000 implements MigrationInterface {
  name = 'ScheduleUnconfirmedSessions1764230940000';

  async up(queryRunner: QueryRunner): Promise<void> {
    const e = (name: string) => queryRunner.connection.driver.escape(name);
    await queryRunner.query(
      `UPDATE ${e('placetopay_payments')} SET ${e('nextCheckAt')} = ${e('expiresAt')}, ` +
        `${e('leaseOwner')} = NULL, ${e('leaseUntil')} = NULL` +
        ` WHERE ${e('status')} = 'UNKNOWN' AND ${e('requestId')} IS NULL` +
        ` AND ${e('kind')} <> 'collect' AND ${e('expiresAt')} IS NOT NULL` +
        ` AND ${e('nextCheckAt')} IS NULL`,
    );
  }

  async down(): Promise<void> {
    // The check dates stay: the rows scheduled since cannot be told apart, and a probe from before
    // this change does not claim UNKNOWN payments.
  }
}
