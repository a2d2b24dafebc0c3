import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ShopSiteName } from './shop-catalog';

/** The sample shop's own order. Its id is the payment reference in its site. */
@Entity('shop_orders')
export class ShopOrder {
  @PrimaryColumn({ type: 'varchar', length: 16 })
  id!: string;

  /** The PlacetoPay site the order is paid in (its product's): `co` or `ec`. */
  @Column({ type: 'varchar', length: 32, default: 'co' })
  site!: ShopSiteName;

  @Column({ type: 'varchar', length: 32 })
  sku!: string;

  @Column({ type: 'varchar', length: 120 })
  productName!: string;

  @Column({ type: 'integer' })
  price!: number;

  @Column({ type: 'varchar', length: 3 })
  currency!: string;

  /** AWAITING_PAYMENT until the payment settles. */
  @Column({ type: 'varchar', length: 32 })
  status!: string;

  @Column({ type: 'bigint', nullable: true })
  requestId!: string | null;
}
