import { CreatePlacetoPayTables1764230400000 } from './1764230400000-create-placetopay-tables';
import { CreatePlacetoPayEventDeliveries1764230460000 } from './1764230460000-create-placetopay-event-deliveries';

/** Add to your DataSource's `migrations` (see the README). */
export const PLACETOPAY_MIGRATIONS = [
  CreatePlacetoPayTables1764230400000,
  CreatePlacetoPayEventDeliveries1764230460000,
];
