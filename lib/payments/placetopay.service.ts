import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { PlacetoPayAuthenticationError } from '../gateway/errors/placetopay-authentication.error';
import { PlacetoPayRequestRejectedError } from '../gateway/errors/placetopay-request-rejected.error';
import { PlacetoPayUnavailableError } from '../gateway/errors/placetopay-unavailable.error';
import { PlacetoPayValidationError } from '../gateway/errors/placetopay-validation.error';
import { fromMinorUnits, toMinorUnits } from '../gateway/money';
import { PlacetoPayClient } from '../gateway/placetopay.client';
import { validateCreateSessionRequest } from '../gateway/validation/request.validation';
import type { CreateSessionRequest } from '../gateway/wire/requests.types';
import type { PaymentSource } from '../events/placetopay-event-type';
import { PLACETOPAY_OPTIONS } from '../placetopay.constants';
import type { CreatePaymentInput, CreatePaymentResult } from './create-payment-input';
import { PlacetoPayDuplicatePaymentError } from './errors/placetopay-duplicate-payment.error';
import { PlacetoPayPaymentNotFoundError } from './errors/placetopay-payment-not-found.error';
import { PlacetoPayPaymentStateError } from './errors/placetopay-payment-state.error';
import { EventDeliveries } from '../events/event-deliveries.service';
import type { DrainSummary } from '../events/event-dispatcher';
import type { PlacetoPayEventDelivery } from '../events/placetopay-event-delivery.entity';
import { ProbeRunner } from '../probe/probe-runner';
import type { ProbeSummary } from '../probe/probe-summary';
import { PaymentLifecycle } from './payment-lifecycle';
import { PaymentStatus, isFinalStatus } from './payment-status';
import { PlacetoPayPaymentRepository } from './payment.repository';
import { PlacetoPayPayment } from './placetopay-payment.entity';

const DEFAULT_EXPIRATION_MS = 30 * 60_000;
/** How long after its own deadline a creation that never finished is handed to the probe. */
const STALE_CREATION_MARGIN_MS = 60_000;
const MAX_METADATA_BYTES = 4096;

/**
 * Payments as the host sees them: create one and send the buyer to `processUrl`, settle it when
 * the buyer returns, look it up, cancel or refund it. Every status change goes through
 * PaymentLifecycle.
 */
@Injectable()
export class PlacetoPayService {
  private readonly logger = new Logger('PlacetoPayService');

  constructor(
    private readonly client: PlacetoPayClient,
    private readonly lifecycle: PaymentLifecycle,
    private readonly repository: PlacetoPayPaymentRepository,
    private readonly deliveries: EventDeliveries,
    @Inject(PLACETOPAY_OPTIONS) private readonly options: ResolvedPlacetoPayOptions,
    private readonly probe: ProbeRunner,
  ) {}

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
  async createPayment(input: CreatePaymentInput): Promise<CreatePaymentResult<PlacetoPayPayment>> {
    const request = this.sessionRequest(input);
    validateCreateSessionRequest(request, new Date(Date.now() + this.options.clockOffsetMs));
    this.checkMetadata(input.metadata);
    const amountMinor = toMinorUnits(input.amount.total, input.amount.currency);

    const blocks = !this.options.allowDuplicateReferences;
    const duplicate = async (): Promise<PlacetoPayDuplicatePaymentError | null> => {
      const existing = blocks ? await this.repository.findBlocking(input.reference) : null;
      return existing
        ? new PlacetoPayDuplicatePaymentError(input.reference, existing.id, existing.status)
        : null;
    };
    const early = await duplicate();
    if (early) throw early;
    let payment: PlacetoPayPayment;
    try {
      payment = await this.lifecycle.open(
        {
          reference: input.reference,
          description: input.description,
          currency: input.amount.currency,
          amountMinor,
          buyerEmail: input.buyer?.email ?? null,
          metadata: input.metadata ?? null,
          expiresAt: new Date(
            request.expiration
              ? Date.parse(request.expiration)
              : Date.now() + DEFAULT_EXPIRATION_MS,
          ),
        },
        blocks,
        new Date(Date.now() + this.options.timeoutMs + STALE_CREATION_MARGIN_MS),
      );
    } catch (error) {
      // The unique openReference refused it: another replica (or call) opened one meanwhile.
      throw (await duplicate()) ?? error;
    }
    let session;
    try {
      session = await this.client.createSession(request);
    } catch (error) {
      await this.recordCreationError(payment.id, error);
      throw error;
    }
    await this.recordCreatedOrSay(payment.id, session);
    return {
      payment: (await this.repository.findById(payment.id))!,
      requestId: session.requestId,
      processUrl: session.processUrl,
    };
  }

