import type { PlacetoPayHashAlgorithm } from '../config/placetopay-options.interface';
import { computeNotificationSignature } from '../gateway/notification-signature';

export interface SignNotificationInput {
  requestId: number | string;
  status: string;
  date: string;
  secretKey: string;
  algorithm?: PlacetoPayHashAlgorithm;
}

/** The `signature` PlacetoPay would send with a notification, for your own tests. */
export function signNotification(input: SignNotificationInput): string {
  return computeNotificationSignature(input);
}
