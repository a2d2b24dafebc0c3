import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintNumber, epochMillis } from './column-transformers';
import { PaymentStatus } from './payment-status.enum';

/**
 * `payment` a redirect session, `subscription` a session that saves a card, `collect` a charge of
 * a stored card, `recurring` a charge PlacetoPay made on the recurrence of a `payment`
 * (`parentPaymentId`).
 */
export type PaymentKind = 'payment' | 'subscription' | 'collect' | 'recurring';

/** One payment attempt: a PlacetoPay session and what we know of it. */
@Entity('placetopay_payments')
@Index('IDX_placetopay_payments_reference', ['reference'])
@Index('UQ_placetopay_payments_request_id', ['site', 'requestId'], { unique: true })
@Index('IDX_placetopay_payments_next_check', ['nextCheckAt'])
@Index('UQ_placetopay_payments_open_reference', ['site', 'openReference'], { unique: true })
@Index(
  'UQ_placetopay_payments_recurring_charge',
  ['site', 'parentPaymentId', 'internalReference'],
  {
    unique: true,
  },
)
export class PlacetoPayPayment {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 36 })
  id!: string;

  /** The site (merchant account) the row belongs to: the registration's `name`, or `default`. */
  @Column({ name: 'site', type: 'varchar', length: 32, default: 'default' })
  site!: string;

  /** The host's reference (1-32 characters), sent as `payment.reference`. */
  @Column({ name: 'reference', type: 'varchar', length: 32 })
  reference!: string;

  /**
   * The reference while this payment blocks a new one for it (CREATING through APPROVED), NULL
   * once it failed or was rejected, or always with `allowDuplicateReferences`. Unique.
   */
  @Column({ name: 'openReference', type: 'varchar', length: 32, nullable: true })
  openReference!: string | null;

  /** PlacetoPay's session id; null until the gateway answers. */
  @Column({ name: 'requestId', type: 'bigint', nullable: true, transformer: bigintNumber })
  requestId!: number | null;

  @Column({ name: 'kind', type: 'varchar', length: 16, default: 'payment' })
  kind!: PaymentKind;

  /**
   * A `recurring` charge's original payment: the one whose session lists the charge's
   * internalReference (docs/protocol.md §7.2). Null for every other kind.
   */
  @Column({ name: 'parentPaymentId', type: 'varchar', length: 36, nullable: true })
  parentPaymentId!: string | null;

  @Column({ name: 'processUrl', type: 'varchar', length: 512, nullable: true })
  processUrl!: string | null;

  @Column({ name: 'description', type: 'varchar', length: 255 })
  description!: string;

  @Column({ name: 'currency', type: 'varchar', length: 3 })
  currency!: string;

  /** The amount in ISO 4217 minor units (COP cents, CLP pesos). */
  @Column({ name: 'amountMinor', type: 'bigint', transformer: bigintNumber })
  amountMinor!: number;

  /** What has been approved so far (partial payments). */
  @Column({ name: 'paidMinor', type: 'bigint', default: 0, transformer: bigintNumber })
  paidMinor!: number;

  @Column({ name: 'allowPartial', type: 'boolean', default: false })
  allowPartial!: boolean;

  @Column({ name: 'status', type: 'varchar', length: 32 })
  status!: PaymentStatus;

  @Column({ name: 'statusReason', type: 'varchar', length: 64, nullable: true })
  statusReason!: string | null;

  @Column({ name: 'statusMessage', type: 'varchar', length: 255, nullable: true })
  statusMessage!: string | null;

  /** When PlacetoPay says the status was reached. */
  @Column({ name: 'statusDate', type: 'bigint', nullable: true, transformer: epochMillis })
  statusDate!: Date | null;

  @Column({ name: 'expiresAt', type: 'bigint', nullable: true, transformer: epochMillis })
  expiresAt!: Date | null;

  /** The settling transaction's PlacetoPay id (used for refunds). */
  @Column({ name: 'internalReference', type: 'bigint', nullable: true, transformer: bigintNumber })
  internalReference!: number | null;

  @Column({ name: 'authorization', type: 'varchar', length: 64, nullable: true })
  authorization!: string | null;

  @Column({ name: 'paymentMethod', type: 'varchar', length: 64, nullable: true })
  paymentMethod!: string | null;

  @Column({ name: 'franchise', type: 'varchar', length: 32, nullable: true })
  franchise!: string | null;

  @Column({ name: 'lastDigits', type: 'varchar', length: 4, nullable: true })
  lastDigits!: string | null;

  @Column({ name: 'refunded', type: 'boolean', default: false })
  refunded!: boolean;

  @Column({ name: 'refundedMinor', type: 'bigint', default: 0, transformer: bigintNumber })
  refundedMinor!: number;

  /**
   * A refund sent to PlacetoPay whose outcome is unknown (a timeout): no other refund is sent until
   * `resolveRefund` says whether it happened.
   */
  @Column({ name: 'refundInDoubtMinor', type: 'bigint', nullable: true, transformer: bigintNumber })
  refundInDoubtMinor!: number | null;

  /** Set when something needs a human: an amount mismatch, an unknown creation outcome, ... */
  @Column({ name: 'needsReview', type: 'boolean', default: false })
  needsReview!: boolean;

  @Column({ name: 'reviewReason', type: 'varchar', length: 255, nullable: true })
  reviewReason!: string | null;

  @Column({ name: 'buyerEmail', type: 'varchar', length: 80, nullable: true })
  buyerEmail!: string | null;

  /** The host's own data (order id, ...). */
  @Column({ name: 'metadata', type: 'simple-json', nullable: true })
  metadata!: Record<string, unknown> | null;

  /** The last gateway answer, reduced to non-sensitive fields. */
  @Column({ name: 'gatewaySnapshot', type: 'simple-json', nullable: true })
  gatewaySnapshot!: Record<string, unknown> | null;

  /** Probe scheduling and leases. */
  @Column({ name: 'nextCheckAt', type: 'bigint', nullable: true, transformer: epochMillis })
  nextCheckAt!: Date | null;

  @Column({ name: 'checkAttempts', type: 'int', default: 0 })
  checkAttempts!: number;

  @Column({ name: 'leaseOwner', type: 'varchar', length: 64, nullable: true })
  leaseOwner!: string | null;

  @Column({ name: 'leaseUntil', type: 'bigint', nullable: true, transformer: epochMillis })
  leaseUntil!: Date | null;

  @Column({ name: 'createdAt', type: 'bigint', transformer: epochMillis })
  createdAt!: Date;

  @Column({ name: 'updatedAt', type: 'bigint', transformer: epochMillis })
  updatedAt!: Date;

  /** Grows by one with every change made through the lifecycle. */
  @Column({ name: 'version', type: 'int', default: 1 })
  version!: number;
}
