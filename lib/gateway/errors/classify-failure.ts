import { isAxiosError } from 'axios';
import type { PlacetoPayOperation } from './placetopay.error';
import { PlacetoPayUnavailableError } from './placetopay-unavailable.error';

/** Errors that prove the request never left this machine. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

/** Certificate refusals: TLS stopped before a byte of the request was sent. */
const CERTIFICATE_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The unnamed site's base URL variable; a named site's client passes its own (PLACETOPAY_CO_BASE_URL). */
const BASE_URL_VARIABLE = 'PLACETOPAY_BASE_URL';

const CAUSES: Record<string, (variable: string) => string> = {
  ENOTFOUND: (v) => `${v} names a host that does not resolve: is the base URL right?`,
  EAI_AGAIN: (v) => `the DNS lookup of ${v} failed: is DNS reachable from this server?`,
  ECONNREFUSED: (v) => `nothing listens at ${v}: is the base URL (and its port) right?`,
};

/**
 * Whether a transport error happened during the TLS handshake: nothing of the request was sent.
 * A reset after the handshake is not one of these (the request may have been received).
 */
function tlsHandshakeFailed(code: string | undefined, message: string): boolean {
  if (code === undefined) return false;
  if (code === 'EPROTO' || code.startsWith('ERR_SSL_') || CERTIFICATE_CODES.has(code)) return true;
  return code === 'ECONNRESET' && /before secure TLS connection was established/.test(message);
}

/**
 * A transport failure as a typed error. Only what proves the request never reached PlacetoPay (a
 * DNS failure, a refused connection, a failed TLS handshake) says so; a timeout after sending or
 * a reset stays "may have reached" (docs/protocol.md §10: the outcome is unknown).
 */
export function transportFailure(
  operation: PlacetoPayOperation,
  error: unknown,
  deadlinePassed: boolean,
  timeoutMs: number,
  baseUrlVariable = BASE_URL_VARIABLE,
): PlacetoPayUnavailableError {
  const code = isAxiosError(error) ? error.code : (error as { code?: string })?.code;
  if (deadlinePassed || code === 'ECONNABORTED' || code === 'ETIMEDOUT') {
    return new PlacetoPayUnavailableError(
      operation,
      'timeout',
      `no complete answer within ${timeoutMs} ms`,
      true,
    );
  }
  const message = error instanceof Error ? error.message : 'unknown transport error';
  if (tlsHandshakeFailed(code, message)) {
    const hint = `the TLS handshake with ${baseUrlVariable} failed (${code}): is it an https address of PlacetoPay, on the right port?`;
    return new PlacetoPayUnavailableError(
      operation,
      'network',
      hint,
      false,
      undefined,
      1,
      undefined,
      hint,
    );
  }
  const notSent = code !== undefined && NOT_SENT_CODES.has(code);
  const hint = notSent ? CAUSES[code]?.(baseUrlVariable) : undefined;
  return new PlacetoPayUnavailableError(
    operation,
    'network',
    `${code ?? 'error'}: ${message}${hint ? ` (${hint})` : ''}`,
    !notSent,
    undefined,
    1,
    undefined,
    hint,
  );
}

/**
 * An answer that is not PlacetoPay's: a 404 or 405 (the path does not exist there), or a body
 * that is HTML or plainly not JSON. It proves the request reached some other server (a wrong
 * base URL, a proxy's page), never PlacetoPay. A body declared as JSON that does not parse may be
 * PlacetoPay's own answer cut short, so it is not one of these. Null when it may be PlacetoPay's.
 */
export function notPlacetoPayAnswer(
  operation: PlacetoPayOperation,
  httpStatus: number,
  contentType: unknown,
  body: string,
  parsed: boolean,
  baseUrlVariable = BASE_URL_VARIABLE,
): PlacetoPayUnavailableError | null {
  const type = typeof contentType === 'string' ? contentType.toLowerCase() : '';
  const html = type.includes('html') || /^\s*</.test(body);
  const notJson = !parsed && !type.includes('json');
  if (httpStatus !== 404 && httpStatus !== 405 && !html && !notJson) return null;
  const what = html ? 'HTML' : parsed ? 'JSON that is not a PlacetoPay answer' : 'a non-JSON body';
  const hint = `${baseUrlVariable} answers ${httpStatus} ${what}: is the base URL right?`;
  return new PlacetoPayUnavailableError(
    operation,
    'malformed_response',
    hint,
    false,
    httpStatus,
    1,
    undefined,
    hint,
  );
}
