/** The options as the host gave them (before environment variables and defaults). */
export const PLACETOPAY_MODULE_OPTIONS = Symbol('PLACETOPAY_MODULE_OPTIONS');

/** The validated, resolved options (`ResolvedPlacetoPayOptions`). */
export const PLACETOPAY_OPTIONS = Symbol('PLACETOPAY_OPTIONS');

/** The module's clock (`PlacetoPayClock`): override it in tests to drive retries and leases. */
export const PLACETOPAY_CLOCK = Symbol('PLACETOPAY_CLOCK');

export interface PlacetoPayClock {
  now(): Date;
}

export const systemPlacetoPayClock: PlacetoPayClock = { now: () => new Date() };
