import { PlacetoPayError, type PlacetoPayOperation } from './placetopay.error';

export type UnavailableKind =
  'timeout' | 'network' | 'server_error' | 'rate_limited' | 'malformed_response';

/**
 * The call did not produce a usable answer: a timeout, a reset, a 5xx or 429, or a body that is
 * not a PlacetoPay answer. It is never a rejection. The outcome of the request is unknown, unless
 * `mayHaveReachedGateway` is false: a DNS failure, a refused connection, a failed TLS handshake,
 * or an answer that is not PlacetoPay's (HTTP 404/405, an HTML or non-JSON body) prove PlacetoPay
 * never acted on it; `hint` then names the likely cause.
 */
export class PlacetoPayUnavailableError extends PlacetoPayError {
  readonly code = 'placetopay_unavailable';

  constructor(
    operation: PlacetoPayOperation,
    readonly kind: UnavailableKind,
    /** What failed, without the "may have reached" clause the message adds. */
    readonly detail: string,
    /**
     * False only when the request certainly never left this machine (connection refused, DNS
     * failure). When true, PlacetoPay may have acted on it: query before trying again.
     */
    readonly mayHaveReachedGateway: boolean,
    readonly httpStatus?: number,
    /** Attempts made (several for retried queries). */
    readonly attempts = 1,
    /** What a 429 or 503 asked for in `Retry-After`, in milliseconds. */
    readonly retryAfterMs?: number,
    /**
     * The likely cause, when the failure points at the configuration rather than at PlacetoPay
     * (e.g. "PLACETOPAY_BASE_URL answers 404 HTML: is the base URL right?").
     */
    readonly hint?: string,
  ) {
    super(
      `PlacetoPay ${operation} is unavailable (${kind}${httpStatus ? ` HTTP ${httpStatus}` : ''}): ${detail}` +
        (mayHaveReachedGateway
          ? '; the request may have reached PlacetoPay'
          : '; the request did not reach PlacetoPay'),
      operation,
    );
  }
}
