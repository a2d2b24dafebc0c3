import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { epochMillis } from './column-transformers';
import { PlacetoPayPayment } from './placetopay-payment.entity';

/** A payment's history and its outbox: one row per change, written in the same transaction. */
@Entity('placetopay_payment_events')
@Index('UQ_placetopay_payment_events_sequence', ['paymentId', 'sequence'], { unique: true })
@Index('IDX_placetopay_payment_events_published', ['publishedAt'])
export class PlacetoPayPaymentEvent {
  /** Stable event id: listeners dedupe on it. */
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 36 })
  id!: string;

  /** The site (merchant account) the row belongs to: the registration's `name`, or `default`. */
  @Column({ name: 'site', type: 'varchar', length: 32, default: 'default' })
  site!: string;

  @Column({ name: 'paymentId', type: 'varchar', length: 36 })
  paymentId!: string;

  @ManyToOne(() => PlacetoPayPayment, { createForeignKeyConstraints: true })
  @JoinColumn({
    name: 'paymentId',
    foreignKeyConstraintName: 'FK_placetopay_payment_events_payment',
  })
  payment?: PlacetoPayPayment;

  /** 1, 2, 3... per payment (a change may write several events): orders a payment's events. */
  @Column({ name: 'sequence', type: 'int' })
  sequence!: number;

  @Column({ name: 'type', type: 'varchar', length: 48 })
  type!: string;

  @Column({ name: 'fromStatus', type: 'varchar', length: 32, nullable: true })
  fromStatus!: string | null;

  @Column({ name: 'toStatus', type: 'varchar', length: 32, nullable: true })
  toStatus!: string | null;

  @Column({ name: 'source', type: 'varchar', length: 16 })
  source!: string;

  @Column({ name: 'payload', type: 'simple-json' })
  payload!: Record<string, unknown>;

  @Column({ name: 'createdAt', type: 'bigint', transformer: epochMillis })
  createdAt!: Date;

  /** The W3C trace context the event was written in (docs/operations.md); null without one. */
  @Column({ name: 'traceparent', type: 'varchar', length: 55, nullable: true })
  traceparent!: string | null;

  /** When the event was handed to its listeners' deliveries; null while in the outbox. */
  @Column({ name: 'publishedAt', type: 'bigint', nullable: true, transformer: epochMillis })
  publishedAt!: Date | null;
}
