import { PlacetoPayEventDelivery } from './placetopay-event-delivery.entity';
import { PlacetoPayInstrument } from './placetopay-instrument.entity';
import { PlacetoPayNotification } from './placetopay-notification.entity';
import { PlacetoPayRecurringNotification } from './placetopay-recurring-notification.entity';
import { PlacetoPayPaymentEvent } from './placetopay-payment-event.entity';
import { PlacetoPayPayment } from './placetopay-payment.entity';

/** Add to your DataSource's `entities`, or let `autoLoadEntities` pick them up. */
export const PLACETOPAY_ENTITIES = [
  PlacetoPayPayment,
  PlacetoPayPaymentEvent,
  PlacetoPayEventDelivery,
  PlacetoPayNotification,
  PlacetoPayInstrument,
  PlacetoPayRecurringNotification,
];
