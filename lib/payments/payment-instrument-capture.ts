import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { PlacetoPayPayment } from '../persistence/placetopay-payment.entity';
import { INSTRUMENT_STORE, type InstrumentStore } from './lifecycle-ports';
import type { EventIntent, PaymentChange } from './payment-transitions';

/**
 * The card storage step of a change: inside the transaction that settled a payment, stores the
 * payment method its session tokenized (once per session, through the instrument store) and
 * says which event that makes.
 */
@Injectable()
export class PaymentInstrumentCapture {
  constructor(@Inject(INSTRUMENT_STORE) private readonly store: InstrumentStore) {}

  /** `instrument.created` when this call stored it; null when it was stored already or cannot be. */
  async capture(
    manager: EntityManager,
    payment: PlacetoPayPayment,
    instrument: NonNullable<PaymentChange<unknown>['instrument']>,
  ): Promise<EventIntent | null> {
    const id = randomUUID();
    const { facts, payer } = instrument;
    if (!(await this.store.storeWith(manager, payment, facts, id, payer))) return null;
    return {
      type: 'instrument.created',
      details: {
        instrumentId: id,
        type: facts.type,
        franchise: facts.franchise,
        lastDigits: facts.lastDigits,
        validUntil: facts.validUntil,
      },
    };
  }
}
