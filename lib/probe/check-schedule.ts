import { backoffDelay, equalJitter } from '../gateway/retry-policy';

/** After expiration the interval grows, but a session is never left longer than this. */
export const MAX_CHECK_INTERVAL_MS = 6 * 60 * 60_000;
/** How soon after its expiration a session is looked at (PlacetoPay settles it then). */
export const EXPIRY_GRACE_MS = 60_000;
const FAILURE_BASE_DELAY_MS = 60_000;

/**
 * When to look again at a payment still open after a check at `now`. Every `intervalMs` until its
 * session expires, with one look just after the expiration; after it, the wait grows with the time
 * since expiration (so it about doubles with every check), up to MAX_CHECK_INTERVAL_MS. PSE, cash
 * and manual reviews can settle long after the session expired.
 */
export function nextCheckAfterCheck(now: Date, expiresAt: Date | null, intervalMs: number): Date {
  const at = now.getTime();
  if (expiresAt === null) return new Date(at + intervalMs);
  const settleLook = expiresAt.getTime() + EXPIRY_GRACE_MS;
  // Never sooner than a minute: a check just before the expiration must not be due again at once.
  if (at < settleLook) {
    return new Date(Math.max(at + EXPIRY_GRACE_MS, Math.min(at + intervalMs, settleLook)));
  }
  const sinceExpiry = at - expiresAt.getTime();
  return new Date(at + Math.min(MAX_CHECK_INTERVAL_MS, Math.max(intervalMs, sinceExpiry)));
}

/**
 * When to try again after a check that failed (the gateway down, a timeout): a jittered backoff
 * from one minute, never longer than the normal interval.
 */
export function nextCheckAfterFailure(
  now: Date,
  failedChecks: number,
  intervalMs: number,
  random: () => number = Math.random,
): Date {
  const delay = backoffDelay(
    Math.max(1, failedChecks),
    { baseDelayMs: Math.min(FAILURE_BASE_DELAY_MS, intervalMs), maxDelayMs: intervalMs },
    equalJitter(random),
  );
  return new Date(now.getTime() + delay);
}
