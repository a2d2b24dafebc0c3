import { CreatePlacetoPayTables1764230400000 } from './1764230400000-create-placetopay-tables';

/** Add to your DataSource's `migrations` (see the README). */
export const PLACETOPAY_MIGRATIONS = [CreatePlacetoPayTables1764230400000];
