import type { RedirectInformation } from '../gateway/wire/responses.types';
import type { PaymentSource } from './placetopay-event-type';

/** A session as a query saw it: the only thing that may settle a payment. */
export interface SessionObservation {
  source: PaymentSource;
  session: RedirectInformation;
}

/** What `apply` did. */
export type ApplyOutcome =
  /** This call moved the payment to `to`. */
  | { kind: 'transitioned'; from: string; to: string }
  /** Nothing to do: already there, a stale observation, or someone else won the race. */
  | { kind: 'unchanged'; status: string }
  /** The observation was not trusted (amount or currency mismatch); the payment needs review. */
  | { kind: 'review'; reason: string }
  /** No payment has this requestId. */
  | { kind: 'unknown_payment' };
