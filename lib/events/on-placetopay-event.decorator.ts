import { SetMetadata } from '@nestjs/common';
import type { PlacetoPayEventType } from '../payments/placetopay-event-type';

export const PLACETOPAY_EVENT_LISTENER = Symbol('PLACETOPAY_EVENT_LISTENER');

/**
 * Marks a provider method as a listener of one or more event types. The method receives a
 * `PlacetoPayEvent`; delivery is at-least-once, so dedupe on `event.id`.
 */
export function OnPlacetoPayEvent(
  type: PlacetoPayEventType | PlacetoPayEventType[],
): MethodDecorator {
  return SetMetadata(PLACETOPAY_EVENT_LISTENER, Array.isArray(type) ? type : [type]);
}
