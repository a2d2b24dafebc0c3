import { Inject, Injectable } from '@nestjs/common';
import { InjectSiteClient } from '../gateway/site-client';
import { InjectSiteRepository } from '../persistence/site-data-source';

import type { Repository } from 'typeorm';
import { PLACETOPAY_CLOCK, type PlacetoPayClock } from '../common/clock';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { DEFAULT_SITE } from '../config/site-name';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import { PlacetoPayRequestRejectedError } from '../gateway/errors/placetopay-request-rejected.error';
import { toMinorUnits } from '../gateway/money';
import { PlacetoPayClient } from '../gateway/placetopay.client';
import {
  validateCollectRequest,
  validateCreateSessionRequest,
} from '../gateway/validation/request.validation';
import type { Person } from '../gateway/wire/person.types';
import type { CollectRequest, CreateSessionRequest } from '../gateway/wire/requests.types';
import { PlacetoPayInstrument } from '../persistence/placetopay-instrument.entity';
import type { PlacetoPayPayment } from '../persistence/placetopay-payment.entity';
import type { CreatePaymentResult } from '../payments/create-payment-input';
import { PaymentCreation } from '../payments/payment-creation';
import {
  checkMetadata,
  requireObject,
  sessionFields,
  storedEmail,
  withoutUndefined,
} from '../payments/session-request';
import { PlacetoPayInstrumentNotFoundError } from './errors/placetopay-instrument-not-found.error';
import { PlacetoPayInstrumentRevokedError } from './errors/placetopay-instrument-revoked.error';
import type { ChargeInstrumentInput, CreateSubscriptionInput } from './instrument-inputs';
import { InstrumentVault } from './instrument-vault';

/** ISO 4217's "no currency": what a subscription session (no charge) is stored with. */
const NO_CURRENCY = 'XXX';
/** What a merchant-initiated charge sends when the buyer is not there. */
const SERVER_IP = '127.0.0.1';
const SERVER_USER_AGENT = 'nestjs-placetopay (merchant-initiated charge)';

/**
 * Stored payment methods as the host uses them: save one (a subscription session), charge it,
 * revoke it, look it up, re-encrypt every token after a key rotation. Sessions are opened and
 * settled like payments (PaymentCreation); tokens stay in the vault.
 */
@Injectable()
export class InstrumentCommands {
  constructor(
    private readonly creation: PaymentCreation,
    private readonly vault: InstrumentVault,
    @InjectSiteClient() private readonly client: PlacetoPayClient,
    @InjectSiteRepository(PlacetoPayInstrument)
    private readonly instruments: Repository<PlacetoPayInstrument>,
    @Inject(PLACETOPAY_CLOCK) private readonly clock: PlacetoPayClock,
    @Inject(PLACETOPAY_OPTIONS) private readonly options: ResolvedPlacetoPayOptions,
  ) {}

  private get site(): string {
    return this.options.site ?? DEFAULT_SITE;
  }

  /** `PlacetoPayService.createSubscription`. Needs `instrumentKey`. */
  async createSubscription(
    input: CreateSubscriptionInput,
  ): Promise<CreatePaymentResult<PlacetoPayPayment>> {
    this.vault.requireKey('createSubscription');
    requireObject(input, 'createSession');
    const request = withoutUndefined<CreateSessionRequest>({
      subscription: { reference: input.reference, description: input.description },
      ...sessionFields(input),
    });
    validateCreateSessionRequest(request, this.creation.gatewayNow());
    checkMetadata(input.metadata);
    return this.creation.openSession(request, {
      kind: 'subscription',
      reference: input.reference,
      description: input.description,
      currency: NO_CURRENCY,
      amountMinor: 0,
      buyerEmail: storedEmail(input.buyer?.email),
      metadata: input.metadata ?? null,
    });
  }

  /** `PlacetoPayService.chargeInstrument`: a collect, stored and settled like any payment. */
  async chargeInstrument(
    instrumentId: string,
    input: ChargeInstrumentInput,
  ): Promise<CreatePaymentResult<PlacetoPayPayment>> {
    requireObject(input, 'collect');
    const instrument = await this.findInstrument(instrumentId);
    if (!instrument) throw new PlacetoPayInstrumentNotFoundError(instrumentId, 'chargeInstrument');
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
    validateCollectRequest(request, this.creation.gatewayNow());
    checkMetadata(input.metadata, 'collect');
    return this.creation.openSession(request, {
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
    if (!instrument) throw new PlacetoPayInstrumentNotFoundError(instrumentId, 'revokeInstrument');
    if (instrument.status !== 'revoked') {
      await this.instruments.update(
        { site: this.site, id: instrument.id, status: 'active' },
        { status: 'revoking', updatedAt: this.clock.now() },
      );
      const token = await this.vault.token(instrument.id);
      try {
        await this.client.invalidateToken({ token });
      } catch (error) {
        const alreadyInvalid =
          error instanceof PlacetoPayRequestRejectedError && String(error.reason) === 'XN';
        if (!alreadyInvalid) throw error;
      }
      const now = this.clock.now();
      await this.instruments.update(
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
    return this.instruments.findOneBy({ site: this.site, id: instrumentId });
  }

  /** The payment methods saved under a reference (newest first), revoked ones included. */
  listInstruments(reference: string): Promise<PlacetoPayInstrument[]> {
    return this.instruments.find({
      where: { site: this.site, reference },
      order: { createdAt: 'DESC' },
    });
  }

  /** Re-encrypts every stored token not under the current key; how many were rewritten. */
  reencryptInstruments(): Promise<number> {
    return this.vault.reencryptAll();
  }
}
