import { PlacetoPayUnavailableError } from './errors/placetopay-unavailable.error';

export interface BackoffSettings {
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Delay before retry number `retry` (1 for the first retry): exponential with full jitter, so
 * replicas that failed together do not retry together, and never shorter than `Retry-After`.
 * `random` is injectable for tests.
 */
export function backoffDelay(
  retry: number,
  settings: BackoffSettings,
  random: () => number = Math.random,
  retryAfterMs?: number,
): number {
  const ceiling = Math.min(settings.maxDelayMs, settings.baseDelayMs * 2 ** (retry - 1));
  const jittered = Math.round(ceiling * random());
  return retryAfterMs === undefined
    ? jittered
    : Math.min(settings.maxDelayMs, Math.max(jittered, retryAfterMs));
}

/** Equal jitter: a random factor in [0.5, 1], so a delay is never less than half its ceiling. */
export function equalJitter(random: () => number = Math.random): () => number {
  return () => 0.5 + random() / 2;
}

/** Only queries are retried, and only when the outcome is unknown (never a definite answer). */
export function isRetryable(error: unknown): error is PlacetoPayUnavailableError {
  return error instanceof PlacetoPayUnavailableError;
}
