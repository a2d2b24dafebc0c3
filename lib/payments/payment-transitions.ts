import type { Person } from '../gateway/wire/person.types';
import type { PlacetoPayPayment } from '../persistence/placetopay-payment.entity';
import { instrumentOf, type InstrumentFacts } from './instrument-facts';
import type { ApplyOutcome, SessionObservation } from './payment-observation';
import {
  PaymentStatus,
  canTransition,
  fromGatewayStatus,
  isFinalStatus,
  statusRank,
} from './payment-status';
import type { PaymentSource, PlacetoPayEventType } from './placetopay-event-type';
import {
  amountMismatch,
  approvedTransactions,
  lastDigitsOf,
  paidMinor,
  redactedSnapshot,
  settlingTransaction,
  withoutRecurringCharges,
} from './session-facts';

/**
 * The transition rules: given a payment's current row and what was seen or asked, the change to
 * make and the events it makes, or null for none. Pure: no I/O, no clock (`now` is a parameter).
 * PaymentLifecycle writes what they decide through the compare-and-set engine.
 */

/** An event a change makes; its row is written with the change, in the same transaction. */
export interface EventIntent {
  type: PlacetoPayEventType;
  details?: Record<string, unknown>;
}

/** A change to make to a payment, decided from its current row. */
export interface PaymentChange<R> {
  changes: Partial<PlacetoPayPayment>;
  events: EventIntent[];
  source: PaymentSource;
  result: R;
  /** A payment method the session tokenized: stored (once) in the change's transaction. */
  instrument?: { facts: InstrumentFacts; payer: Person | null };
}

export const CREATION_UNKNOWN_REASON =
  'session creation outcome unknown: check PlacetoPay before charging again';

const EVENT_FOR_STATUS: Partial<Record<PaymentStatus, PlacetoPayEventType>> = {
  [PaymentStatus.PENDING]: 'payment.created',
  [PaymentStatus.APPROVED_PARTIAL]: 'payment.partially_approved',
  [PaymentStatus.APPROVED]: 'payment.approved',
  [PaymentStatus.REJECTED]: 'payment.rejected',
  [PaymentStatus.PARTIAL_EXPIRED]: 'payment.partial_expired',
  [PaymentStatus.UNKNOWN]: 'payment.review_required',
};

/** The statuses that say money moved: checked against the stored amount, may save a card. */
function movesMoney(status: PaymentStatus): boolean {
  return (
    status === PaymentStatus.APPROVED ||
    status === PaymentStatus.APPROVED_PARTIAL ||
    status === PaymentStatus.PARTIAL_EXPIRED
  );
}

/**
 * `current` → `to` with `changes`, or null when the rules forbid it. A payment that can no longer
 * be paid stops blocking its reference; a final one leaves the probe's schedule.
 */
export function transitionTo(
  current: PlacetoPayPayment,
  to: PaymentStatus,
  source: PaymentSource,
  changes: Partial<PlacetoPayPayment>,
): PaymentChange<ApplyOutcome> | null {
  if (!canTransition(current.status, to)) return null;
  const fromCreation = statusRank(current.status) < statusRank(PaymentStatus.PENDING);
  // One row per transition; `payment.status_changed` listeners receive every transition row.
  const type =
    to === PaymentStatus.PENDING && !fromCreation
      ? 'payment.status_changed'
      : (EVENT_FOR_STATUS[to] ?? 'payment.status_changed');
  const releases =
    to === PaymentStatus.FAILED ||
    to === PaymentStatus.REJECTED ||
    to === PaymentStatus.PARTIAL_EXPIRED;
  const settled = isFinalStatus(to)
    ? { nextCheckAt: null, leaseOwner: null, leaseUntil: null }
    : {};
  return {
    changes: { ...changes, status: to, ...(releases ? { openReference: null } : {}), ...settled },
    events: [{ type }],
    source,
    result: { kind: 'transitioned', from: current.status, to },
  };
}

/** The session exists: CREATING (or UNKNOWN) → PENDING with its requestId. */
export function decideCreated(
  current: PlacetoPayPayment,
  session: { requestId: number; processUrl: string | null },
  nextCheckAt: Date | null,
): PaymentChange<ApplyOutcome> | null {
  return transitionTo(current, PaymentStatus.PENDING, 'create', {
    requestId: session.requestId,
    processUrl: session.processUrl,
    statusReason: 'PC',
    statusMessage: null,
    nextCheckAt,
    // The probe took a slow creation for a dead one: the session is known now after all.
    ...(current.reviewReason === CREATION_UNKNOWN_REASON
      ? { needsReview: false, reviewReason: null }
      : {}),
  });
}

