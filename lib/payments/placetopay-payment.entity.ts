import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintNumber, epochMillis } from './column-transformers';
import { PaymentStatus } from './payment-status';

export type PaymentKind = 'payment' | 'subscription' | 'collect';

/** One payment attempt: a PlacetoPay session and what we know of it. */
@Entity('placetopay_payments')
@Index('IDX_placetopay_payments_reference', ['reference'])
@Index('UQ_placetopay_payments_request_id', ['requestId'], { unique: true })
@Index('IDX_placetopay_payments_next_check', ['nextCheckAt'])
export class PlacetoPayPayment {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id!: string;

  /** The host's reference (1-32 characters), sent as `payment.reference`. */
  @Column({ type: 'varchar', length: 32 })
  reference!: string;

  /** PlacetoPay's session id; null until the gateway answers. */
  @Column({ type: 'bigint', nullable: true, transformer: bigintNumber })
  requestId!: number | null;

  @Column({ type: 'varchar', length: 16, default: 'payment' })
  kind!: PaymentKind;

  @Column({ type: 'varchar', length: 512, nullable: true })
  processUrl!: string | null;

  @Column({ type: 'varchar', length: 255 })
  description!: string;

  @Column({ type: 'varchar', length: 3 })
  currency!: string;

  /** The amount in ISO 4217 minor units (COP cents, CLP pesos). */
  @Column({ type: 'bigint', transformer: bigintNumber })
  amountMinor!: number;

  /** What has been approved so far (partial payments). */
  @Column({ type: 'bigint', default: 0, transformer: bigintNumber })
  paidMinor!: number;

  @Column({ type: 'boolean', default: false })
  allowPartial!: boolean;

  @Column({ type: 'varchar', length: 32 })
  status!: PaymentStatus;

  @Column({ type: 'varchar', length: 64, nullable: true })
  statusReason!: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  statusMessage!: string | null;

  /** When PlacetoPay says the status was reached. */
  @Column({ type: 'bigint', nullable: true, transformer: epochMillis })
  statusDate!: Date | null;

  @Column({ type: 'bigint', nullable: true, transformer: epochMillis })
  expiresAt!: Date | null;

  /** The settling transaction's PlacetoPay id (used for refunds). */
  @Column({ type: 'bigint', nullable: true, transformer: bigintNumber })
  internalReference!: number | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  authorization!: string | null;

  @Column({ type: 'varchar', length: 64, nullable: true })
  paymentMethod!: string | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  franchise!: string | null;

  @Column({ type: 'varchar', length: 4, nullable: true })
  lastDigits!: string | null;

  @Column({ type: 'boolean', default: false })
  refunded!: boolean;

  @Column({ type: 'bigint', default: 0, transformer: bigintNumber })
  refundedMinor!: number;

  /** Set when something needs a human: an amount mismatch, an unknown creation outcome, ... */
  @Column({ type: 'boolean', default: false })
  needsReview!: boolean;

  @Column({ type: 'varchar', length: 255, nullable: true })
  reviewReason!: string | null;

  @Column({ type: 'varchar', length: 80, nullable: true })
  buyerEmail!: string | null;

  /** The host's own data (order id, ...). */
  @Column({ type: 'simple-json', nullable: true })
  metadata!: Record<string, unknown> | null;

  /** The last gateway answer, reduced to non-sensitive fields. */
  @Column({ type: 'simple-json', nullable: true })
  gatewaySnapshot!: Record<string, unknown> | null;

  /** Probe scheduling and leases. */
  @Column({ type: 'bigint', nullable: true, transformer: epochMillis })
  nextCheckAt!: Date | null;

  @Column({ type: 'int', default: 0 })
  checkAttempts!: number;

  @Column({ type: 'varchar', length: 64, nullable: true })
  leaseOwner!: string | null;

  @Column({ type: 'bigint', nullable: true, transformer: epochMillis })
  leaseUntil!: Date | null;

  @Column({ type: 'bigint', transformer: epochMillis })
  createdAt!: Date;

  @Column({ type: 'bigint', transformer: epochMillis })
  updatedAt!: Date;

  /** Grows by one with every change made through the lifecycle. */
  @Column({ type: 'int', default: 1 })
  version!: number;
}
