import { CreatePlacetoPayTables1764230400000 } from './1764230400000-create-placetopay-tables';
import { CreatePlacetoPayEventDeliveries1764230460000 } from './1764230460000-create-placetopay-event-deliveries';
import { CreatePlacetoPayNotifications1764230520000 } from './1764230520000-create-placetopay-notifications';
import { AddOpenReference1764230580000 } from './1764230580000-add-open-reference';
import { AddRefundInDoubt1764230640000 } from './1764230640000-add-refund-in-doubt';
import { UnscheduleFinalPayments1764230700000 } from './1764230700000-unschedule-final-payments';
import { CreatePlacetoPayInstruments1764230760000 } from './1764230760000-create-placetopay-instruments';
import { IndexNotificationReference1764230790000 } from './1764230790000-index-notification-reference';
import { CreatePlacetoPayRecurringNotifications1764230820000 } from './1764230820000-create-placetopay-recurring-notifications';
import { TrackRecurringChargeEvents1764230880000 } from './1764230880000-track-recurring-charge-events';
import { ScheduleUnconfirmedSessions1764230940000 } from './1764230940000-schedule-unconfirmed-sessions';
import { AddSite1764231000000 } from './1764231000000-add-site';
import { AddEventTraceparent1764231100000 } from './1764231100000-add-event-traceparent';
import { RecurringChargesAsPayments1764231200000 } from './1764231200000-recurring-charges-as-payments';

/** Add to your DataSource's `migrations` (see the README). */
export const PLACETOPAY_MIGRATIONS = [
  CreatePlacetoPayTables1764230400000,
  CreatePlacetoPayEventDeliveries1764230460000,
  CreatePlacetoPayNotifications1764230520000,
  AddOpenReference1764230580000,
  AddRefundInDoubt1764230640000,
  UnscheduleFinalPayments1764230700000,
  CreatePlacetoPayInstruments1764230760000,
  IndexNotificationReference1764230790000,
  CreatePlacetoPayRecurringNotifications1764230820000,
  TrackRecurringChargeEvents1764230880000,
  ScheduleUnconfirmedSessions1764230940000,
  AddSite1764231000000,
  AddEventTraceparent1764231100000,
  RecurringChargesAsPayments1764231200000,
];
