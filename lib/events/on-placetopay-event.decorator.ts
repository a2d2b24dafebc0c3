import { SetMetadata, applyDecorators } from '@nestjs/common';
import type { PlacetoPayEventType } from '../payments/placetopay-event-type';

export const PLACETOPAY_EVENT_LISTENER = Symbol('PLACETOPAY_EVENT_LISTENER');
/** The sites a listener hears (`site` of its options); absent: every site. */
export const PLACETOPAY_EVENT_LISTENER_SITES = Symbol('PLACETOPAY_EVENT_LISTENER_SITES');

/** Which events of which sites a listener hears. */
export interface OnPlacetoPayEventOptions {
  /**
   * Only the events of this site (a registration's `name`, `'default'` for the unnamed one), or
   * of these sites. Without it, the listener hears every site.
   */
  site?: string | string[];
}

/**
 * Marks a provider method as a listener of one or more event types. The method receives a
 * `PlacetoPayEvent`; delivery is at-least-once, so dedupe on `event.id`. With several sites,
 * `{ site: 'co' }` limits it to one site's events (`event.site` says which site an event is of).
 */
export function OnPlacetoPayEvent(
  type: PlacetoPayEventType | PlacetoPayEventType[],
  options: OnPlacetoPayEventOptions = {},
): MethodDecorator {
  const types = SetMetadata(PLACETOPAY_EVENT_LISTENER, Array.isArray(type) ? type : [type]);
  if (options.site === undefined) return types;
  const sites = Array.isArray(options.site) ? [...options.site] : [options.site];
  return applyDecorators(types, SetMetadata(PLACETOPAY_EVENT_LISTENER_SITES, sites));
}
