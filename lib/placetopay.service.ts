import { Injectable } from '@nestjs/common';
import { InjectSiteClient } from './gateway/site-client';
import { PlacetoPayClient } from './gateway/placetopay.client';
import type { PlacetoPayInstrument } from './persistence/placetopay-instrument.entity';
import type {
  ChargeInstrumentInput,
  CreateSubscriptionInput,
} from './instruments/instrument-inputs';
import { InstrumentCommands } from './instruments/instrument-commands';
import type { PaymentSource } from './payments/placetopay-event-type';
import type { CreatePaymentInput, CreatePaymentResult } from './payments/create-payment-input';
import { PlacetoPayPaymentNotFoundError } from './payments/errors/placetopay-payment-not-found.error';
import { EventDeliveries } from './events/event-deliveries.service';
import { PlacetoPayDeadLetters } from './events/dead-letters';
import type { DrainSummary } from './events/event-dispatcher';
import type { PlacetoPayEventDelivery } from './persistence/placetopay-event-delivery.entity';
import { ProbeRunner } from './probe/probe-runner';
import type { ProbeSummary } from './probe/probe-summary';
import { PaymentCreation } from './payments/payment-creation';
import { PaymentLifecycle } from './payments/payment-lifecycle';
import { PaymentReversals } from './payments/payment-reversals';
import { PaymentReview } from './payments/payment-review';
import { PlacetoPayPaymentRepository, isRequestId } from './payments/payment.repository';
import type { PlacetoPayPayment } from './persistence/placetopay-payment.entity';

/**
 * Payments as the host sees them: create one and send the buyer to `processUrl`, settle it when
 * the buyer returns, look it up, cancel or refund it; stored payment methods; the probe and event
 * deliveries on demand. A facade: each method hands the work to the class that holds it, and
 * every status change goes through PaymentLifecycle. With several sites, each registration has
 * its own (`@InjectPlacetoPay(name)`), which sees only its site's rows.
 */
@Injectable()
export class PlacetoPayService {
  constructor(
    @InjectSiteClient() private readonly client: PlacetoPayClient,
    private readonly lifecycle: PaymentLifecycle,
    private readonly repository: PlacetoPayPaymentRepository,
    private readonly creation: PaymentCreation,
    private readonly reversals: PaymentReversals,
    private readonly instruments: InstrumentCommands,
    private readonly deliveries: EventDeliveries,
    private readonly probe: ProbeRunner,
    private readonly review: PaymentReview,
    /**
     * Dead-lettered event deliveries, for an operator: `byListener()`, `list(listenerId?)`,
     * `retry(id)`, `retryAll(listenerId?)` ([events](docs/events.md#dead-letters)). This site's only.
     */
    readonly deadLetters: PlacetoPayDeadLetters,
  ) {}

  /**
   * The site this service works for: its registration's `name`, `'default'` without one. Every
   * read, write and operator call here sees only this site's payments.
   */
  get site(): string {
    return this.repository.site;
  }

  /**
   * Runs one probe pass now (what the cron job does): settles every due payment this process can
   * claim, retries pending webhook notifications, and returns what it did. A pass already running
   * in this process is joined, not doubled.
   */
  runProbe(): Promise<ProbeSummary> {
    return this.probe.run();
  }

  /** Event deliveries that ran out of attempts (newest first), with their last error. */
  listDeadLetters(limit?: number): Promise<PlacetoPayEventDelivery[]> {
    return this.deliveries.listDeadLetters(limit);
  }

  /** Gives a dead-lettered delivery a fresh set of attempts, due now. */
  retryDelivery(deliveryId: string): Promise<void> {
    return this.deliveries.retry(deliveryId);
  }

  /**
   * Delivers every due event now and resolves when done: call it after `syncPayment` when the
   * page you render depends on what your listeners do.
   */
  deliverPendingEvents(): Promise<DrainSummary> {
    return this.deliveries.deliverNow();
  }

  /**
   * Stores the payment, then creates its session. Invalid input stores nothing. A definite refusal
   * leaves the payment FAILED; an ambiguous failure (timeout, 5xx) leaves it UNKNOWN and flagged
   * for review. Either way the error is thrown. Never retried: PlacetoPay has no idempotency key.
   */
  createPayment(input: CreatePaymentInput): Promise<CreatePaymentResult<PlacetoPayPayment>> {
    return this.creation.createPayment(input);
  }

  /**
   * Opens a session that only saves a payment method (no charge). When the buyer completes it,
   * the method is stored as a `PlacetoPayInstrument` (its token encrypted) and
   * `instrument.created` fires; the row returned settles like a payment (kind `subscription`,
   * amount 0, currency `XXX`). Needs `instrumentKey`.
   */
  createSubscription(
    input: CreateSubscriptionInput,
  ): Promise<CreatePaymentResult<PlacetoPayPayment>> {
    return this.instruments.createSubscription(input);
  }

