import { Inject, Injectable } from '@nestjs/common';
import { countFinalStatus } from './payment-telemetry';
import { InjectSiteRepository } from '../persistence/site-data-source';

import type { EntityManager, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { PLACETOPAY_CLOCK, type PlacetoPayClock } from '../common/clock';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import { DEFAULT_SITE } from '../config/site-name';
import { PlacetoPayPayment } from '../persistence/placetopay-payment.entity';
import { TransactionRunner } from '../persistence/transaction-runner';
import { PaymentEventWriter, lastSequenceOf } from './payment-event-writer';
import { PaymentInstrumentCapture } from './payment-instrument-capture';
import { statusesBefore } from './payment-status';
import type { PaymentChange } from './payment-transitions';

/** A decided change, with what the caller adds to its write. */
export interface ChangeRequest<R> extends PaymentChange<R> {
  /** The UPDATE also requires this lease owner (a schedule written for the replica holding it). */
  leaseOwner?: string;
  /**
   * A last write in the same transaction; false rolls the whole change back and `mutate` gives
   * up (someone else made it already).
   */
  alsoWrite?: (manager: EntityManager) => Promise<boolean>;
  /**
   * A caller's own write, made in the change's transaction when it has one (it writes events, or
   * has `alsoWrite`); it does not give a change a transaction of its own.
   */
  alongside?: (manager: EntityManager, written: PlacetoPayPayment) => Promise<void>;
}

/** What `mutate` throws for a payment row that is not there. */
export class PaymentMissingError extends Error {}

/** Rolls a change's transaction back when its `alsoWrite` says someone else made it. */
class MadeElsewhere extends Error {}

const MAX_RACES = 20;

/**
 * The compare-and-set engine. A change is one conditional UPDATE guarded by the row's version and
 * by the statuses the target may be reached from: `affected = 1` means this caller owns the
 * transition and writes its events (and stores its card) in the same transaction; a caller that
 * lost the race decides again on the fresh row.
 */
@Injectable()
export class PaymentChangeEngine {
  constructor(
    private readonly transactions: TransactionRunner,
    @InjectSiteRepository(PlacetoPayPayment)
    private readonly payments: Repository<PlacetoPayPayment>,
    private readonly events: PaymentEventWriter,
    private readonly instruments: PaymentInstrumentCapture,
    @Inject(PLACETOPAY_CLOCK) private readonly clock: PlacetoPayClock,
    @Inject(PLACETOPAY_OPTIONS) private readonly options: ResolvedPlacetoPayOptions,
  ) {}

  /**
   * Reads a payment to change it: the row and its last event sequence in one statement (on
   * SQLite's shared connection, never inside another transaction).
   */
  async findForChange(
    where: { id: string } | { requestId: number },
  ): Promise<PlacetoPayPayment | null> {
    const payments = this.payments;
    const escape = (name: string) => payments.manager.connection.driver.escape(name);
    const [column, value] = 'id' in where ? ['id', where.id] : ['requestId', where.requestId];
    const { entities, raw } = await this.transactions.exclusive(() =>
      payments
        .createQueryBuilder('p')
        .addSelect((events) => lastSequenceOf(events, escape, `p.${escape('id')}`), 'lastSequence')
        .where(`p.${escape(column)} = :value`, { value })
        // Only this registration's site: a requestId is unique per site, not across sites.
        .andWhere(`p.${escape('site')} = :site`, { site: this.options.site ?? DEFAULT_SITE })
        .getRawAndEntities<{ lastSequence: number | string | null }>(),
    );
    const payment = entities[0];
    if (!payment) return null;
    this.events.remember(payment, Number(raw[0].lastSequence ?? 0));
    return payment;
  }

  /** A row this process has just inserted: it has no events yet. */
  rememberNew(payment: PlacetoPayPayment): void {
    this.events.remember(payment, 0);
  }

  /**
   * Reads the row, asks `decide` for a change, and applies it with a compare-and-set UPDATE. The
   * read needs no transaction: the UPDATE only lands on the version that was read, so a decision
   * made on a stale (or, on SQLite, uncommitted) row simply loses and is made again on the fresh
   * one. A change with events writes them in the same transaction as its UPDATE, then its
   * `alongside` and its `alsoWrite`: if that returns false, the transaction is rolled back and the
   * result is undefined.
   */
  async mutate<R>(
    paymentId: string,
    decide: (current: PlacetoPayPayment) => ChangeRequest<R> | null,
    readAlready?: PlacetoPayPayment,
  ): Promise<R | undefined> {
    for (let race = 0; race < MAX_RACES; race++) {
      const current =
        race === 0 && readAlready ? readAlready : await this.findForChange({ id: paymentId });
      if (!current) throw new PaymentMissingError(`payment ${paymentId} does not exist`);
      const change = decide(current);
      if (!change) return undefined;
      if (change.events.length === 0 && !change.alsoWrite) {
        const won = await this.transactions.exclusive(() =>
          this.compareAndSet(this.payments.manager, current, change.changes, change.leaseOwner),
        );
        if (!won) continue;
        countFinalStatus(current, change.changes.status);
        return change.result;
      }
      const won = await this.transactions
        .run((manager) => this.write(manager, current, change))
        .catch((error: unknown) => {
          if (error instanceof MadeElsewhere) return undefined;
          throw error;
        });
      if (won === undefined) return undefined;
      if (won) {
        this.events.announce();
        countFinalStatus(current, change.changes.status);
        return change.result;
      }
    }
    throw new Error(
      `payment ${paymentId}: too many concurrent changes, gave up after ${MAX_RACES} races`,
    );
  }

  /**
   * Inserts `row` and applies `decide`'s change to it in one transaction, with the change's events
   * and its `alsoWrite` (false rolls everything back: undefined). A `decide` that returns null
   * inserts nothing either. The insert fails when the row's unique keys are taken.
   */
  async insertAndChange<R>(
    row: PlacetoPayPayment,
    decide: (current: PlacetoPayPayment) => ChangeRequest<R> | null,
  ): Promise<R | undefined> {
    const change = decide(row);
    if (!change) return undefined;
    const won = await this.transactions
      .run(async (manager) => {
        await manager
          .createQueryBuilder()
          .insert()
          .into(PlacetoPayPayment)
          .values(row as QueryDeepPartialEntity<PlacetoPayPayment>)
          .updateEntity(false)
          .execute();
        this.events.remember(row, 0);
        if (!(await this.write(manager, row, change))) throw new Error('inserted row changed');
        return true;
      })
      .catch((error: unknown) => {
        if (error instanceof MadeElsewhere) return undefined;
        throw error;
      });
    if (!won) return undefined;
    this.events.announce();
    return change.result;
  }

  /** The id of a recurring charge's row: `internalReference` of `parentPaymentId`, or null. */
  async findRecurringCharge(parentPaymentId: string, internalReference: number) {
    const row = await this.transactions.exclusive(() =>
      this.payments.findOne({
        select: { id: true },
        where: { site: this.options.site ?? DEFAULT_SITE, parentPaymentId, internalReference },
      }),
    );
    return row?.id ?? null;
  }

  /** Inside the transaction: the UPDATE, then the card, the events and the caller's writes. */
  private async write<R>(
    manager: EntityManager,
    current: PlacetoPayPayment,
    change: ChangeRequest<R>,
  ): Promise<boolean> {
    const updated = await this.compareAndSet(manager, current, change.changes, change.leaseOwner);
    if (!updated) return false;
    const created = change.instrument
      ? await this.instruments.capture(manager, updated, change.instrument)
      : null;
    const events = created ? [...change.events, created] : change.events;
    await this.events.write(manager, current, updated, events, change.source);
    await change.alongside?.(manager, updated);
    if (change.alsoWrite && !(await change.alsoWrite(manager))) throw new MadeElsewhere();
    return true;
  }

  /**
   * The UPDATE that lands only on the version `current` was read at. Returns the row as written
   * (no read back: it is `current` with the changes), or null when the race was lost. The probe's
   * lease and schedule columns are written without a new version, so there they may be stale;
   * events and instruments never carry them.
   */
  private async compareAndSet(
    manager: EntityManager,
    current: PlacetoPayPayment,
    changes: Partial<PlacetoPayPayment>,
    leaseOwner?: string,
  ): Promise<PlacetoPayPayment | null> {
    const escape = (name: string) => manager.connection.driver.escape(name);
    const updatedAt = this.clock.now();
    const query = manager
      .createQueryBuilder()
      .update(PlacetoPayPayment)
      .set({
        ...(changes as QueryDeepPartialEntity<PlacetoPayPayment>),
        updatedAt,
        version: () => `${escape('version')} + 1`,
      })
      .where(`${escape('id')} = :id`, { id: current.id })
      .andWhere(`${escape('version')} = :version`, { version: current.version });
    // Lease columns do not bump the version: a lease taken over meanwhile is checked here.
    if (leaseOwner !== undefined) {
      query.andWhere(`${escape('leaseOwner')} = :leaseOwner`, { leaseOwner });
    }
    const to = changes.status;
    if (to !== undefined && to !== current.status) {
      // Final statuses are absorbing whatever the version says.
      query.andWhere(`${escape('status')} IN (:...from)`, { from: statusesBefore(to) });
    }
    const result = await query.execute();
    if (result.affected !== 1) return null;
    return Object.assign(new PlacetoPayPayment(), current, changes, {
      updatedAt,
      version: current.version + 1,
    });
  }
}