  /** Queries the session now and applies it; what the return URL should call. */
  async syncPayment(
    requestId: number,
    source: PaymentSource = 'return',
  ): Promise<PlacetoPayPayment> {
    const payment = await this.findByRequestId(requestId);
    if (!payment) throw new PlacetoPayPaymentNotFoundError(`requestId ${requestId}`);
    const session = await this.client.getSession(requestId);
    await this.lifecycle.apply({ source, session });
    return (await this.repository.findById(payment.id))!;
  }

  findByRequestId(requestId: number): Promise<PlacetoPayPayment | null> {
    if (!Number.isSafeInteger(requestId) || requestId <= 0) return Promise.resolve(null);
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
  async cancelPayment(requestId: number): Promise<PlacetoPayPayment> {
    const payment = await this.mustFind(requestId);
    if (isFinalStatus(payment.status)) {
      throw new PlacetoPayPaymentStateError(
        payment.id,
        payment.status,
        `Payment ${payment.id} is ${payment.status}; only an open payment can be cancelled`,
      );
    }
    const response = await this.client.cancelSession(requestId);
    if (response.session)
      await this.lifecycle.apply({ source: 'manual', session: response.session });
    else
      await this.lifecycle.apply({
        source: 'manual',
        session: await this.client.getSession(requestId),
      });
    return (await this.repository.findById(payment.id))!;
  }

  /**
   * Refunds an approved payment in full, or `amount` of it, through PlacetoPay's transaction
   * endpoint. Never retried: on a timeout the refund may have happened; check before trying again.
   */
  async refundPayment(requestId: number, amount?: number): Promise<PlacetoPayPayment> {
    const payment = await this.mustFind(requestId);
    if (payment.status !== PaymentStatus.APPROVED || payment.internalReference === null) {
      throw new PlacetoPayPaymentStateError(
        payment.id,
        payment.status,
        `Payment ${payment.id} is ${payment.status}; only an approved payment can be refunded`,
      );
    }
    const left = payment.amountMinor - payment.refundedMinor;
    let refundMinor = left;
    if (amount !== undefined) {
      try {
        refundMinor = toMinorUnits(amount, payment.currency);
      } catch {
        throw new PlacetoPayValidationError([
          { field: 'amount', message: `must be a ${payment.currency} amount` },
        ]);
      }
      if (refundMinor <= 0 || refundMinor > left) {
        throw new PlacetoPayValidationError([
          {
            field: 'amount',
            message: `must be above 0 and at most ${fromMinorUnits(left, payment.currency)} ${payment.currency}`,
          },
        ]);
      }
    }
    if (left <= 0) {
      throw new PlacetoPayPaymentStateError(
        payment.id,
        payment.status,
        `Payment ${payment.id} is already refunded`,
      );
    }
    if (!(await this.lifecycle.beginRefund(payment.id, refundMinor))) {
      throw new PlacetoPayPaymentStateError(
        payment.id,
        payment.status,
        `Payment ${payment.id} has a refund under way or in doubt; see resolveRefund`,
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
    const payment = await this.mustFind(requestId);
    if (payment.refundInDoubtMinor === null) {
      throw new PlacetoPayPaymentStateError(
        payment.id,
        payment.status,
        `Payment ${payment.id} has no refund in doubt`,
      );
    }
    if (outcome.refunded) await this.lifecycle.recordRefund(payment.id, payment.refundInDoubtMinor);
    else await this.lifecycle.abandonRefund(payment.id);
    return (await this.repository.findById(payment.id))!;
  }

  /**
   * The session exists at PlacetoPay: its requestId must not be lost to a passing database error.
   * Retried a few times; if it still fails, the requestId is logged and carried by the error.
   */
  private async recordCreatedOrSay(
    paymentId: string,
    session: { requestId: number; processUrl: string },
  ): Promise<void> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        await this.lifecycle.recordCreated(
          paymentId,
          session,
          new Date(Date.now() + this.options.probeFirstCheckMs),
        );
        return;
      } catch (error) {
        lastError = error;
      }
    }
    const message = `payment ${paymentId}: session ${session.requestId} was created at PlacetoPay but could not be stored`;
    this.logger.error(
      `${message}: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
    );
    throw new PlacetoPayPaymentStateError(
      paymentId,
      PaymentStatus.CREATING,
      `${message}; store requestId ${session.requestId} by hand`,
    );
  }

  private async mustFind(requestId: number): Promise<PlacetoPayPayment> {
    const payment = await this.findByRequestId(requestId);
    if (!payment) throw new PlacetoPayPaymentNotFoundError(`requestId ${requestId}`);
    return payment;
  }

  private sessionRequest(input: CreatePaymentInput): CreateSessionRequest {
    const expiration =
      input.expiration instanceof Date ? input.expiration.toISOString() : input.expiration;
    const request: CreateSessionRequest = {
      payment: {
        reference: input.reference,
        description: input.description,
        amount: { currency: input.amount?.currency, total: input.amount?.total },
      },
      returnUrl: input.returnUrl,
      ipAddress: input.ipAddress,
      userAgent: input.userAgent,
      buyer: input.buyer,
      payer: input.payer,
      expiration,
      locale: input.locale,
      cancelUrl: input.cancelUrl,
      skipResult: input.skipResult,
      paymentMethod: input.paymentMethod,
      fields: input.fields,
    };
    for (const key of Object.keys(request) as Array<keyof CreateSessionRequest>) {
      if (request[key] === undefined) delete request[key];
    }
    return request;
  }

  private checkMetadata(metadata: unknown): void {
    if (metadata === undefined) return;
    let size = Number.POSITIVE_INFINITY;
    try {
      size =
        typeof metadata === 'object' && metadata !== null && !Array.isArray(metadata)
          ? Buffer.byteLength(JSON.stringify(metadata))
          : size;
    } catch {
      size = Number.POSITIVE_INFINITY;
    }
    if (size > MAX_METADATA_BYTES) {
      throw new PlacetoPayValidationError(
        [
          {
            field: 'metadata',
            message: `must be a JSON object of at most ${MAX_METADATA_BYTES} bytes`,
          },
        ],
        'createSession',
      );
    }
  }

  private async recordCreationError(paymentId: string, error: unknown): Promise<void> {
    if (error instanceof PlacetoPayRequestRejectedError) {
      await this.lifecycle.recordCreationFailed(
        paymentId,
        String(error.reason),
        error.gatewayMessage ?? error.message,
      );
    } else if (error instanceof PlacetoPayAuthenticationError) {
      await this.lifecycle.recordCreationFailed(
        paymentId,
        `auth_${error.authCode ?? 'failed'}`,
        error.hint,
      );
    } else if (error instanceof PlacetoPayValidationError) {
      await this.lifecycle.recordCreationFailed(paymentId, 'invalid_request', error.message);
    } else if (error instanceof PlacetoPayUnavailableError && !error.mayHaveReachedGateway) {
      await this.lifecycle.recordCreationFailed(paymentId, 'not_sent', error.message);
    } else {
      this.logger.warn(
        `payment ${paymentId}: the session may or may not exist at PlacetoPay; flagged for review`,
      );
      await this.lifecycle.recordCreationUnknown(
        paymentId,
        error instanceof Error ? error.message : 'unknown error',
      );
    }
  }
}
