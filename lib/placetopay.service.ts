import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ResolvedPlacetoPayOptions } from './config/placetopay-options.interface';
import { PlacetoPayAuthenticationError } from './gateway/errors/placetopay-authentication.error';
import { PlacetoPayRequestRejectedError } from './gateway/errors/placetopay-request-rejected.error';
import { PlacetoPayUnavailableError } from './gateway/errors/placetopay-unavailable.error';
import { PlacetoPayValidationError } from './gateway/errors/placetopay-validation.error';
import type { PlacetoPayOperation } from './gateway/errors/placetopay.error';
import { fromMinorUnits, toMinorUnits } from './gateway/money';
import { PlacetoPayClient } from './gateway/placetopay.client';
import { validateCreateSessionRequest } from './gateway/validation/request.validation';
import type { CollectRequest, CreateSessionRequest } from './gateway/wire/requests.types';
import type { RedirectInformation } from './gateway/wire/responses.types';
import type { Person } from './gateway/wire/person.types';
import { validateCollectRequest } from './gateway/validation/request.validation';
import { InstrumentVault } from './instruments/instrument-vault';
import { PlacetoPayInstrument } from './persistence/placetopay-instrument.entity';
import type {
  ChargeInstrumentInput,
  CreateSubscriptionInput,
} from './instruments/instrument-inputs';
import { PlacetoPayInstrumentNotFoundError } from './instruments/errors/placetopay-instrument-not-found.error';
import { PlacetoPayInstrumentRevokedError } from './instruments/errors/placetopay-instrument-revoked.error';
import type { PaymentSource } from './payments/placetopay-event-type';
import { PLACETOPAY_OPTIONS } from './config/tokens';
import type { CreatePaymentInput, CreatePaymentResult } from './payments/create-payment-input';
import { PlacetoPayDuplicatePaymentError } from './payments/errors/placetopay-duplicate-payment.error';
import { PlacetoPayPaymentNotFoundError } from './payments/errors/placetopay-payment-not-found.error';
import { PlacetoPayPaymentStateError } from './payments/errors/placetopay-payment-state.error';
import { EventDeliveries } from './events/event-deliveries.service';
import type { DrainSummary } from './events/event-dispatcher';
import type { PlacetoPayEventDelivery } from './persistence/placetopay-event-delivery.entity';
import { ProbeRunner } from './probe/probe-runner';
import type { ProbeSummary } from './probe/probe-summary';
import { PaymentLifecycle } from './payments/payment-lifecycle';
import type { NewPayment } from './payments/new-payment';
import { PaymentStatus, isFinalStatus } from './payments/payment-status';
import { PlacetoPayPaymentRepository } from './payments/payment.repository';
import { PlacetoPayPayment } from './persistence/placetopay-payment.entity';

const DEFAULT_EXPIRATION_MS = 30 * 60_000;
/** How long after its own deadline a creation that never finished is handed to the probe. */
const STALE_CREATION_MARGIN_MS = 60_000;
const MAX_METADATA_BYTES = 4096;
/** ISO 4217's "no currency": what a subscription session (no charge) is stored with. */
const NO_CURRENCY = 'XXX';
/** What a merchant-initiated charge sends when the buyer is not there. */
const SERVER_IP = '127.0.0.1';
const SERVER_USER_AGENT = 'nestjs-placetopay (merchant-initiated charge)';

/** The input must be an object; anything else is a validation error, not a TypeError. */
function requireObject(input: unknown, operation: PlacetoPayOperation): void {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new PlacetoPayValidationError(
      [{ field: 'input', message: 'must be an object' }],
      operation,
    );
  }
}

/** A Date as PlacetoPay's ISO text; an invalid Date stays invalid text, for validation to refuse. */
function wireDate(value: Date | string | undefined): string | undefined {
  if (!(value instanceof Date)) return value;
  return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
}

/** PlacetoPay drops a buyer email over 80 characters; so does the stored copy. */
function storedEmail(email: string | undefined): string | null {
  return email !== undefined && email.length <= 80 ? email : null;
}

function withoutUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as Array<keyof T>) {
    if (value[key] === undefined) delete value[key];
  }
  return value;
}

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
    private readonly vault: InstrumentVault,
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
    requireObject(input, 'createSession');
    const request = this.sessionRequest(input);
    validateCreateSessionRequest(request, this.gatewayNow());
    this.checkMetadata(input.metadata);
    if (input.subscribe) this.vault.requireKey('payment.subscribe');
    return this.openSession(request, {
      reference: input.reference,
      description: input.description,
      currency: input.amount.currency,
      amountMinor: toMinorUnits(input.amount.total, input.amount.currency),
      allowPartial: input.allowPartial === true,
      buyerEmail: storedEmail(input.buyer?.email),
      metadata: input.metadata ?? null,
    });
  }

  /**
   * Opens a session that only saves a payment method (no charge). When the buyer completes it,
   * the method is stored as a `PlacetoPayInstrument` (its token encrypted) and
   * `instrument.created` fires; the row returned settles like a payment (kind `subscription`,
   * amount 0, currency `XXX`). Needs `instrumentKey`.
   */
  async createSubscription(
    input: CreateSubscriptionInput,
  ): Promise<CreatePaymentResult<PlacetoPayPayment>> {
    this.vault.requireKey('createSubscription');
    requireObject(input, 'createSession');
    const expiration = wireDate(input.expiration);
    const request = withoutUndefined<CreateSessionRequest>({
      subscription: { reference: input.reference, description: input.description },
      returnUrl: input.returnUrl,
      ipAddress: input.ipAddress,
      userAgent: input.userAgent,
      buyer: input.buyer,
      payer: input.payer,
      expiration,
      locale: input.locale,
      cancelUrl: input.cancelUrl,
    });
    validateCreateSessionRequest(request, this.gatewayNow());
    this.checkMetadata(input.metadata);
    return this.openSession(request, {
      kind: 'subscription',
      reference: input.reference,
      description: input.description,
      currency: NO_CURRENCY,
      amountMinor: 0,
      buyerEmail: storedEmail(input.buyer?.email),
      metadata: input.metadata ?? null,
    });
  }

  /**
   * Charges a stored payment method through PlacetoPay's collect: stored and settled like any
   * payment (kind `collect`, its own requestId and events, the probe). Never retried: on a
   * timeout the payment is UNKNOWN until the notification PlacetoPay sends for the charge is
   * matched to it (by reference, amount and currency, on a session query), or a human resolves
   * it. PlacetoPay charges the same reference + amount + currency at most once per 24 hours.
   */
  async chargeInstrument(
    instrumentId: string,
    input: ChargeInstrumentInput,
  ): Promise<CreatePaymentResult<PlacetoPayPayment>> {
    requireObject(input, 'collect');
    const instrument = await this.findInstrument(instrumentId);
    if (!instrument) throw new PlacetoPayInstrumentNotFoundError(instrumentId);
    if (instrument.status !== 'active') throw new PlacetoPayInstrumentRevokedError(instrumentId);
    const token = await this.vault.token(instrument.id);
    const request = withoutUndefined<CollectRequest>({
      payment: {
        reference: input.reference,
        description: input.description,
        amount: { currency: input.amount?.currency, total: input.amount?.total },
      },
      instrument: {
        token: withoutUndefined({ token, installments: input.installments }),
      },
      payer: (input.payer ?? instrument.payer ?? undefined) as Person,
      ipAddress: input.ipAddress ?? SERVER_IP,
      userAgent: input.userAgent ?? SERVER_USER_AGENT,
      locale: input.locale,
    });
    validateCollectRequest(request, this.gatewayNow());
    this.checkMetadata(input.metadata);
    return this.openSession(request, {
      kind: 'collect',
      reference: input.reference,
      description: input.description,
      currency: input.amount.currency,
      amountMinor: toMinorUnits(input.amount.total, input.amount.currency),
      buyerEmail: storedEmail(request.payer?.email),
      metadata: input.metadata ?? null,
    });
  }

  /**
   * Invalidates the token at PlacetoPay, then marks the instrument revoked. It is `revoking` (and
   * never charged) from the start: when PlacetoPay's answer is lost it stays so, and calling again
   * finishes the job (a token PlacetoPay already calls invalid counts as revoked).
   */
  async revokeInstrument(instrumentId: string): Promise<PlacetoPayInstrument> {
    const instrument = await this.findInstrument(instrumentId);
    if (!instrument) throw new PlacetoPayInstrumentNotFoundError(instrumentId);
    if (instrument.status !== 'revoked') {
      await this.vault.instruments.update(
        { id: instrument.id, status: 'active' },
        { status: 'revoking', updatedAt: new Date() },
      );
      const token = await this.vault.token(instrument.id);
      try {
        await this.client.invalidateToken({ token });
      } catch (error) {
        const alreadyInvalid =
          error instanceof PlacetoPayRequestRejectedError && String(error.reason) === 'XN';
        if (!alreadyInvalid) throw error;
      }
      const now = new Date();
      await this.vault.instruments.update(
        { id: instrument.id, status: 'revoking' },
        { status: 'revoked', revokedAt: now, updatedAt: now },
      );
    }
    return (await this.findInstrument(instrumentId))!;
  }

  /** A stored payment method (never its token). */
  findInstrument(instrumentId: string): Promise<PlacetoPayInstrument | null> {
    if (typeof instrumentId !== 'string' || !/^[0-9a-f-]{36}$/i.test(instrumentId))
      return Promise.resolve(null);
    return this.vault.instruments.findOneBy({ id: instrumentId });
  }

  /** The payment methods saved under a reference (newest first), revoked ones included. */
  listInstruments(reference: string): Promise<PlacetoPayInstrument[]> {
    return this.vault.instruments.find({ where: { reference }, order: { createdAt: 'DESC' } });
  }

  /**
   * After a key rotation (new `instrumentKey`, the old one in `instrumentPreviousKeys`):
   * re-encrypts every stored token under the new key; returns how many were rewritten.
   */
  reencryptInstruments(): Promise<number> {
    return this.vault.reencryptAll();
  }

  /** Now as PlacetoPay sees it (what expirations are checked against). */
  private gatewayNow(): Date {
    return new Date(Date.now() + this.options.clockOffsetMs);
  }

  private async openSession(
    request: CreateSessionRequest | CollectRequest,
    draft: NewPayment,
  ): Promise<CreatePaymentResult<PlacetoPayPayment>> {
    const { reference } = draft;
    const collect = draft.kind === 'collect';
    const expiresIn = (request as CreateSessionRequest).expiration;
    // Several methods may be saved under one customer reference: a subscription blocks nothing.
    const blocks = draft.kind !== 'subscription' && !this.options.allowDuplicateReferences;
    const duplicate = async (): Promise<PlacetoPayDuplicatePaymentError | null> => {
      const existing = blocks ? await this.repository.findBlocking(reference) : null;
      return existing
        ? new PlacetoPayDuplicatePaymentError(reference, existing.id, existing.status)
        : null;
    };
    const early = await duplicate();
    if (early) throw early;
    let payment: PlacetoPayPayment;
    try {
      payment = await this.lifecycle.open(
        {
          ...draft,
          expiresAt: collect
            ? null
            : new Date(expiresIn ? Date.parse(expiresIn) : Date.now() + DEFAULT_EXPIRATION_MS),
        },
        blocks,
        new Date(Date.now() + this.options.timeoutMs + STALE_CREATION_MARGIN_MS),
      );
    } catch (error) {
      // The unique openReference refused it: another replica (or call) opened one meanwhile.
      throw (await duplicate()) ?? error;
    }
    let session: { requestId: number; processUrl: string | null };
    let charged: RedirectInformation | undefined;
    try {
      if (collect) {
        charged = await this.client.collect(request as CollectRequest);
        session = { requestId: charged.requestId, processUrl: null };
      } else {
        session = await this.client.createSession(request as CreateSessionRequest);
      }
    } catch (error) {
      await this.recordCreationError(payment.id, error);
      throw error;
    }
    await this.recordCreatedOrSay(payment.id, session);
    // A collect answers with the charge itself: settle it now.
    if (charged) await this.lifecycle.apply({ source: 'create', session: charged });
    return {
      payment: (await this.repository.findById(payment.id))!,
      requestId: session.requestId,
      processUrl: session.processUrl ?? '',
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
    session: { requestId: number; processUrl: string | null },
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
    const expiration = wireDate(input.expiration);
    const request: CreateSessionRequest = {
      payment: withoutUndefined({
        reference: input.reference,
        description: input.description,
        amount: { currency: input.amount?.currency, total: input.amount?.total },
        allowPartial: input.allowPartial,
        subscribe: input.subscribe,
        recurring: input.recurring,
      }),
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
