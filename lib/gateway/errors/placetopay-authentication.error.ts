import { PlacetoPayError, type PlacetoPayOperation } from './placetopay.error';

const HINTS: Record<number, string> = {
  100: 'the auth block was missing or malformed (is the body sent as application/json?)',
  101: 'the login does not exist: wrong login, or credentials of another environment (test vs production)',
  102: 'the auth digest does not match: wrong secret key, or a SHA-1/SHA-256 mix-up',
  103: "the seed is more than 5 minutes off PlacetoPay's clock: sync this server's clock (NTP) or set PLACETOPAY_CLOCK_OFFSET_MS",
  104: 'the site is inactive: contact PlacetoPay support',
  105: 'the site has expired: contact PlacetoPay support',
  106: 'the credentials have expired: ask PlacetoPay for new ones',
  107: 'the UsernameToken is badly defined',
};

export function authenticationHint(code: number | undefined): string {
  return (code !== undefined && HINTS[code]) || 'PlacetoPay refused the credentials';
}

/** HTTP 401 / reason 401: PlacetoPay refused the credentials (docs/protocol.md §3.4). */
export class PlacetoPayAuthenticationError extends PlacetoPayError {
  readonly code = 'placetopay_authentication_failed';

  constructor(
    operation: PlacetoPayOperation,
    /** The cause code 100-107 from the message, when there is one. */
    readonly authCode: number | undefined,
    /** PlacetoPay's own message, e.g. "Authentication failed 102". */
    readonly gatewayMessage: string | undefined,
  ) {
    super(
      `PlacetoPay ${operation}: authentication failed${authCode ? ` (${authCode})` : ''}: ${authenticationHint(authCode)}`,
      operation,
    );
  }

  get hint(): string {
    return authenticationHint(this.authCode);
  }
}
