/** The module's clock (`PlacetoPayClock`): override it in tests to drive retries and leases. */
export const PLACETOPAY_CLOCK = Symbol('PLACETOPAY_CLOCK');

export interface PlacetoPayClock {
  now(): Date;
}

export const systemPlacetoPayClock: PlacetoPayClock = { now: () => new Date() };
