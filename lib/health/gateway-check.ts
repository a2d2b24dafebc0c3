import type { HttpService } from '@nestjs/axios';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { errorMessage } from '../gateway/errors/describe-thrown';
import { PlacetoPayAuthenticationError } from '../gateway/errors/placetopay-authentication.error';
import { PlacetoPayRequestRejectedError } from '../gateway/errors/placetopay-request-rejected.error';
import { PlacetoPayUnavailableError } from '../gateway/errors/placetopay-unavailable.error';
import { PlacetoPayClient, UNASSIGNED_REQUEST_ID } from '../gateway/placetopay.client';

/**
 * The session the check asks for: 0, which PlacetoPay never assigns (session ids count up from 1,
 * docs/protocol.md §4.2), so the check never reads a real session, the host's or another site's.
 * PlacetoPay answers "the session does not exist" (404 request_not_valid) only after it accepted
 * the credentials.
 */
export const GATEWAY_CHECK_REQUEST_ID = UNASSIGNED_REQUEST_ID;

/** The smaller of this and the module's `timeoutMs` bounds a check that names no deadline. */
export const DEFAULT_GATEWAY_CHECK_TIMEOUT_MS = 5000;

/**
 * What one check learnt. `wrong-url`: something answered, but not PlacetoPay's API ("Page not
 * found", HTML, a body that is not JSON). `unreachable`: no usable answer (timeout, network
 * error, 5xx, 429): the gateway may be down, nothing says the settings are wrong.
 */
export type GatewayFinding =
  | { outcome: 'accepted' }
  | { outcome: 'refused'; authCode: number | null; reason: string }
  | { outcome: 'wrong-url'; reason: string }
  | { outcome: 'unreachable'; reason: string };

export type GatewayVerdict = GatewayFinding & { latencyMs: number };

/**
 * One authenticated query of a session that cannot exist (GATEWAY_CHECK_REQUEST_ID), with one
 * attempt and the given deadline, judged. Shared by the health indicator and the start-up
 * credential check. Reasons come from the typed errors: never a secret.
 */
export async function checkGateway(
  http: HttpService,
  gateway: ResolvedPlacetoPayOptions,
  timeoutMs = Math.min(DEFAULT_GATEWAY_CHECK_TIMEOUT_MS, gateway.timeoutMs),
): Promise<GatewayVerdict> {
  // A client of its own: one attempt (no retry) and the check's deadline. The options are
  // layered over the module's, not copied: the secret key stays a non-enumerable property.
  const settings = Object.create(gateway, {
    timeoutMs: { value: timeoutMs },
    queryAttempts: { value: 1 },
  }) as ResolvedPlacetoPayOptions;
  const client = new PlacetoPayClient(http, settings);
  const started = performance.now();
  try {
    await client.queryUnassignedSession();
    return { outcome: 'accepted', latencyMs: latency(started) };
  } catch (error) {
    return { ...judge(error, timeoutMs), latencyMs: latency(started) };
  }
}

function latency(started: number): number {
  return Math.round(performance.now() - started);
}

function judge(error: unknown, timeoutMs: number): GatewayFinding {
  if (error instanceof PlacetoPayAuthenticationError) {
    return {
      outcome: 'refused',
      authCode: error.authCode ?? null,
      reason: `authentication failed${error.authCode ? ` (${error.authCode})` : ''}: ${error.hint}`,
    };
  }
  if (error instanceof PlacetoPayRequestRejectedError) {
    // "Page not found" comes before authentication: the base URL does not lead to the API.
    if (String(error.reason) === 'NA') {
      return {
        outcome: 'wrong-url',
        reason: `PlacetoPay answered "${error.gatewayMessage ?? 'Page not found'}" (HTTP ${error.httpStatus}): is baseUrl right?`,
      };
    }
    // "No such session" / "not your session": an authenticated answer.
    return { outcome: 'accepted' };
  }
  if (error instanceof PlacetoPayUnavailableError) {
    const reason = unavailableReason(error, timeoutMs);
    // An answer that is not PlacetoPay's (HTML, 404/405 pages, not JSON) is a wrong address.
    return { outcome: error.kind === 'malformed_response' ? 'wrong-url' : 'unreachable', reason };
  }
  return { outcome: 'unreachable', reason: errorMessage(error) };
}

function unavailableReason(error: PlacetoPayUnavailableError, timeoutMs: number): string {
  switch (error.kind) {
    case 'timeout':
      return `timeout: no complete answer within ${timeoutMs} ms`;
    case 'server_error':
      return `server error: PlacetoPay answered HTTP ${error.httpStatus}`;
    case 'rate_limited':
      return 'rate limited: PlacetoPay answered HTTP 429';
    case 'malformed_response':
      return `malformed response: HTTP ${error.httpStatus ?? '?'} with a body that is not a PlacetoPay answer (is baseUrl right?)`;
    case 'network': {
      // The client wraps the attempt's message ("gave up after 1 attempt; last: ..."): keep the cause.
      const last = error.message.split('; last: ').pop() ?? error.message;
      const cause = /unavailable \(network\): (.*?)(?:; the request (?:may have|did not).*)?$/.exec(
        last,
      );
      return `network error: ${cause?.[1] ?? last}`;
    }
  }
}