  /**
   * Charges a stored payment method through PlacetoPay's collect: stored and settled like any
   * payment (kind `collect`, its own requestId and events, the probe). Never retried: on a
   * timeout the payment is UNKNOWN until the notification PlacetoPay sends for the charge is
   * matched to it (by reference, amount and currency, on a session query), or a human resolves
   * it. PlacetoPay charges the same reference + amount + currency at most once per 24 hours.
   */
  chargeInstrument(
    instrumentId: string,
    input: ChargeInstrumentInput,
  ): Promise<CreatePaymentResult<PlacetoPayPayment>> {
    return this.instruments.chargeInstrument(instrumentId, input);
  }

  /**
   * Invalidates the token at PlacetoPay, then marks the instrument revoked. It is `revoking` (and
   * never charged) from the start: when PlacetoPay's answer is lost it stays so, and calling again
   * finishes the job (a token PlacetoPay already calls invalid counts as revoked).
   */
  revokeInstrument(instrumentId: string): Promise<PlacetoPayInstrument> {
    return this.instruments.revokeInstrument(instrumentId);
  }

  /** A stored payment method (never its token). */
  findInstrument(instrumentId: string): Promise<PlacetoPayInstrument | null> {
    return this.instruments.findInstrument(instrumentId);
  }

  /** The payment methods saved under a reference (newest first), revoked ones included. */
  listInstruments(reference: string): Promise<PlacetoPayInstrument[]> {
    return this.instruments.listInstruments(reference);
  }

  /**
   * After a key rotation (new `instrumentKey`, the old one in `instrumentPreviousKeys`):
   * re-encrypts every stored token under the new key; returns how many were rewritten.
   */
  reencryptInstruments(): Promise<number> {
    return this.instruments.reencryptInstruments();
  }

  /** Queries the session now and applies it; what the return URL should call. */
  async syncPayment(
    requestId: number,
    source: PaymentSource = 'return',
  ): Promise<PlacetoPayPayment> {
    const payment = await this.findByRequestId(requestId);
    if (!payment) throw new PlacetoPayPaymentNotFoundError(`requestId ${requestId}`, 'syncPayment');
    const session = await this.client.getSession(requestId);
    await this.lifecycle.apply({ source, session });
    return (await this.repository.findById(payment.id))!;
  }

  findByRequestId(requestId: number): Promise<PlacetoPayPayment | null> {
    if (!isRequestId(requestId)) return Promise.resolve(null);
    return this.repository.findByRequestId(requestId);
  }

  /** The newest payment of a reference (there may be several after failures). */
  async findByReference(reference: string): Promise<PlacetoPayPayment | null> {
    return (await this.repository.listByReference(reference))[0] ?? null;
  }

  listByReference(reference: string): Promise<PlacetoPayPayment[]> {
    return this.repository.listByReference(reference);
  }

  /** Cancels a pending session at PlacetoPay (it becomes REJECTED) and applies the result. */
  cancelPayment(requestId: number): Promise<PlacetoPayPayment> {
    return this.reversals.cancelPayment(requestId);
  }

  /**
   * Refunds an approved payment in full, or `amount` of it, through PlacetoPay's transaction
   * endpoint. Never retried: on a timeout the refund may have happened; check before trying again.
   */
  refundPayment(requestId: number, amount?: number): Promise<PlacetoPayPayment> {
    return this.reversals.refundPayment(requestId, amount);
  }

  /**
   * Settles a refund left in doubt by a timeout, once you have checked PlacetoPay: `refunded`
   * records it, `false` clears it so another refund can be sent.
   */
  resolveRefund(requestId: number, outcome: { refunded: boolean }): Promise<PlacetoPayPayment> {
    return this.reversals.resolveRefund(requestId, outcome);
  }

  /**
   * Payments a person has to look at, oldest first: `UNKNOWN` ones (a creation or charge whose
   * outcome is unknown) and those flagged `needsReview` (an amount mismatch, given up by the probe).
   */
  listPaymentsNeedingReview(limit?: number): Promise<PlacetoPayPayment[]> {
    return this.review.listNeedingReview(limit);
  }

  /**
   * For an `UNKNOWN` payment whose session you found in PlacetoPay's console: queries it, checks
   * that its reference, currency and amount are the payment's, attaches it and settles the payment
   * from it (`payment.session_attached`, then the session's own event). A session that does not
   * match throws `PlacetoPayValidationError` and changes nothing.
   */
  attachSession(paymentId: string, requestId: number): Promise<PlacetoPayPayment> {
    return this.review.attachSession(paymentId, requestId);
  }

  /**
   * Ends an `UNKNOWN` or `CREATING` payment you checked does not exist at PlacetoPay: `FAILED`
   * with reason `abandoned` and your note, its reference free again (`payment.abandoned`).
   */
  abandonPayment(paymentId: string, note: string): Promise<PlacetoPayPayment> {
    return this.review.abandonPayment(paymentId, note);
  }
}
