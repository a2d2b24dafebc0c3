import type { Amount, NameValuePair } from './common.types';
import type { Person } from './person.types';

export interface Item {
  sku?: string;
  name?: string;
  category?: 'digital' | 'physical' | (string & {});
  qty?: string | number;
  price?: number;
  tax?: number;
  additional?: Record<string, unknown>;
}

/** PlacetoPay-driven recurring charges (docs/protocol.md §5.5). */
export interface Recurring {
  periodicity: 'D' | 'M' | 'Y';
  interval: number;
  /** `YYYY-MM-DD`, in the future. */
  nextPayment?: string;
  /** `-1` for unlimited. */
  maxPeriods: number;
  dueDate?: string;
  notificationUrl?: string;
}

export interface DispersionDetail {
  amount: Amount;
  agreement?: number | null;
  agreementType?: 'MERCHANT' | 'AIRLINE';
}

export interface Modifier {
  type: 'FEDERAL_GOVERNMENT' | (string & {});
  code: number;
  additional?: { invoice?: string };
}

export interface PaymentRequest {
  /** Merchant reference, 1-32 characters. */
  reference: string;
  /** 1-255 characters. */
  description: string;
  amount: Amount;
  /** Mixed (partial) payment. */
  allowPartial?: boolean;
  shipping?: Person;
  items?: Item[];
  fields?: NameValuePair[];
  recurring?: Recurring;
  /** Offer the buyer to save the payment method. */
  subscribe?: boolean;
  dispersion?: DispersionDetail[];
  modifiers?: Modifier[];
  processorFields?: NameValuePair[];
}

/** Tokenize a payment method without charging (docs/protocol.md §5.8). */
export interface SubscriptionRequest {
  reference: string;
  description: string;
  fields?: NameValuePair[];
}

/** Behaviour flags (docs/protocol.md §5.11). */
export interface SessionMetadata {
  initiatorIndicator?: string;
  EBTDeliveryIndicator?: string;
  openingDate?: string;
  beneficiaryId?: string;
  kount?: Record<string, unknown>;
  requiresConfirmation?: boolean;
  [key: string]: unknown;
}

export interface AutopayRequest {
  action: 'CREATE' | 'EDIT';
  reference?: string;
  description?: string;
  id?: string;
  dueDay?: number;
  recurring?: Record<string, unknown>;
  amount?: Amount;
}

/** `POST /api/session` body without `auth` (docs/protocol.md §5.1); the client adds `auth`. */
export interface CreateSessionRequest {
  locale?: string;
  payment?: PaymentRequest;
  subscription?: SubscriptionRequest;
  buyer?: Person;
  payer?: Person;
  /** ISO 8601, at least 5 minutes ahead. Default at PlacetoPay: 30 minutes. */
  expiration?: string;
  returnUrl: string;
  cancelUrl?: string;
  ipAddress: string;
  userAgent: string;
  /** Comma-separated method codes, e.g. `visa,master,pse`. */
  paymentMethod?: string;
  fields?: NameValuePair[];
  skipResult?: boolean;
  noBuyerFill?: boolean;
  type?: 'checkin' | 'autopay';
  metadata?: SessionMetadata;
  autopay?: AutopayRequest;
  captureAddress?: boolean;
}

export interface TokenInstrument {
  /** 64 characters; send `token` or `subtoken`. */
  token?: string;
  /** 16 digits. */
  subtoken?: string;
  installments?: number;
  cvv?: string;
}

export interface CollectInstrument {
  token?: TokenInstrument;
  pocket?: '10' | '20' | '80' | '90';
  credit?: { code?: string; type?: string; groupCode?: string; installment?: number };
}

/** `POST /api/collect` body without `auth` (docs/protocol.md §5.10). */
export interface CollectRequest {
  payment: PaymentRequest;
  instrument: CollectInstrument;
  payer: Person;
  buyer?: Person;
  ipAddress: string;
  userAgent: string;
  locale?: string;
  type?: 'checkin';
  metadata?: SessionMetadata;
  provider?: string;
  returnUrl?: string;
  expiration?: string;
}

export type TransactionAction = 'checkout' | 'reauthorization' | 'reverse' | 'confirm' | 'cancel';

/** `POST /api/transaction` body without `auth` (docs/protocol.md §4.5). */
export interface TransactionActionRequest {
  internalReference: number;
  action: TransactionAction;
  /** Required for checkout / reauthorization; optional (partial refund) for reverse. */
  amount?: { currency: string; total: number };
  locale?: string;
}

/** `POST /api/instrument/invalidate` (docs/protocol.md §4.7): a token or a subtoken. */
export interface InvalidateTokenRequest {
  token?: string;
  subtoken?: string;
  locale?: string;
}
