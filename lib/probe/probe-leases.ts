import { Inject, Injectable } from '@nestjs/common';
import { InjectSiteRepository } from '../persistence/site-data-source';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import { DEFAULT_SITE } from '../config/site-name';
import { In } from 'typeorm';
import { PaymentStatus } from '../payments/payment-status';
import { PlacetoPayPayment } from '../persistence/placetopay-payment.entity';

import type { Repository } from 'typeorm';
import { TransactionRunner } from '../persistence/transaction-runner';

/**
 * The statuses the probe looks at: sessions still open, creations that never finished, and
 * redirect sessions whose creation outcome is unknown (ended once expired).
 */
export const PROBED_STATUSES = [
  PaymentStatus.CREATING,
  PaymentStatus.UNKNOWN,
  PaymentStatus.PENDING,
  PaymentStatus.APPROVED_PARTIAL,
];

/**
 * The probe's claims on payments: plain columns and conditional UPDATEs, the same on SQLite,
 * MySQL/MariaDB and PostgreSQL. A claim is won by the replica whose UPDATE changed the row; a lease
 * that runs out (its replica died) makes the payment claimable again. Times come from the
 * database's clock (DatabaseClock), so replicas agree on them.
 */
@Injectable()
export class ProbeLeases {
  private rescheduleSql?: string;

  constructor(
    @InjectSiteRepository(PlacetoPayPayment)
    private readonly payments: Repository<PlacetoPayPayment>,
    private readonly transactions: TransactionRunner,
    @Inject(PLACETOPAY_OPTIONS) private readonly options: ResolvedPlacetoPayOptions,
  ) {}

  /**
   * Claims up to `limit` due payments for `owner` until `now + leaseMs`. Returns those won, and
   * how many were due: other replicas may have won the rest, which does not mean nothing is left.
   */
  async claim(
    now: Date,
    limit: number,
    owner: string,
    leaseMs: number,
  ): Promise<{ won: PlacetoPayPayment[]; due: number }> {
    const payments = this.payments;
    const due = this.due(now, 'p.');
    const candidates = await this.transactions.exclusive(() =>
      payments
        .createQueryBuilder('p')
        .select(`p.${this.escape('id')}`, 'id')
        .where(due.sql, due.parameters)
        .orderBy(`p.${this.escape('nextCheckAt')}`, 'ASC')
        .limit(limit)
        .getRawMany<{ id: string }>(),
    );
    if (candidates.length === 0) return { won: [], due: 0 };
    const ids = candidates.map((row) => row.id);
    await this.transactions.exclusive(() =>
      payments
        .createQueryBuilder()
        .update()
        .set({ leaseOwner: owner, leaseUntil: new Date(now.getTime() + leaseMs) })
        .where(`${this.escape('id')} IN (:...ids)`, { ids })
        .andWhere(this.due(now, '').sql, due.parameters)
        .execute(),
    );
    const won = await this.transactions.exclusive(() =>
      payments.find({ where: { id: In(ids), leaseOwner: owner }, order: { nextCheckAt: 'ASC' } }),
    );
    return { won, due: candidates.length };
  }

  /** Counts a check, sets the next one of a payment this replica still holds, and frees it. */
  async reschedule(id: string, owner: string, nextCheckAt: Date): Promise<void> {
    // Once per checked payment: a statement built once, not by the query builder on every call.
    const manager = this.payments.manager;
    this.rescheduleSql ??= this.buildRescheduleSql();
    const [sql, parameters] = manager.connection.driver.escapeQueryWithParameters(
      this.rescheduleSql,
      { next: nextCheckAt.getTime(), id, owner },
      {},
    );
    await this.transactions.exclusive(() => manager.query(sql, parameters));
  }

  private buildRescheduleSql(): string {
    const e = (name: string) => this.escape(name);
    const table = this.payments.manager.connection.driver.escape(this.payments.metadata.tablePath);
    const open = PROBED_STATUSES.map((status) => `'${status}'`).join(', ');
    return (
      `UPDATE ${table} SET ${e('nextCheckAt')} = :next, ${e('leaseOwner')} = NULL, ` +
      `${e('leaseUntil')} = NULL, ${e('checkAttempts')} = ${e('checkAttempts')} + 1 ` +
      `WHERE ${e('id')} = :id AND ${e('leaseOwner')} = :owner AND ${e('status')} IN (${open})`
    );
  }

  /** Frees claimed payments that were not looked at, keeping their schedule. */
  async release(owner: string, ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.transactions.exclusive(() =>
      this.payments
        .createQueryBuilder()
        .update()
        .set({ leaseOwner: null, leaseUntil: null })
        .where(`${this.escape('id')} IN (:...ids)`, { ids })
        .andWhere(`${this.escape('leaseOwner')} = :owner`, { owner })
        .execute(),
    );
  }

  /** How many payments are due at `now` (the `placetopay.probe.backlog` gauge). */
  async countDue(now: Date): Promise<number> {
    const due = this.due(now, 'p.');
    return this.payments.createQueryBuilder('p').where(due.sql, due.parameters).getCount();
  }

  /** Due: this site's, the next check has come and nobody holds a live lease. */
  private due(now: Date, alias: 'p.' | '') {
    const e = (name: string) => `${alias}${this.escape(name)}`;
    return {
      sql:
        `${e('nextCheckAt')} <= :now AND (${e('leaseUntil')} IS NULL OR ${e('leaseUntil')} < :now)` +
        ` AND ${e('status')} IN (:...probed) AND ${e('site')} = :site`,
      parameters: {
        now: now.getTime(),
        probed: PROBED_STATUSES,
        site: this.options.site ?? DEFAULT_SITE,
      },
    };
  }

  private escape(name: string): string {
    return this.payments.manager.connection.driver.escape(name);
  }
}
