import type { InstrumentStore } from '../payments/lifecycle-ports';
import { InjectSiteRepository } from '../persistence/site-data-source';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';

import type { EntityManager, Repository } from 'typeorm';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { DEFAULT_SITE, environmentPrefixOf } from '../config/site-name';
import { variableFor } from '../config/environment-variables';
import { PlacetoPayConfigError } from '../config/placetopay-config.error';
import type { Person } from '../gateway/wire/person.types';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import { PLACETOPAY_CLOCK, type PlacetoPayClock } from '../common/clock';
import type { PlacetoPayPayment } from '../persistence/placetopay-payment.entity';
import type { InstrumentFacts } from '../payments/instrument-facts';
import { parseInstrumentKey } from '../config/instrument-key';
import { PlacetoPayInstrument } from '../persistence/placetopay-instrument.entity';
import { TokenCipher } from './token-cipher';

/**
 * Stores tokenized payment methods with their token encrypted, and gives the token back only to
 * the code that charges or revokes it. Without `instrumentKey` it stores nothing.
 */
@Injectable()
export class InstrumentVault implements OnApplicationBootstrap, InstrumentStore {
  private readonly logger = new Logger('PlacetoPayInstruments');
  private readonly cipher?: TokenCipher;

  /** The site whose instruments it stores and reads. */
  private readonly site: string;

  constructor(
    @InjectSiteRepository(PlacetoPayInstrument)
    private readonly instruments: Repository<PlacetoPayInstrument>,
    @Inject(PLACETOPAY_OPTIONS) options: ResolvedPlacetoPayOptions,
    @Inject(PLACETOPAY_CLOCK) private readonly clock: PlacetoPayClock,
  ) {
    this.site = options.site ?? DEFAULT_SITE;
    const key = parseInstrumentKey(options.instrumentKey);
    if (key) {
      this.cipher = new TokenCipher(
        key,
        options.instrumentPreviousKeys.map((text) => parseInstrumentKey(text)!),
      );
    }
  }

  onApplicationBootstrap(): void {
    if (!this.cipher) {
      this.logger.log(
        'no instrumentKey (PLACETOPAY_INSTRUMENT_KEY): stored payment methods are off; createSubscription, payment.subscribe and chargeInstrument will refuse',
      );
    }
  }

  /** Throws when stored payment methods cannot be used (no key): what they are for says so. */
  requireKey(what: string): TokenCipher {
    if (!this.cipher) {
      throw new PlacetoPayConfigError([
        {
          option: 'instrumentKey',
          variable: variableFor('instrumentKey', environmentPrefixOf(this.site)),
          message: `is required for ${what}: payment-method tokens are stored encrypted with it (32 random bytes, e.g. openssl rand -hex 32)`,
        },
      ]);
    }
    return this.cipher;
  }

  /**
   * Inside the transaction that settles `payment`: stores the instrument it tokenized, once per
   * session. False when it was stored already, or cannot be (no key).
   */
  async storeWith(
    manager: EntityManager,
    payment: PlacetoPayPayment,
    facts: InstrumentFacts,
    id: string,
    payer: Person | null,
  ): Promise<boolean> {
    if (!this.cipher) {
      this.logger.warn(
        `payment ${payment.id} (requestId ${payment.requestId}) tokenized a payment method, but no instrumentKey is configured: the token was not stored`,
      );
      return false;
    }
    const exists = await manager.existsBy(PlacetoPayInstrument, {
      site: payment.site,
      sourceRequestId: payment.requestId!,
    });
    if (exists) return false;
    const now = this.clock.now();
    await manager.insert(PlacetoPayInstrument, {
      id,
      site: payment.site,
      sourceRequestId: payment.requestId!,
      sourcePaymentId: payment.id,
      reference: payment.reference,
      type: facts.type,
      status: 'active',
      franchise: facts.franchise,
      franchiseName: facts.franchiseName,
      issuerName: facts.issuerName,
      lastDigits: facts.lastDigits,
      validUntil: facts.validUntil,
      tokenCiphertext: this.cipher.encrypt(facts.token, id),
      tokenKeyId: this.cipher.keyId,
      payer,
      createdAt: now,
      updatedAt: now,
      revokedAt: null,
    });
    return true;
  }

  /** The plaintext token of an instrument, for the one call that needs it. */
  async token(instrumentId: string): Promise<string> {
    const cipher = this.requireKey('charging a stored payment method');
    const row = await this.instruments
      .createQueryBuilder('i')
      .addSelect('i.tokenCiphertext')
      .where('i.id = :id', { id: instrumentId })
      .andWhere('i.site = :site', { site: this.site })
      .getOneOrFail();
    return cipher.decrypt(row.tokenCiphertext!, row.id);
  }

  /**
   * Re-encrypts every token not under the current key (after a rotation: the new key as
   * `instrumentKey`, the old one in `instrumentPreviousKeys`). Returns how many it rewrote.
   */
  async reencryptAll(batchSize = 200): Promise<number> {
    const cipher = this.requireKey('re-encrypting stored payment methods');
    let rewritten = 0;
    for (;;) {
      const stale = await this.instruments
        .createQueryBuilder('i')
        .addSelect('i.tokenCiphertext')
        .where('i.tokenKeyId <> :keyId', { keyId: cipher.keyId })
        // Each site has its own keys: only its own tokens.
        .andWhere('i.site = :site', { site: this.site })
        .orderBy('i.id')
        .limit(batchSize)
        .getMany();
      if (stale.length === 0) return rewritten;
      for (const row of stale) {
        const token = cipher.decrypt(row.tokenCiphertext!, row.id);
        const result = await this.instruments.update(
          { id: row.id, tokenKeyId: row.tokenKeyId },
          { tokenCiphertext: cipher.encrypt(token, row.id), tokenKeyId: cipher.keyId },
        );
        rewritten += result.affected ?? 0;
      }
    }
  }
}
