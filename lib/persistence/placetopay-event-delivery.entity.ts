import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMillis } from './column-transformers';

export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

/** One (event, listener) pair: tracked, retried and dead-lettered on its own. */
@Entity('placetopay_event_deliveries')
@Index('UQ_placetopay_event_deliveries_pair', ['eventId', 'listenerId'], { unique: true })
@Index('IDX_placetopay_event_deliveries_due', ['status', 'nextAttemptAt'])
@Index('IDX_placetopay_event_deliveries_order', ['paymentId', 'listenerId', 'sequence'])
export class PlacetoPayEventDelivery {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 36 })
  id!: string;

  /** The site (merchant account) the row belongs to: the registration's `name`, or `default`. */
  @Column({ name: 'site', type: 'varchar', length: 32, default: 'default' })
  site!: string;

  @Column({ name: 'eventId', type: 'varchar', length: 36 })
  eventId!: string;

  /** `ProviderClass.method` of the listener. */
  @Column({ name: 'listenerId', type: 'varchar', length: 200 })
  listenerId!: string;

  @Column({ name: 'paymentId', type: 'varchar', length: 36 })
  paymentId!: string;

  /** The event's sequence within its payment: deliveries to one listener follow it. */
  @Column({ name: 'sequence', type: 'int' })
  sequence!: number;

  @Column({ name: 'status', type: 'varchar', length: 16 })
  status!: DeliveryStatus;

  @Column({ name: 'attempts', type: 'int', default: 0 })
  attempts!: number;

  @Column({ name: 'nextAttemptAt', type: 'bigint', transformer: epochMillis })
  nextAttemptAt!: Date;

  @Column({ name: 'leaseOwner', type: 'varchar', length: 64, nullable: true })
  leaseOwner!: string | null;

  @Column({ name: 'leaseUntil', type: 'bigint', nullable: true, transformer: epochMillis })
  leaseUntil!: Date | null;

  @Column({ name: 'lastError', type: 'varchar', length: 1000, nullable: true })
  lastError!: string | null;

  @Column({ name: 'deliveredAt', type: 'bigint', nullable: true, transformer: epochMillis })
  deliveredAt!: Date | null;

  @Column({ name: 'createdAt', type: 'bigint', transformer: epochMillis })
  createdAt!: Date;
}
