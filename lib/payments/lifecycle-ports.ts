import type { EntityManager } from 'typeorm';
import type { Person } from '../gateway/wire/person.types';
import type { PlacetoPayPayment } from '../persistence/placetopay-payment.entity';
import type { PlacetoPayPaymentEvent } from '../persistence/placetopay-payment-event.entity';
import type { InstrumentFacts } from './instrument-facts';

/**
 * What the lifecycle (and payment creation) needs from the layers above it, as interfaces it owns:
 * the module binds each token to the class that implements it (the event dispatcher, the
 * instrument vault), so the single door never imports its own callers.
 */
export const PAYMENT_OUTBOX = Symbol('PAYMENT_OUTBOX');

export interface PaymentOutbox {
  /** Writes the delivery rows of new events, inside the transaction that wrote the events. */
  fanOut(manager: EntityManager, events: PlacetoPayPaymentEvent[]): Promise<void>;
  /** After a commit that wrote events: deliver them soon. */
  kick(): void;
}

export const INSTRUMENT_STORE = Symbol('INSTRUMENT_STORE');

export interface InstrumentStore {
  /** Throws when stored payment methods cannot be used (no key); `what` says what needed them. */
  requireKey(what: string): unknown;
  /**
   * Inside the transaction that settles `payment`: stores the instrument it tokenized, once per
   * session. False when it was stored already, or cannot be.
   */
  storeWith(
    manager: EntityManager,
    payment: PlacetoPayPayment,
    facts: InstrumentFacts,
    id: string,
    payer: Person | null,
  ): Promise<boolean>;
}
