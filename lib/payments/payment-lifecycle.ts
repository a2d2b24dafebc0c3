import { Inject, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager, ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import type { PaymentSource, PlacetoPayEventType } from './placetopay-event-type';
import type { ApplyOutcome, SessionObservation } from './payment-observation';
import {
  PaymentStatus,
  canTransition,
  fromGatewayStatus,
  isFinalStatus,
  statusRank,
  statusesBefore,
} from './payment-status';
import { PlacetoPayPaymentEvent } from '../persistence/placetopay-payment-event.entity';
import { PlacetoPayPayment } from '../persistence/placetopay-payment.entity';
import { PlacetoPayPaymentRepository } from './payment.repository';
import {
  amountMismatch,
  approvedTransactions,
  lastDigitsOf,
  paidMinor,
  redactedSnapshot,
  settlingTransaction,
} from './session-facts';
import { TransactionRunner } from '../persistence/transaction-runner';
import type { Person } from '../gateway/wire/person.types';
import { instrumentOf, type InstrumentFacts } from './instrument-facts';
import {
  INSTRUMENT_STORE,
  PAYMENT_OUTBOX,
  type InstrumentStore,
  type PaymentOutbox,
} from './lifecycle-ports';

/** A change to make to a payment, decided from its current row. */
interface Mutation<R> {
  changes: Partial<PlacetoPayPayment>;
  events: Array<{ type: PlacetoPayEventType; details?: Record<string, unknown> }>;
  source: PaymentSource;
  result: R;
  /** The UPDATE also requires this lease owner (a schedule written for the replica holding it). */
  leaseOwner?: string;
  /** A payment method the session tokenized: stored (once) in the same transaction. */
  instrument?: { id: string; facts: InstrumentFacts; payer: Person | null };
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

/** Rolls a change's transaction back when its `alsoWrite` says someone else made it. */
class MadeElsewhere extends Error {}

/** What `mutate` throws for a payment row that is not there. */
class PaymentMissingError extends Error {}

export type RecurringChargeRecord = 'written' | 'written_elsewhere' | 'no_approved_payment';

const MAX_RACES = 20;
const CREATION_UNKNOWN_REASON =
  'session creation outcome unknown: check PlacetoPay before charging again';

const EVENT_FOR_STATUS: Partial<Record<PaymentStatus, PlacetoPayEventType>> = {
  [PaymentStatus.PENDING]: 'payment.created',
  [PaymentStatus.APPROVED_PARTIAL]: 'payment.partially_approved',
  [PaymentStatus.APPROVED]: 'payment.approved',
  [PaymentStatus.REJECTED]: 'payment.rejected',
  [PaymentStatus.PARTIAL_EXPIRED]: 'payment.partial_expired',
  [PaymentStatus.UNKNOWN]: 'payment.review_required',
};

export type NewPayment = Pick<
  PlacetoPayPayment,
  'reference' | 'description' | 'currency' | 'amountMinor'
> &
  Partial<
    Pick<PlacetoPayPayment, 'kind' | 'allowPartial' | 'buyerEmail' | 'metadata' | 'expiresAt'>
  >;

/** The public, non-sensitive view of a payment that events carry. */
export function paymentSnapshot(payment: PlacetoPayPayment): Record<string, unknown> {
  return {
    id: payment.id,
    reference: payment.reference,
    requestId: payment.requestId,
    kind: payment.kind,
    status: payment.status,
    statusReason: payment.statusReason,
    statusMessage: payment.statusMessage,
    statusDate: payment.statusDate?.toISOString() ?? null,
    currency: payment.currency,
    amountMinor: payment.amountMinor,
    paidMinor: payment.paidMinor,
    refunded: payment.refunded,
    refundedMinor: payment.refundedMinor,
    needsReview: payment.needsReview,
    reviewReason: payment.reviewReason,
    internalReference: payment.internalReference,
    authorization: payment.authorization,
    paymentMethod: payment.paymentMethod,
    franchise: payment.franchise,
    lastDigits: payment.lastDigits,
    metadata: payment.metadata,
    createdAt: payment.createdAt.toISOString(),
  };
}

/**
 * The single door through which a payment changes. Each change is one short transaction: read the
 * row, decide with the pure status rules, then a compare-and-set UPDATE guarded by the row's
 * version and by the statuses the target may be reached from. Only the caller whose UPDATE
 * affected the row writes the history/outbox rows, in the same transaction; a caller that lost
 * the race decides again on the fresh row.
 */
@Injectable()
export class PaymentLifecycle {
  private readonly logger = new Logger('PlacetoPayLifecycle');
  /**
   * A payment's last event sequence, read with the row by `findForChange`. Events are only written
   * by a change that lands on the version read, and each such change moves the version on, so the
   * number holds for as long as the row does: the change needs no MAX query of its own.
   */
  private readonly lastSequences = new WeakMap<PlacetoPayPayment, number>();

  constructor(
    private readonly transactions: TransactionRunner,
    private readonly repository: PlacetoPayPaymentRepository,
    @Inject(PAYMENT_OUTBOX) private readonly dispatcher: PaymentOutbox,
    @Inject(INSTRUMENT_STORE) private readonly vault: InstrumentStore,
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
    const now = new Date();
    const payment = this.repository.payments.create({
      kind: 'payment',
      allowPartial: false,
      buyerEmail: null,
      metadata: null,
      expiresAt: null,
      ...draft,
      id: randomUUID(),
      openReference: blocksReference ? draft.reference : null,
      requestId: null,
      processUrl: null,
      paidMinor: 0,
      status: PaymentStatus.CREATING,
      statusReason: null,
      statusMessage: null,
      // Only PlacetoPay's dates go here: they are compared with later observations.
      statusDate: null,
      refunded: false,
      refundedMinor: 0,
      needsReview: false,
      // The probe's look at a creation that never finished (the process stopped mid-call).
      nextCheckAt: staleCheckAt,
      checkAttempts: 0,
      createdAt: now,
      updatedAt: now,
      version: 1,
    });
    await this.repository.payments.insert(payment as QueryDeepPartialEntity<PlacetoPayPayment>);
    return payment;
  }

  /** The session exists: CREATING → PENDING with its requestId (`payment.created`). */
  recordCreated(
    paymentId: string,
    session: { requestId: number; processUrl: string | null },
    nextCheckAt: Date | null,
  ) {
    return this.mutate(paymentId, (current) =>
      this.transitionTo(current, PaymentStatus.PENDING, 'create', {
        requestId: session.requestId,
        processUrl: session.processUrl,
        statusReason: 'PC',
        statusMessage: null,
        nextCheckAt,
        // The probe took a slow creation for a dead one: the session is known now after all.
        ...(current.reviewReason === CREATION_UNKNOWN_REASON
          ? { needsReview: false, reviewReason: null }
          : {}),
      }),
    );
  }

  /** PlacetoPay refused the session for certain, or it was never sent: FAILED. */
  recordCreationFailed(paymentId: string, reason: string, message: string) {
    return this.mutate(paymentId, (current) =>
      this.transitionTo(current, PaymentStatus.FAILED, 'create', {
        statusReason: reason.slice(0, 64),
        statusMessage: message.slice(0, 255),
      }),
    );
  }

  /** The session may or may not exist: UNKNOWN, flagged for review. */
  recordCreationUnknown(paymentId: string, message: string) {
    return this.mutate(paymentId, (current) =>
      this.transitionTo(current, PaymentStatus.UNKNOWN, 'create', {
        statusReason: 'unknown',
        statusMessage: message.slice(0, 255),
        needsReview: true,
        reviewReason: CREATION_UNKNOWN_REASON,
        // No requestId to query: nothing for the probe to do.
        nextCheckAt: null,
        leaseOwner: null,
        leaseUntil: null,
      }),
    );
  }

  /**
   * The probe gave up on an open payment: it keeps its status, is flagged for review and
   * `payment.unresolved` fires. It is not checked again.
   */
  recordUnresolved(paymentId: string, reason: string) {
    return this.mutate(paymentId, (current) =>
      isFinalStatus(current.status) || current.nextCheckAt === null
        ? null
        : {
            changes: {
              needsReview: true,
              reviewReason: reason.slice(0, 255),
              nextCheckAt: null,
              leaseOwner: null,
              leaseUntil: null,
            },
            events: [{ type: 'payment.unresolved', details: { reason } }],
            source: 'probe',
            result: true,
          },
    );
  }

  /**
   * Reads a payment to change it: the row and its last event sequence in one statement (on
   * SQLite's shared connection, never inside another transaction).
   */
  async findForChange(
    where: { id: string } | { requestId: number },
  ): Promise<PlacetoPayPayment | null> {
    const payments = this.repository.payments;
    const escape = (name: string) => payments.manager.connection.driver.escape(name);
    const [column, value] = 'id' in where ? ['id', where.id] : ['requestId', where.requestId];
    const { entities, raw } = await this.transactions.exclusive(() =>
      payments
        .createQueryBuilder('p')
        .addSelect((events) => lastSequenceOf(events, escape, `p.${escape('id')}`), 'lastSequence')
        .where(`p.${escape(column)} = :value`, { value })
        .getRawAndEntities<{ lastSequence: number | string | null }>(),
    );
    const payment = entities[0];
    if (!payment) return null;
    this.lastSequences.set(payment, Number(raw[0].lastSequence ?? 0));
    return payment;
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
    options: {
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
    },
  ): Promise<{ outcome: ApplyOutcome; scheduled: boolean; alongside: boolean }> {
    const found =
      options.current ?? (await this.findForChange({ requestId: observation.session.requestId }));
    if (!found) return { outcome: { kind: 'unknown_payment' }, scheduled: false, alongside: false };
    let seen = '';
    let scheduled = false;
    let alongside = false;
    const outcome = await this.mutate<ApplyOutcome>(
      found.id,
      (current) => {
        if (current.requestId !== observation.session.requestId) {
          throw new Error(
            `payment ${current.id} has requestId ${current.requestId}, not ${observation.session.requestId}`,
          );
        }
        seen = current.status;
        const mutation = this.decide(current, observation);
        const to = (mutation?.changes.status as PaymentStatus | undefined) ?? current.status;
        const holds = options.leaseOwner === undefined || current.leaseOwner === options.leaseOwner;
        const next = mutation && !isFinalStatus(to) && holds ? options.schedule?.(current) : null;
        scheduled = Boolean(next);
        if (mutation && next) {
          mutation.changes = { ...mutation.changes, ...next };
          mutation.leaseOwner = options.leaseOwner;
        }
        const write = options.alongside;
        if (mutation && write) {
          mutation.alongside = async (manager, written) => {
            alongside = await write(manager, written);
          };
        }
        return mutation;
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
    const began = await this.mutate(paymentId, (current) =>
      current.status === PaymentStatus.APPROVED && current.refundInDoubtMinor === null
        ? {
            changes: { refundInDoubtMinor: refundMinor },
            events: [],
            source: 'manual',
            result: true,
          }
        : null,
    );
    return began === true;
  }

  /** The refund in doubt did not happen. */
  abandonRefund(paymentId: string) {
    return this.mutate(paymentId, (current) =>
      current.refundInDoubtMinor === null
        ? null
        : { changes: { refundInDoubtMinor: null }, events: [], source: 'manual', result: true },
    );
  }

  /** A refund we made through the transaction endpoint. */
  recordRefund(paymentId: string, refundedMinor: number) {
    return this.mutate(paymentId, (current) => {
      if (current.status !== PaymentStatus.APPROVED) return null;
      const total = Math.min(current.amountMinor, current.refundedMinor + refundedMinor);
      return {
        changes: { refunded: true, refundedMinor: total, refundInDoubtMinor: null },
        events: [
          { type: 'payment.refunded', details: { refundedMinor, totalRefundedMinor: total } },
        ],
        source: 'manual',
        result: true,
      };
    });
  }

  /**
   * A verified recurring charge of an approved payment: `payment.recurring_charge` fires, and
   * nothing of the payment changes (its status and amounts are the original session's).
   * `markWritten` runs in the event's transaction and says whether this call is the one to write
   * it: a retry by another replica then writes nothing.
   */
  async recordRecurringCharge(
    paymentId: string,
    details: Record<string, unknown>,
    markWritten: (manager: EntityManager) => Promise<boolean>,
  ): Promise<RecurringChargeRecord> {
    let elsewhere = false;
    const written = await this.mutate(paymentId, (current) =>
      current.status !== PaymentStatus.APPROVED
        ? null
        : {
            changes: {},
            events: [{ type: 'payment.recurring_charge', details }],
            source: 'notification',
            result: true,
            alsoWrite: async (manager) => {
              elsewhere = !(await markWritten(manager));
              return !elsewhere;
            },
          },
    ).catch((error: unknown) => {
      if (error instanceof PaymentMissingError) return undefined;
      throw error;
    });
    return written ? 'written' : elsewhere ? 'written_elsewhere' : 'no_approved_payment';
  }

  private decide(
    current: PlacetoPayPayment,
    observation: SessionObservation,
  ): Mutation<ApplyOutcome> | null {
    const { session, source } = observation;
    const to = fromGatewayStatus(session.status.status);
    const observedAt = parseDate(session.status.date);
    const snapshot = redactedSnapshot(session);
    const moneyStatus =
      to === PaymentStatus.APPROVED ||
      to === PaymentStatus.APPROVED_PARTIAL ||
      to === PaymentStatus.PARTIAL_EXPIRED;
    const mismatch = moneyStatus ? amountMismatch(session, current) : null;

    if (mismatch) {
      if (current.needsReview && current.reviewReason === mismatch.slice(0, 255)) return null;
      this.logger.warn(
        `payment ${current.id} (requestId ${current.requestId}) needs review: ${mismatch}`,
      );
      return {
        changes: {
          needsReview: true,
          reviewReason: mismatch.slice(0, 255),
          gatewaySnapshot: snapshot,
        },
        events: [{ type: 'payment.review_required', details: { reason: mismatch } }],
        source,
        result: { kind: 'review', reason: mismatch },
      };
    }

    const tx = settlingTransaction(session);
    const facts: Partial<PlacetoPayPayment> = {
      statusReason:
        session.status.reason === null ? null : String(session.status.reason).slice(0, 64),
      statusMessage: session.status.message?.slice(0, 255) ?? null,
      statusDate: observedAt ?? new Date(),
      gatewaySnapshot: snapshot,
      paidMinor: paidMinor(session, current.currency) ?? current.paidMinor,
      ...(tx
        ? {
            internalReference: tx.internalReference,
            authorization: tx.authorization?.slice(0, 64) ?? null,
            paymentMethod: tx.paymentMethod?.slice(0, 64) ?? null,
            franchise: tx.franchise?.slice(0, 32) ?? null,
            lastDigits: lastDigitsOf(tx),
          }
        : {}),
    };
    const refundedNow =
      to === PaymentStatus.APPROVED && approvedTransactions(session).some((t) => t.refunded);

    const staleForNonFinal =
      !isFinalStatus(to) &&
      observedAt !== null &&
      current.statusDate !== null &&
      observedAt < current.statusDate;
    if (canTransition(current.status, to) && !staleForNonFinal) {
      const mutation = this.transitionTo(current, to, source, facts) as Mutation<ApplyOutcome>;
      // A mixed payment may be first seen final with only a part paid: its card is saved too.
      const instrument =
        to === PaymentStatus.APPROVED ||
        to === PaymentStatus.APPROVED_PARTIAL ||
        to === PaymentStatus.PARTIAL_EXPIRED
          ? instrumentOf(session)
          : null;
      if (instrument) {
        const request = session.request as { payer?: Person; buyer?: Person } | undefined;
        mutation.instrument = {
          id: randomUUID(),
          facts: instrument,
          payer: request?.payer ?? request?.buyer ?? null,
        };
      }
      if (refundedNow && !current.refunded) {
        mutation.changes.refunded = true;
        mutation.events.push({ type: 'payment.refunded', details: { detectedBy: source } });
      }
      return mutation;
    }
    if (current.status === PaymentStatus.APPROVED && refundedNow && !current.refunded) {
      return {
        changes: { refunded: true, gatewaySnapshot: snapshot },
        events: [{ type: 'payment.refunded', details: { detectedBy: source } }],
        source,
        result: { kind: 'unchanged', status: current.status },
      };
    }
    if (
      current.status === to &&
      !isFinalStatus(to) &&
      observedAt &&
      (!current.statusDate || observedAt > current.statusDate)
    ) {
      return { changes: facts, events: [], source, result: { kind: 'unchanged', status: to } };
    }
    return null;
  }

  private transitionTo(
    current: PlacetoPayPayment,
    to: PaymentStatus,
    source: PaymentSource,
    changes: Partial<PlacetoPayPayment>,
  ): Mutation<ApplyOutcome> | null {
    if (!canTransition(current.status, to)) return null;
    const fromCreation = statusRank(current.status) < statusRank(PaymentStatus.PENDING);
    const type =
      to === PaymentStatus.PENDING && !fromCreation
        ? 'payment.status_changed'
        : (EVENT_FOR_STATUS[to] ?? 'payment.status_changed');
    // One row per transition; `payment.status_changed` listeners receive every transition row.
    // A payment that can no longer be paid stops blocking its reference.
    const releases =
      to === PaymentStatus.FAILED ||
      to === PaymentStatus.REJECTED ||
      to === PaymentStatus.PARTIAL_EXPIRED;
    // A final payment leaves the probe's schedule.
    const settled = isFinalStatus(to)
      ? { nextCheckAt: null, leaseOwner: null, leaseUntil: null }
      : {};
    return {
      changes: {
        ...changes,
        status: to,
        ...(releases ? { openReference: null } : {}),
        ...settled,
      },
      events: [{ type }],
      source,
      result: { kind: 'transitioned', from: current.status, to },
    };
  }

  /**
   * Reads the row, asks `decide` for a change, and applies it with a compare-and-set UPDATE. The
   * read needs no transaction: the UPDATE only lands on the version that was read, so a decision
   * made on a stale (or, on SQLite, uncommitted) row simply loses and is made again on the fresh
   * one. A change with events writes them in the same transaction as its UPDATE, then its
   * `alongside` and its `alsoWrite`: if that returns false, the transaction is rolled back and the
   * result is undefined.
   */
  private async mutate<R>(
    paymentId: string,
    decide: (current: PlacetoPayPayment) => Mutation<R> | null,
    readAlready?: PlacetoPayPayment,
  ): Promise<R | undefined> {
    const payments = this.repository.payments;
    for (let race = 0; race < MAX_RACES; race++) {
      const current =
        race === 0 && readAlready ? readAlready : await this.findForChange({ id: paymentId });
      if (!current) throw new PaymentMissingError(`payment ${paymentId} does not exist`);
      const mutation = decide(current);
      if (!mutation) return undefined;
      if (mutation.events.length === 0 && !mutation.alsoWrite) {
        const won = await this.transactions.exclusive(() =>
          this.compareAndSet(payments.manager, current, mutation.changes, mutation.leaseOwner),
        );
        if (won) return mutation.result;
        continue;
      }
      const won = await this.transactions
        .run(async (manager) => {
          const updated = await this.compareAndSet(
            manager,
            current,
            mutation.changes,
            mutation.leaseOwner,
          );
          if (!updated) return false;
          if (mutation.instrument) {
            const { id, facts, payer } = mutation.instrument;
            if (await this.vault.storeWith(manager, updated, facts, id, payer)) {
              mutation.events.push({
                type: 'instrument.created',
                details: {
                  instrumentId: id,
                  type: facts.type,
                  franchise: facts.franchise,
                  lastDigits: facts.lastDigits,
                  validUntil: facts.validUntil,
                },
              });
            }
          }
          await this.writeEvents(manager, current, updated, mutation);
          await mutation.alongside?.(manager, updated);
          if (mutation.alsoWrite && !(await mutation.alsoWrite(manager))) throw new MadeElsewhere();
          return true;
        })
        .catch((error: unknown) => {
          if (error instanceof MadeElsewhere) return undefined;
          throw error;
        });
      if (won === undefined) return undefined;
      if (won) {
        // After the commit, and without waiting: a listener never delays or undoes a change.
        this.dispatcher.kick();
        return mutation.result;
      }
    }
    throw new Error(
      `payment ${paymentId}: too many concurrent changes, gave up after ${MAX_RACES} races`,
    );
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
    const updatedAt = new Date();
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

  private async writeEvents<R>(
    manager: EntityManager,
    before: PlacetoPayPayment,
    after: PlacetoPayPayment,
    mutation: Mutation<R>,
  ): Promise<void> {
    if (mutation.events.length === 0) return;
    let sequence = this.lastSequences.get(before) ?? (await this.lastSequence(manager, after.id));
    const now = new Date();
    const snapshot = paymentSnapshot(after);
    const rows = mutation.events.map(({ type, details }) =>
      manager.create(PlacetoPayPaymentEvent, {
        id: randomUUID(),
        paymentId: after.id,
        sequence: ++sequence,
        type,
        fromStatus: before.status,
        toStatus: after.status,
        source: mutation.source,
        payload: {
          payment: snapshot,
          previousStatus: before.status,
          ...(details ? { details } : {}),
        },
        createdAt: now,
        // Handed to its listeners' delivery rows right here, in the same transaction.
        publishedAt: now,
      }),
    );
    await manager.insert(
      PlacetoPayPaymentEvent,
      rows as QueryDeepPartialEntity<PlacetoPayPaymentEvent>[],
    );
    await this.dispatcher.fanOut(manager, rows);
  }

  /** For a row read without it (by the probe's claim, say). */
  private async lastSequence(manager: EntityManager, paymentId: string): Promise<number> {
    const escape = (name: string) => manager.connection.driver.escape(name);
    const last = await lastSequenceOf(manager.createQueryBuilder(), escape, ':id')
      .setParameter('id', paymentId)
      .getRawOne<{ last: number | string | null }>();
    return Number(last?.last ?? 0);
  }
}

/** The highest event sequence of the payment whose id `paymentId` gives (a column or parameter). */
function lastSequenceOf(
  query: SelectQueryBuilder<ObjectLiteral>,
  escape: (name: string) => string,
  paymentId: string,
): SelectQueryBuilder<ObjectLiteral> {
  return query
    .select(`MAX(e.${escape('sequence')})`, 'last')
    .from(PlacetoPayPaymentEvent, 'e')
    .where(`e.${escape('paymentId')} = ${paymentId}`);
}

function parseDate(value: string | null): Date | null {
  if (!value) return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : new Date(time);
}
