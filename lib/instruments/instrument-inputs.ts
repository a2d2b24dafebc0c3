import type { Person } from '../gateway/wire/person.types';

/** What `PlacetoPayService.createSubscription` takes: a session that only saves a payment method. */
export interface CreateSubscriptionInput {
  /** Your reference for it (a customer id, ...), 1-32 characters. */
  reference: string;
  description: string;
  returnUrl: string;
  ipAddress: string;
  userAgent: string;
  buyer?: Person;
  /** The method's owner; stored with the instrument, since every charge must name a payer. */
  payer?: Person;
  expiration?: Date | string;
  locale?: string;
  cancelUrl?: string;
  metadata?: Record<string, unknown>;
}

/** What `PlacetoPayService.chargeInstrument` takes. */
export interface ChargeInstrumentInput {
  /** 1-32 characters. PlacetoPay charges the same reference + amount + currency once per 24 h. */
  reference: string;
  description: string;
  amount: { currency: string; total: number };
  /** Defaults to the payer of the session that saved the method. */
  payer?: Person;
  /** The buyer's IP and user agent when they are present; a server-side default otherwise. */
  ipAddress?: string;
  userAgent?: string;
  /** Installments (Colombian credit cards). */
  installments?: number;
  metadata?: Record<string, unknown>;
  locale?: string;
}
