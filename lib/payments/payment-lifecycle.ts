import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectSiteRepository } from '../persistence/site-data-source';

import { randomUUID } from 'node:crypto';
import type { EntityManager, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { PLACETOPAY_CLOCK, type PlacetoPayClock } from '../common/clock';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import { DEFAULT_SITE } from '../config/site-name';
import { PlacetoPayPayment } from '../persistence/placetopay-payment.entity';
import { newPaymentRow, type NewPayment } from './new-payment';
import { PaymentChangeEngine, type ChangeRequest } from './payment-change-engine';
import type { ApplyOutcome, SessionObservation } from './payment-observation';
import { type PaymentStatus, isFinalStatus } from './payment-status';
import {
  decideCreated,
  decideCreationFailed,
  decideCreationUnknown,
  decideObservation,
  decideRefundAbandoned,
  decideRefundRecorded,
  decideRefundStart,
  decideUnresolved,
} from './payment-transitions';
import {
  decideRecurringCharge,
  newChargeRow,
  type RecurringChargeSeen,
} from './recurring-charge-transitions';
import { decideAbandoned, decideAttached, decideExpiredUnconfirmed } from './review-transitions';

/** What `recordRecurringCharge` did: the charge's row and the outcome, or `elsewhere`. */
export type RecurringChargeRecord =
  { paymentId: string; created: boolean; outcome: ApplyOutcome | undefined } | 'elsewhere';

/** What `applyWith` takes besides the observation. */
export interface ApplyOptions {
  /**
   * The row as the caller read it, whole and unmodified: the first decision is made on it (a
   * stale one loses), and the events of a change made on it carry its values.
   */
  current?: PlacetoPayPayment;
  /** The schedule is only written while this replica holds the payment's lease. */
  leaseOwner?: string;
  schedule?: (current: PlacetoPayPayment) => Partial<PlacetoPayPayment> | null;
  /**
   * The caller's own write, in the transaction of a change that writes events, given the row
   * as written (its lease and schedule columns may be stale: the probe writes them without a
   * new version); true when it wrote. `alongside` in the result says it did and was committed.
   * Its failure rolls the change back.
   */
  alongside?: (manager: EntityManager, written: PlacetoPayPayment) => Promise<boolean>;
}

/**
 * The single door through which a payment changes. Each change is decided by the pure transition
 * rules (payment-transitions.ts) on the row as read, and written by the compare-and-set engine in
 * one short transaction with its events; a caller that lost the race decides again.
 */
@Injectable()
export class PaymentLifecycle {
  private readonly logger = new Logger('PlacetoPayLifecycle');

  constructor(
    private readonly engine: PaymentChangeEngine,
    @InjectSiteRepository(PlacetoPayPayment)
    private readonly payments: Repository<PlacetoPayPayment>,
    @Inject(PLACETOPAY_CLOCK) private readonly clock: PlacetoPayClock,
    @Inject(PLACETOPAY_OPTIONS) private readonly options: ResolvedPlacetoPayOptions,
  ) {}

  /**
   * Stores a new payment in CREATING, before the gateway is called. Unless `blocksReference` is
   * false, the database refuses it (unique `openReference`) while another payment of the same
   * reference is open or approved: the insert then throws.
   */
  async open(
    draft: NewPayment,
    blocksReference = true,
    staleCheckAt: Date | null = null,
  ): Promise<PlacetoPayPayment> {
    const row = newPaymentRow(draft, randomUUID(), this.clock.now(), blocksReference, staleCheckAt);
    const payment = this.payments.create({ ...row, site: this.options.site ?? DEFAULT_SITE });
    // Columns the row leaves out are stored as NULL: say so in memory too, so the row in hand is
    // the row a read would give (recordCreated works on it without reading it back).
    for (const column of this.payments.metadata.columns) {
      if (column.isNullable && column.getEntityValue(payment) === undefined)
        column.setEntityValue(payment, null);
    }
    // Without updateEntity: the row in hand stays as written (on MariaDB TypeORM would otherwise
    // read the defaulted columns back, raw, into it).
    await this.payments
      .createQueryBuilder()
      .insert()
      .values(payment as QueryDeepPartialEntity<PlacetoPayPayment>)
      .updateEntity(false)
      .execute();
    return payment;
  }

  /**
   * The session exists: CREATING → PENDING with its requestId (`payment.created`). Given the row
   * `open` returned, the change is tried on it without a read (nothing else writes a payment in
   * CREATING but the probe's stale check, and then the compare-and-set loses and the change is
   * decided again on the fresh row); given an id, the row is read. Resolves with the row as
   * written, or null when another change made it meanwhile.
   */
  async recordCreated(
    payment: string | PlacetoPayPayment,
    session: { requestId: number; processUrl: string | null },
    nextCheckAt: Date | null,
  ): Promise<PlacetoPayPayment | null> {
    let written: PlacetoPayPayment | null = null;
    const opened = typeof payment === 'string' ? undefined : payment;
    if (opened) this.engine.rememberNew(opened);
    await this.engine.mutate(
      opened?.id ?? (payment as string),
      (current) => {
        const change = decideCreated(current, session, nextCheckAt);
        return change && { ...change, alongside: async (_manager, row) => void (written = row) };
      },
      opened,
    );
    return written;
  }

  /** PlacetoPay refused the session for certain, or it was never sent: FAILED. */
  recordCreationFailed(paymentId: string, reason: string, message: string) {
    return this.engine.mutate(paymentId, (current) =>
      decideCreationFailed(current, reason, message),
    );
  }

  /** The session may or may not exist: UNKNOWN, flagged for review. */
  recordCreationUnknown(paymentId: string, message: string) {
    return this.engine.mutate(paymentId, (current) => decideCreationUnknown(current, message));
  }

  /**
   * The probe gave up on an open payment: it keeps its status, is flagged for review and
   * `payment.unresolved` fires. It is not checked again.
   */
  recordUnresolved(paymentId: string, reason: string) {
    return this.engine.mutate(paymentId, (current) => decideUnresolved(current, reason));
  }

  /**
   * An UNKNOWN redirect session past `deadline` (its expiration plus the grace): FAILED with
   * reason `expired_unconfirmed` (`payment.expired_unconfirmed`); its reference is free again.
   */
  recordExpiredUnconfirmed(paymentId: string, now: Date, deadline: Date) {
    return this.engine.mutate(paymentId, (current) =>
      decideExpiredUnconfirmed(current, now, deadline),
    );
  }

  /** An operator ends an UNKNOWN or CREATING payment: FAILED with the note (`payment.abandoned`). */
  recordAbandoned(paymentId: string, note: string) {
    return this.engine.mutate(paymentId, (current) => decideAbandoned(current, note));
  }

  /** An operator attached the session of an UNKNOWN payment: PENDING (`payment.session_attached`). */
  recordAttached(
    paymentId: string,
    session: { requestId: number; processUrl: string | null },
    nextCheckAt: Date | null,
  ) {
    return this.engine.mutate(paymentId, (current) =>
      decideAttached(current, session, nextCheckAt),
    );
  }

  /**
   * Reads a payment to change it: the row and its last event sequence in one statement (on
   * SQLite's shared connection, never inside another transaction).
   */
  findForChange(where: { id: string } | { requestId: number }): Promise<PlacetoPayPayment | null> {
    return this.engine.findForChange(where);
  }

  /** Applies a queried session. The only way a gateway status reaches a payment. */
  async apply(observation: SessionObservation): Promise<ApplyOutcome> {
    return (await this.applyWith(observation, {})).outcome;
  }

  /**
   * `apply` with options. For the probe: when the observation changes a payment that stays open,
   * the next check (`schedule(current)`) is written by the same UPDATE; `scheduled` says whether it
   * was. For the webhook's inbox: `alongside`.
   */
  async applyWith(
    observation: SessionObservation,
    options: ApplyOptions,
  ): Promise<{ outcome: ApplyOutcome; scheduled: boolean; alongside: boolean }> {
    const found =
      options.current ?? (await this.findForChange({ requestId: observation.session.requestId }));
    if (!found) return { outcome: { kind: 'unknown_payment' }, scheduled: false, alongside: false };
    let seen = '';
    let scheduled = false;
    let alongside = false;
    const outcome = await this.engine.mutate<ApplyOutcome>(
      found.id,
      (current) => {
        if (current.requestId !== observation.session.requestId) {
          throw new Error(
            `payment ${current.id} has requestId ${current.requestId}, not ${observation.session.requestId}`,
          );
        }
        seen = current.status;
        const change: ChangeRequest<ApplyOutcome> | null = this.decide(current, observation);
        const to = (change?.changes.status as PaymentStatus | undefined) ?? current.status;
        const holds = options.leaseOwner === undefined || current.leaseOwner === options.leaseOwner;
        const next = change && !isFinalStatus(to) && holds ? options.schedule?.(current) : null;
        scheduled = Boolean(next);
        if (change && next) {
          change.changes = { ...change.changes, ...next };
          change.leaseOwner = options.leaseOwner;
        }
        const write = options.alongside;
        if (change && write) {
          change.alongside = async (manager, written) => {
            alongside = await write(manager, written);
          };
        }
        return change;
      },
      found,
    );
    return {
      outcome: outcome ?? { kind: 'unchanged', status: seen },
      scheduled: outcome !== undefined && scheduled,
      // Set only by a transaction that went on to commit: one that failed threw instead.
      alongside: outcome !== undefined && alongside,
    };
  }

  /**
   * Marks a refund as sent before PlacetoPay is called; false when another one is under way or in
   * doubt (the compare-and-set makes that true across replicas).
   */
  async beginRefund(paymentId: string, refundMinor: number): Promise<boolean> {
    const began = await this.engine.mutate(paymentId, (current) =>
      decideRefundStart(current, refundMinor),
    );
    return began === true;
  }

  /** The refund in doubt did not happen. */
  abandonRefund(paymentId: string) {
    return this.engine.mutate(paymentId, (current) => decideRefundAbandoned(current));
  }

  /** A refund we made through the transaction endpoint. */
  recordRefund(paymentId: string, refundedMinor: number) {
    return this.engine.mutate(paymentId, (current) => decideRefundRecorded(current, refundedMinor));
  }

  /**
   * A recurring charge a queried session lists (docs/protocol.md §7.2): a payment of its own (kind
   * `recurring`, linked to `seen.parent`), created or changed by the ordinary rules, its events in
   * the same transaction, and `alsoWrite` (the caller's record of it) too: false, or a failure,
   * rolls the whole back (`elsewhere` for false).
   */
  async recordRecurringCharge(
    seen: RecurringChargeSeen,
    alsoWrite: (manager: EntityManager, paymentId: string) => Promise<boolean>,
  ): Promise<RecurringChargeRecord> {
    const internalReference = seen.transaction.internalReference!;
    const existing = await this.engine.findRecurringCharge(seen.parent.id, internalReference);
    const now = this.clock.now();
    let madeElsewhere = false;
    const withRecord = (
      change: ChangeRequest<ApplyOutcome> | null,
      paymentId: string,
    ): ChangeRequest<ApplyOutcome> | null =>
      change && {
        ...change,
        alsoWrite: async (manager) => {
          madeElsewhere = !(await alsoWrite(manager, paymentId));
          return !madeElsewhere;
        },
      };
    if (existing) {
      const outcome = await this.engine.mutate(existing, (current) =>
        withRecord(decideRecurringCharge(current, seen, false, now), existing),
      );
      return madeElsewhere ? 'elsewhere' : { paymentId: existing, created: false, outcome };
    }
    const row = Object.assign(new PlacetoPayPayment(), newChargeRow(seen, randomUUID(), now));
    const outcome = await this.engine.insertAndChange(row, (current) =>
      withRecord(decideRecurringCharge(current, seen, true, now), row.id),
    );
    if (madeElsewhere) return 'elsewhere';
    if (outcome === undefined) throw new Error(`recurring charge ${internalReference}: no change`);
    return { paymentId: row.id, created: true, outcome };
  }

  /** The rules' decision on an observation, with a warning when it is not trusted. */
  private decide(current: PlacetoPayPayment, observation: SessionObservation) {
    const change = decideObservation(current, observation, this.clock.now());
    if (change?.result.kind === 'review') {
      this.logger.warn(
        `payment ${current.id} (requestId ${current.requestId}) needs review: ${change.result.reason}`,
      );
    }
    return change;
  }
}
