import { Injectable, Logger } from '@nestjs/common';
import { InjectSiteClient } from '../gateway/site-client';
import { PlacetoPayRequestRejectedError } from '../gateway/errors/placetopay-request-rejected.error';
import { PlacetoPayUnavailableError } from '../gateway/errors/placetopay-unavailable.error';
import { PlacetoPayValidationError } from '../gateway/errors/placetopay-validation.error';
import type { PlacetoPayOperation } from '../gateway/errors/placetopay.error';
import { fromMinorUnits, toMinorUnits } from '../gateway/money';
import { PlacetoPayClient } from '../gateway/placetopay.client';
import type { PlacetoPayPayment } from '../persistence/placetopay-payment.entity';
import { PlacetoPayPaymentNotFoundError } from './errors/placetopay-payment-not-found.error';
import { PlacetoPayPaymentStateError } from './errors/placetopay-payment-state.error';
import { PaymentLifecycle } from './payment-lifecycle';
import { PaymentStatus, isFinalStatus } from './payment-status';
import { PlacetoPayPaymentRepository, isRequestId } from './payment.repository';

/**
 * Undoing a payment at PlacetoPay: cancel an open session, refund an approved one (in full or in
 * part, one refund at a time), and settle a refund a timeout left in doubt. Every change goes
 * through PaymentLifecycle.
 */
@Injectable()
export class PaymentReversals {
  private readonly logger = new Logger('PlacetoPayService');

  constructor(
    @InjectSiteClient() private readonly client: PlacetoPayClient,
    private readonly lifecycle: PaymentLifecycle,
    private readonly repository: PlacetoPayPaymentRepository,
  ) {}

  /** Cancels a pending session at PlacetoPay (it becomes REJECTED) and applies the result. */
  async cancelPayment(requestId: number): Promise<PlacetoPayPayment> {
    const payment = await this.mustFind(requestId, 'cancelPayment');
    if (isFinalStatus(payment.status)) {
      throw new PlacetoPayPaymentStateError(
        payment.id,
        payment.status,
        `payment ${payment.id} is ${payment.status}; only an open payment can be cancelled`,
        'cancelPayment',
      );
    }
    const response = await this.client.cancelSession(requestId);
    const session = response.session ?? (await this.client.getSession(requestId));
    await this.lifecycle.apply({ source: 'manual', session });
    return (await this.repository.findById(payment.id))!;
  }

  /**
   * Refunds an approved payment in full, or `amount` of it, through PlacetoPay's transaction
   * endpoint. Never retried: on a timeout the refund may have happened; check before trying again.
   */
  async refundPayment(requestId: number, amount?: number): Promise<PlacetoPayPayment> {
    const payment = await this.mustFind(requestId, 'refundPayment');
    if (payment.status !== PaymentStatus.APPROVED || payment.internalReference === null) {
      throw new PlacetoPayPaymentStateError(
        payment.id,
        payment.status,
        `payment ${payment.id} is ${payment.status}; only an APPROVED payment can be refunded`,
        'refundPayment',
      );
    }
    const refundMinor = refundAmount(payment, amount);
    if (!(await this.lifecycle.beginRefund(payment.id, refundMinor))) {
      throw new PlacetoPayPaymentStateError(
        payment.id,
        payment.status,
        `payment ${payment.id} has a refund under way or in doubt; see resolveRefund`,
        'refundPayment',
      );
    }
    let response;
    try {
      response = await this.client.transaction({
        internalReference: payment.internalReference,
        action: 'reverse',
        ...(amount === undefined
          ? {}
          : {
              amount: {
                currency: payment.currency,
                total: fromMinorUnits(refundMinor, payment.currency),
              },
            }),
      });
    } catch (error) {
      if (error instanceof PlacetoPayUnavailableError && error.mayHaveReachedGateway) {
        // It may have happened: no other refund until someone checks (resolveRefund).
        this.logger.warn(
          `payment ${payment.id}: refund of ${refundMinor} minor units is in doubt (${error.kind})`,
        );
      } else {
        await this.lifecycle.abandonRefund(payment.id);
      }
      throw error;
    }
    if (response.status.status !== 'APPROVED') {
      await this.lifecycle.abandonRefund(payment.id);
      throw new PlacetoPayRequestRejectedError(
        'transaction',
        response.status.reason,
        response.status.message,
        200,
      );
    }
    await this.lifecycle.recordRefund(payment.id, refundMinor);
    return (await this.repository.findById(payment.id))!;
  }

  /**
   * Settles a refund left in doubt by a timeout, once you have checked PlacetoPay: `refunded`
   * records it, `false` clears it so another refund can be sent.
   */
  async resolveRefund(
    requestId: number,
    outcome: { refunded: boolean },
  ): Promise<PlacetoPayPayment> {
    const payment = await this.mustFind(requestId, 'resolveRefund');
    if (payment.refundInDoubtMinor === null) {
      throw new PlacetoPayPaymentStateError(
        payment.id,
        payment.status,
        `payment ${payment.id} has no refund in doubt`,
        'resolveRefund',
      );
    }
    if (outcome.refunded) await this.lifecycle.recordRefund(payment.id, payment.refundInDoubtMinor);
    else await this.lifecycle.abandonRefund(payment.id);
    return (await this.repository.findById(payment.id))!;
  }

  private async mustFind(
    requestId: number,
    operation: PlacetoPayOperation,
  ): Promise<PlacetoPayPayment> {
    const payment = isRequestId(requestId)
      ? await this.repository.findByRequestId(requestId)
      : null;
    if (!payment) throw new PlacetoPayPaymentNotFoundError(`requestId ${requestId}`, operation);
    return payment;
  }
}

/**
 * The minor units a refund of `amount` (all that is left when undefined) takes back: more than 0
 * and at most what is left, else a validation error; nothing left is a state error.
 */
function refundAmount(payment: PlacetoPayPayment, amount: number | undefined): number {
  const left = payment.amountMinor - payment.refundedMinor;
  let refundMinor = left;
  if (amount !== undefined) {
    try {
      refundMinor = toMinorUnits(amount, payment.currency);
    } catch {
      throw new PlacetoPayValidationError(
        [{ field: 'amount', message: `must be an amount in ${payment.currency}` }],
        'refundPayment',
      );
    }
    if (refundMinor <= 0 || refundMinor > left) {
      throw new PlacetoPayValidationError(
        [
          {
            field: 'amount',
            message: `must be above 0 and at most ${fromMinorUnits(left, payment.currency)} ${payment.currency}`,
          },
        ],
        'refundPayment',
      );
    }
  }
  if (left <= 0) {
    throw new PlacetoPayPaymentStateError(
      payment.id,
      payment.status,
      `payment ${payment.id} is already refunded`,
      'refundPayment',
    );
  }
  return refundMinor;
}