/** PlacetoPay refused the session for certain, or it was never sent: FAILED. */
export function decideCreationFailed(
  current: PlacetoPayPayment,
  reason: string,
  message: string,
): PaymentChange<ApplyOutcome> | null {
  return transitionTo(current, PaymentStatus.FAILED, 'create', {
    statusReason: reason.slice(0, 64),
    statusMessage: message.slice(0, 255),
  });
}

/**
 * The session may or may not exist: UNKNOWN, flagged for review. There is no requestId to query;
 * a redirect session is looked at again when it expires (`nextCheckAt`), a collect charge never.
 */
export function decideCreationUnknown(
  current: PlacetoPayPayment,
  message: string,
): PaymentChange<ApplyOutcome> | null {
  return transitionTo(current, PaymentStatus.UNKNOWN, 'create', {
    statusReason: 'unknown',
    statusMessage: message.slice(0, 255),
    needsReview: true,
    reviewReason: CREATION_UNKNOWN_REASON,
    // No requestId to query: the probe only ends a redirect session nobody could pay.
    nextCheckAt: current.kind === 'collect' ? null : current.expiresAt,
    leaseOwner: null,
    leaseUntil: null,
  });
}

/** The probe gave up on an open, scheduled payment: flagged for review, never checked again. */
export function decideUnresolved(
  current: PlacetoPayPayment,
  reason: string,
): PaymentChange<true> | null {
  if (isFinalStatus(current.status) || current.nextCheckAt === null) return null;
  return {
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
  };
}

/**
 * A queried session applied to the row. An amount or currency mismatch is never paid: it flags
 * the payment for review (once per reason). Final statuses are absorbing; a non-final observation
 * older than the stored status date is stale. `now` stands in for a session without a date.
 */
export function decideObservation(
  current: PlacetoPayPayment,
  observation: SessionObservation,
  now: Date,
): PaymentChange<ApplyOutcome> | null {
  const { source } = observation;
  const session = withoutRecurringCharges(observation.session, current.internalReference);
  const to = fromGatewayStatus(session.status.status);
  const observedAt = parseDate(session.status.date);
  const snapshot = redactedSnapshot(session);
  const mismatch = movesMoney(to) ? amountMismatch(session, current) : null;
  if (mismatch) {
    if (current.needsReview && current.reviewReason === mismatch.slice(0, 255)) return null;
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
    statusDate: observedAt ?? now,
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
  const refundEvent: EventIntent = { type: 'payment.refunded', details: { detectedBy: source } };

  const staleForNonFinal =
    !isFinalStatus(to) &&
    observedAt !== null &&
    current.statusDate !== null &&
    observedAt < current.statusDate;
  const transition = staleForNonFinal ? null : transitionTo(current, to, source, facts);
  if (transition) {
    // A mixed payment may be first seen final with only a part paid: its card is saved too.
    const instrument = movesMoney(to) ? instrumentOf(session) : null;
    if (instrument) {
      const request = session.request as { payer?: Person; buyer?: Person } | undefined;
      transition.instrument = {
        facts: instrument,
        payer: request?.payer ?? request?.buyer ?? null,
      };
    }
    if (refundedNow && !current.refunded) {
      transition.changes.refunded = true;
      transition.events.push(refundEvent);
    }
    return transition;
  }
  if (current.status === PaymentStatus.APPROVED && refundedNow && !current.refunded) {
    return {
      changes: { refunded: true, gatewaySnapshot: snapshot },
      events: [refundEvent],
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

/** A refund about to be sent: only one at a time, and none while one is in doubt. */
export function decideRefundStart(
  current: PlacetoPayPayment,
  refundMinor: number,
): PaymentChange<true> | null {
  if (current.status !== PaymentStatus.APPROVED || current.refundInDoubtMinor !== null) return null;
  return {
    changes: { refundInDoubtMinor: refundMinor },
    events: [],
    source: 'manual',
    result: true,
  };
}

/** The refund in doubt did not happen. */
export function decideRefundAbandoned(current: PlacetoPayPayment): PaymentChange<true> | null {
  if (current.refundInDoubtMinor === null) return null;
  return { changes: { refundInDoubtMinor: null }, events: [], source: 'manual', result: true };
}

/** A refund made through the transaction endpoint; never more than the amount in total. */
export function decideRefundRecorded(
  current: PlacetoPayPayment,
  refundedMinor: number,
): PaymentChange<true> | null {
  if (current.status !== PaymentStatus.APPROVED) return null;
  const total = Math.min(current.amountMinor, current.refundedMinor + refundedMinor);
  return {
    changes: { refunded: true, refundedMinor: total, refundInDoubtMinor: null },
    events: [{ type: 'payment.refunded', details: { refundedMinor, totalRefundedMinor: total } }],
    source: 'manual',
    result: true,
  };
}

function parseDate(value: string | null): Date | null {
  if (!value) return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : new Date(time);
}
