import { AttributeSets, instruments } from '../common/telemetry';
import type { PlacetoPayPayment } from '../persistence/placetopay-payment.entity';
import { isFinalStatus, type PaymentStatus } from './payment-status';

const finals = new AttributeSets(['placetopay.status']);

/** After a committed change: `placetopay.payments.final` when it made `before` final. */
export function countFinalStatus(before: PlacetoPayPayment, to: PaymentStatus | undefined): void {
  if (to === undefined || to === before.status || !isFinalStatus(to)) return;
  instruments()?.paymentsFinal.add(1, finals.get(before.site, to));
}
