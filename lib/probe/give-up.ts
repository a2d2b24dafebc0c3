import type { Logger } from '@nestjs/common';
import type { PaymentLifecycle } from '../payments/payment-lifecycle';
import type { PlacetoPayPayment } from '../persistence/placetopay-payment.entity';
import type { ProbeSummary } from './probe-summary';

/**
 * Stops checking an open payment: it keeps its status, is flagged for review, and
 * `payment.unresolved` fires.
 */
export async function giveUp(
  lifecycle: PaymentLifecycle,
  logger: Logger,
  payment: PlacetoPayPayment,
  at: Date,
  summary: ProbeSummary,
): Promise<void> {
  const days = Math.round(((at.getTime() - payment.createdAt.getTime()) / 86_400_000) * 10) / 10;
  const given = await lifecycle.recordUnresolved(
    payment.id,
    `still open after ${days} days of probe checks`,
  );
  if (!given) return;
  summary.unresolved += 1;
  logger.warn(
    `payment ${payment.id} (requestId ${payment.requestId}) is still open after ${days} days: needs review (payment.unresolved)`,
  );
}
