import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectSiteClient } from '../gateway/site-client';
import { PLACETOPAY_CLOCK, type PlacetoPayClock } from '../common/clock';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import { PlacetoPayValidationError } from '../gateway/errors/placetopay-validation.error';
import { PlacetoPayClient } from '../gateway/placetopay.client';
import type { PlacetoPayPayment } from '../persistence/placetopay-payment.entity';
import { PlacetoPayPaymentNotFoundError } from './errors/placetopay-payment-not-found.error';
import { PlacetoPayPaymentStateError } from './errors/placetopay-payment-state.error';
import { PaymentLifecycle } from './payment-lifecycle';
import { PaymentStatus } from './payment-status';
import { PlacetoPayPaymentRepository, isRequestId } from './payment.repository';
import { sessionMismatch } from './review-transitions';

const NOTE_MAX = 255;

/**
 * What only a person can decide, without SQL: the payments needing review, attaching the session
 * an operator found in PlacetoPay's console to an UNKNOWN payment, and abandoning a payment whose
 * creation never completed. Wrong input throws a typed error and changes nothing; every change
 * goes through PaymentLifecycle and fires its event.
 */
@Injectable()
export class PaymentReview {
  private readonly logger = new Logger('PlacetoPayService');

  constructor(
    @InjectSiteClient() private readonly client: PlacetoPayClient,
    private readonly lifecycle: PaymentLifecycle,
    private readonly repository: PlacetoPayPaymentRepository,
    @Inject(PLACETOPAY_OPTIONS) private readonly options: ResolvedPlacetoPayOptions,
    @Inject(PLACETOPAY_CLOCK) private readonly clock: PlacetoPayClock,
  ) {}

  /** Payments flagged `needsReview` or `UNKNOWN`, oldest first. */
  listNeedingReview(limit = 100): Promise<PlacetoPayPayment[]> {
    return this.repository.listNeedingReview(limit);
  }

  /**
   * Attaches session `requestId` to an UNKNOWN payment, once its query shows the same reference,
   * currency and amount; then settles the payment from that session.
   */
  async attachSession(paymentId: string, requestId: number): Promise<PlacetoPayPayment> {
    if (!isRequestId(requestId)) {
      throw invalid('requestId', 'must be a PlacetoPay requestId (a positive integer)');
    }
    const payment = await this.mustFind(paymentId);
    if (payment.status !== PaymentStatus.UNKNOWN || payment.requestId !== null) {
      throw new PlacetoPayPaymentStateError(
        payment.id,
        payment.status,
        `Payment ${payment.id} is ${payment.status}; only an UNKNOWN payment without a session can have one attached`,
      );
    }
    const holder = await this.repository.findByRequestId(requestId);
    if (holder) {
      throw invalid('requestId', `session ${requestId} already belongs to payment ${holder.id}`);
    }
    const session = await this.client.getSession(requestId);
    const mismatch = sessionMismatch(session, payment);
    if (mismatch) throw invalid('requestId', mismatch);
    const nextCheckAt = new Date(this.clock.now().getTime() + this.options.probeFirstCheckMs);
    const attached = await this.lifecycle.recordAttached(
      payment.id,
      { requestId, processUrl: payment.processUrl },
      nextCheckAt,
    );
    if (!attached) throw await this.changedMeanwhile(payment.id);
    this.logger.log(`payment ${payment.id}: session ${requestId} attached by an operator`);
    await this.lifecycle.apply({ source: 'manual', session });
    return (await this.repository.findById(payment.id))!;
  }

  /** Ends an UNKNOWN or CREATING payment: FAILED, the note stored, the reference free again. */
  async abandonPayment(paymentId: string, note: string): Promise<PlacetoPayPayment> {
    if (typeof note !== 'string' || note.trim() === '' || note.length > NOTE_MAX) {
      throw invalid('note', `must say why, in 1-${NOTE_MAX} characters`);
    }
    const payment = await this.mustFind(paymentId);
    if (payment.status !== PaymentStatus.UNKNOWN && payment.status !== PaymentStatus.CREATING) {
      throw new PlacetoPayPaymentStateError(
        payment.id,
        payment.status,
        `Payment ${payment.id} is ${payment.status}; only an UNKNOWN or CREATING payment can be abandoned`,
      );
    }
    if (!(await this.lifecycle.recordAbandoned(payment.id, note.trim()))) {
      throw await this.changedMeanwhile(payment.id);
    }
    this.logger.log(
      `payment ${payment.id} (reference ${payment.reference}) abandoned by an operator`,
    );
    return (await this.repository.findById(payment.id))!;
  }

  private async mustFind(paymentId: string): Promise<PlacetoPayPayment> {
    const payment =
      typeof paymentId === 'string' ? await this.repository.findById(paymentId) : null;
    if (!payment) throw new PlacetoPayPaymentNotFoundError(`id ${String(paymentId)}`);
    return payment;
  }

  /** Another change won the race (the probe, a late answer): say what the payment is now. */
  private async changedMeanwhile(paymentId: string): Promise<PlacetoPayPaymentStateError> {
    const now = (await this.repository.findById(paymentId))!;
    return new PlacetoPayPaymentStateError(
      now.id,
      now.status,
      `Payment ${now.id} changed meanwhile and is now ${now.status}; nothing was done`,
    );
  }
}

function invalid(field: string, message: string): PlacetoPayValidationError {
  return new PlacetoPayValidationError([{ field, message }]);
}
