import { DEFAULT_GATEWAY_CHECK_TIMEOUT_MS } from './gateway-check';

/** Settings of `PlacetoPayHealthModule.forRoot()` and of one `isHealthy()` call. */
export interface PlacetoPayHealthOptions {
  /**
   * Deadline of the check's one gateway call, in milliseconds. Default: the smaller of 5000 and
   * the site's `timeoutMs`. The check never retries.
   */
  timeoutMs?: number;
  /**
   * How long the readiness check (`isHealthy` / `isReady`) reuses its last gateway answer, in
   * milliseconds, read from `PLACETOPAY_CLOCK`. Default 60000; 0 asks PlacetoPay on every call. Each
   * site keeps its own answer.
   */
  cacheTtlMs?: number;
}

/** The health settings (`PlacetoPayHealthOptions`). */
export const PLACETOPAY_HEALTH_OPTIONS = Symbol('PLACETOPAY_HEALTH_OPTIONS');

/** terminus's `HealthIndicatorService`, created when `PlacetoPayHealthModule` starts. */
export const PLACETOPAY_HEALTH_INDICATOR_SERVICE = Symbol('PLACETOPAY_HEALTH_INDICATOR_SERVICE');

export const DEFAULT_HEALTH_TIMEOUT_MS = DEFAULT_GATEWAY_CHECK_TIMEOUT_MS;
export const DEFAULT_HEALTH_CACHE_TTL_MS = 60_000;
