import type { AmountConversion, NameValuePair, PlacetoPayStatus } from './common.types';

/** Every response keeps the fields this version does not know, as they came. */
type Open = { [unknownField: string]: unknown };

/** One attempt inside a session (docs/protocol.md §6.3). */
export interface PlacetoPayTransaction extends Open {
  status: PlacetoPayStatus;
  internalReference: number | null;
  reference: string | null;
  paymentMethod: string | null;
  paymentMethodName: string | null;
  issuerName: string | null;
  amount: AmountConversion | null;
  authorization: string | null;
  receipt: string | null;
  franchise: string | null;
  refunded: boolean;
  processorFields: NameValuePair[];
}

export interface SubscriptionResponse extends Open {
  status: PlacetoPayStatus | null;
  type: 'token' | 'account' | (string & {}) | null;
  instrument: NameValuePair[];
}

/** What a session query, a collect and a cancel return (docs/protocol.md §6.1). */
export interface RedirectInformation extends Open {
  requestId: number;
  status: PlacetoPayStatus;
  request: Record<string, unknown> | null;
  /** Every transaction attempt; empty when there is none. */
  payment: PlacetoPayTransaction[];
  subscription: SubscriptionResponse | null;
  autopay: unknown[] | null;
}

export interface CreateSessionResponse extends Open {
  status: PlacetoPayStatus;
  requestId: number;
  processUrl: string;
}

export interface CancelSessionResponse extends Open {
  status: PlacetoPayStatus;
  session: RedirectInformation | null;
}

/** `/api/transaction` and `/api/reverse` answers. */
export interface TransactionActionResponse extends Open {
  status: PlacetoPayStatus;
  payment: PlacetoPayTransaction | null;
}

export type ReverseResponse = TransactionActionResponse;

export interface InvalidateTokenResponse extends Open {
  status: PlacetoPayStatus;
}
