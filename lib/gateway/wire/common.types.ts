/** Status strings PlacetoPay documents; others may appear and are kept as they come. */
export type PlacetoPayStatusValue =
  | 'OK'
  | 'FAILED'
  | 'APPROVED'
  | 'APPROVED_PARTIAL'
  | 'PARTIAL_EXPIRED'
  | 'PENDING'
  | 'PENDING_VALIDATION'
  | 'PENDING_CONFIRMATION'
  | 'REJECTED'
  | 'REFUNDED'
  | 'ERROR'
  | 'UNKNOWN'
  | (string & {});

/** `{status, reason, message, date}` (docs/protocol.md §6.2). `reason` arrives as text or number. */
export interface PlacetoPayStatus {
  status: PlacetoPayStatusValue;
  reason: string | number | null;
  message: string | null;
  date: string | null;
}

export type DisplayOn = 'none' | 'payment' | 'receipt' | 'both' | 'approved';

/** `fields[]`, `processorFields[]`, `instrument[]` entries (docs/protocol.md §5.9). */
export interface NameValuePair {
  keyword: string;
  value?: unknown;
  displayOn?: DisplayOn;
}

export type TaxKind =
  | 'valueAddedTax'
  | 'exciseDuty'
  | 'ice'
  | 'airportTax'
  | 'stateTax'
  | 'municipalTax'
  | 'reducedStateTax'
  | (string & {});

export interface TaxDetail {
  kind: TaxKind;
  amount: number;
  base?: number;
}

export type AmountDetailKind =
  | 'discount'
  | 'additional'
  | 'vatDevolutionBase'
  | 'shipping'
  | 'handlingFee'
  | 'insurance'
  | 'giftWrap'
  | 'subtotal'
  | 'fee'
  | 'tip'
  | 'airline'
  | 'interests'
  | (string & {});

export interface AmountDetail {
  kind: AmountDetailKind;
  amount: number;
}

/** Money as PlacetoPay takes it: a decimal `total` in the currency's ISO 4217 minor units. */
export interface Amount {
  currency: string;
  total: number;
  taxes?: TaxDetail[];
  details?: AmountDetail[];
}

export interface AmountBase {
  currency: string;
  total: number;
}

/** Requested vs processed currency of a transaction (docs/protocol.md §6.3). */
export interface AmountConversion {
  from: AmountBase;
  to: AmountBase;
  factor: number;
}
