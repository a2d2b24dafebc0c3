import { AddShopOrderSite1764231600000 } from './add-shop-order-site.migration';
import { CreateShopOrders1764230500000 } from './create-shop-orders.migration';

/** The shop's own migrations, run after (and interleaved by timestamp with) the module's. */
export const SHOP_MIGRATIONS = [CreateShopOrders1764230500000, AddShopOrderSite1764231600000];
