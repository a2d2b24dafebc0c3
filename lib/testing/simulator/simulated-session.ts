import type { SimulatorSite } from './simulator-options';

export interface WireStatus {
  status: string;
  reason: string | number;
  message: string;
  date: string;
}

export interface SimulatedTransaction {
  status: WireStatus;
  internalReference: number;
  reference: string;
  paymentMethod: string;
  paymentMethodName: string;
  issuerName: string;
  amount: {
    from: { currency: string; total: number };
    to: { currency: string; total: number };
    factor: number;
  };
  authorization: string;
  receipt: string;
  franchise: string;
  refunded: boolean;
  processorFields: Array<{ keyword: string; value: unknown; displayOn: string }>;
  /** Not on the wire: bookkeeping. */
  minor: number;
  refundedMinor: number;
  cardNumber: string;
  pendingOutcome?: 'APPROVED' | 'REJECTED';
  resolveAt?: number;
}

export interface SimulatedInstrument {
  token: string;
  subtoken: string;
  login: string;
  cardNumber: string;
  franchise: string;
  franchiseName: string;
  issuerName: string;
  lastDigits: string;
  validUntil: string;
  valid: boolean;
}

export interface SimulatedSession {
  requestId: number;
  key: string;
  site: SimulatorSite;
  kind: 'session' | 'collect';
  /** The creation request as echoed by queries (no auth). */
  request: Record<string, unknown>;
  status: WireStatus;
  createdAt: number;
  expiresAt: number;
  reference: string;
  currency?: string;
  totalMinor: number;
  digits: number;
  allowPartial: boolean;
  paidMinor: number;
  /** Newest first, as PlacetoPay lists them. */
  transactions: SimulatedTransaction[];
  subscription: Record<string, unknown> | null;
  rejectedAttempts: number;
  /**
   * What PlacetoPay charged on the recurrence of `payment.recurring` (docs/protocol.md §5.5), newest
   * first. A query lists them in `payment[]` before `transactions` (§7.2), while the session keeps
   * its own status (§6.7).
   */
  recurringCharges: SimulatedTransaction[];
  /** False once the recurrence is cancelled (retries or periods ran out). */
  recurrenceEnabled: boolean;
}

export const FINAL_SESSION_STATUSES = new Set(['APPROVED', 'REJECTED', 'PARTIAL_EXPIRED']);
