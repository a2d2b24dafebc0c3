import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import type { PaymentLifecycle } from '../payments/payment-lifecycle';
import { isUnconfirmedRedirect } from '../payments/review-transitions';
import type { PlacetoPayPayment } from '../persistence/placetopay-payment.entity';
import { EXPIRY_GRACE_MS } from './check-schedule';
import type { ProbeLeases } from './probe-leases';

/**
 * When an unconfirmed redirect session (UNKNOWN, no requestId) can be paid by nobody: its
 * expiration plus the probe's grace (docs/protocol.md §8.3), plus `timeoutMs`, because a session
 * created without an explicit expiration expires 30 minutes after PlacetoPay received the request.
 */
export function unconfirmedDeadline(payment: PlacetoPayPayment, timeoutMs: number): Date {
  return new Date(payment.expiresAt!.getTime() + EXPIRY_GRACE_MS + timeoutMs);
}

/**
 * The probe's look at a claimed UNKNOWN payment. A redirect session whose creation outcome is
 * unknown was never shown to a buyer: once it expired it ends FAILED (`expired_unconfirmed`) and
 * frees its reference. Before that it is looked at again at the deadline. Returns whether it ended.
 */
export async function endUnconfirmedIfExpired(
  payment: PlacetoPayPayment,
  now: Date,
  owner: string,
  deps: {
    lifecycle: PaymentLifecycle;
    leases: ProbeLeases;
    options: Pick<ResolvedPlacetoPayOptions, 'timeoutMs'>;
  },
): Promise<boolean> {
  const { lifecycle, leases } = deps;
  if (!isUnconfirmedRedirect(payment)) {
    await leases.release(owner, [payment.id]);
    return false;
  }
  const deadline = unconfirmedDeadline(payment, deps.options.timeoutMs);
  if (now < deadline) {
    await leases.reschedule(payment.id, owner, deadline);
    return false;
  }
  const ended = await lifecycle.recordExpiredUnconfirmed(payment.id, now, deadline);
  if (!ended) await leases.release(owner, [payment.id]);
  return ended !== undefined;
}
