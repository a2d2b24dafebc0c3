import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectSiteClient } from '../gateway/site-client';
import { PLACETOPAY_CLOCK, type PlacetoPayClock } from '../common/clock';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import { PlacetoPayAuthenticationError } from '../gateway/errors/placetopay-authentication.error';
import { PlacetoPayRequestRejectedError } from '../gateway/errors/placetopay-request-rejected.error';
import { PlacetoPayUnavailableError } from '../gateway/errors/placetopay-unavailable.error';
import { PlacetoPayValidationError } from '../gateway/errors/placetopay-validation.error';
import type { PlacetoPayOperation } from '../gateway/errors/placetopay.error';
import { toMinorUnits } from '../gateway/money';
import { PlacetoPayClient } from '../gateway/placetopay.client';
import { validateCreateSessionRequest } from '../gateway/validation/request.validation';
import type { CollectRequest, CreateSessionRequest } from '../gateway/wire/requests.types';
import type { RedirectInformation } from '../gateway/wire/responses.types';
import type { PaymentKind, PlacetoPayPayment } from '../persistence/placetopay-payment.entity';
import type { CreatePaymentInput, CreatePaymentResult } from './create-payment-input';
import { PlacetoPayDuplicatePaymentError } from './errors/placetopay-duplicate-payment.error';
import { PlacetoPayPaymentStateError } from './errors/placetopay-payment-state.error';
import { INSTRUMENT_STORE, type InstrumentStore } from './lifecycle-ports';
import type { NewPayment } from './new-payment';
import { PaymentLifecycle } from './payment-lifecycle';
import { PaymentStatus } from './payment-status';
import { PlacetoPayPaymentRepository } from './payment.repository';
import {
  checkMetadata,
  gatewayNow,
  paymentSessionRequest,
  requireObject,
  storedEmail,
} from './session-request';

const DEFAULT_EXPIRATION_MS = 30 * 60_000;
/** How long after its own deadline a creation that never finished is handed to the probe. */
const STALE_CREATION_MARGIN_MS = 60_000;

/** The service method that opens each kind of payment, named in the errors it throws. */
const OPERATIONS: Record<Exclude<PaymentKind, 'recurring'>, PlacetoPayOperation> = {
  payment: 'createPayment',
  subscription: 'createSubscription',
  collect: 'chargeInstrument',
};

/**
 * Creating a session: the payment is stored first (CREATING), then PlacetoPay is called once.
 * A definite refusal leaves it FAILED; an ambiguous failure (timeout, 5xx) leaves it UNKNOWN and
 * flagged for review. Never retried: PlacetoPay has no idempotency key.
 */
@Injectable()
export class PaymentCreation {
  private readonly logger = new Logger('PlacetoPayService');

  constructor(
    @InjectSiteClient() private readonly client: PlacetoPayClient,
    private readonly lifecycle: PaymentLifecycle,
    private readonly repository: PlacetoPayPaymentRepository,
    @Inject(PLACETOPAY_OPTIONS) private readonly options: ResolvedPlacetoPayOptions,
    @Inject(PLACETOPAY_CLOCK) private readonly clock: PlacetoPayClock,
    @Inject(INSTRUMENT_STORE) private readonly instruments: InstrumentStore,
  ) {}

  /** `PlacetoPayService.createPayment`. Invalid input stores nothing. */
  async createPayment(input: CreatePaymentInput): Promise<CreatePaymentResult<PlacetoPayPayment>> {
    requireObject(input, 'createSession');
    const request = paymentSessionRequest(input);
    validateCreateSessionRequest(request, this.gatewayNow());
    checkMetadata(input.metadata);
    if (input.subscribe) this.instruments.requireKey('payment.subscribe');
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

  /** Now as PlacetoPay sees it (what expirations are checked against). */
  gatewayNow(): Date {
    return gatewayNow(this.clock, this.options.clockOffsetMs);
  }

  /**
   * Stores `draft`, then sends `request` (a session, or a collect for `kind: 'collect'`), and
   * records what came of it. A collect answers with the charge itself: it is settled at once.
   */
  async openSession(
    request: CreateSessionRequest | CollectRequest,
    draft: NewPayment,
  ): Promise<CreatePaymentResult<PlacetoPayPayment>> {
    const { reference } = draft;
    const collect = draft.kind === 'collect';
    const operation = OPERATIONS[(draft.kind ?? 'payment') as Exclude<PaymentKind, 'recurring'>];
    const expiresIn = (request as CreateSessionRequest).expiration;
    // Several methods may be saved under one customer reference: a subscription blocks nothing.
    const blocks = draft.kind !== 'subscription' && !this.options.allowDuplicateReferences;
    const duplicate = async (): Promise<PlacetoPayDuplicatePaymentError | null> => {
      const existing = blocks ? await this.repository.findBlocking(reference) : null;
      return existing
        ? new PlacetoPayDuplicatePaymentError(reference, existing.id, existing.status, operation)
        : null;
    };
    // No read first: the unique openReference refuses a duplicate, and only then is it looked up.
    let payment: PlacetoPayPayment;
    try {
      const now = this.clock.now().getTime();
      payment = await this.lifecycle.open(
        {
          ...draft,
          expiresAt: collect
            ? null
            : new Date(expiresIn ? Date.parse(expiresIn) : now + DEFAULT_EXPIRATION_MS),
        },
        blocks,
        new Date(now + this.options.timeoutMs + STALE_CREATION_MARGIN_MS),
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
    const written = await this.recordCreatedOrSay(payment, session, operation);
    if (charged) await this.lifecycle.apply({ source: 'create', session: charged });
    return {
      payment: (!charged && written) || (await this.repository.findById(payment.id))!,
      requestId: session.requestId,
      processUrl: session.processUrl ?? '',
    };
  }

  /**
   * The session exists at PlacetoPay: its requestId must not be lost to a passing database error.
   * Retried a few times; if it still fails, the requestId is logged and carried by the error.
   */
  private async recordCreatedOrSay(
    opened: PlacetoPayPayment,
    session: { requestId: number; processUrl: string | null },
    operation: PlacetoPayOperation,
  ): Promise<PlacetoPayPayment | null> {
    const paymentId = opened.id;
    let lastError: unknown;
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        return await this.lifecycle.recordCreated(
          opened,
          session,
          new Date(this.clock.now().getTime() + this.options.probeFirstCheckMs),
        );
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
      operation,
    );
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
      // Provably never reached PlacetoPay: no session exists, the reference is free again.
      await this.lifecycle.recordCreationFailed(
        paymentId,
        error.httpStatus === undefined ? 'not_sent' : 'not_placetopay',
        error.hint ?? error.message,
      );
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
