import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintNumber, epochMillis } from './column-transformers';

export type RecurringChargeEventState = 'pending' | 'written' | 'none';

/**
 * Every recurring-charge notification received, verified or not. Its signature formula is not
 * documented: `verified` says whether the analogue formula matched. Nothing here ever changes a
 * payment.
 */
@Entity('placetopay_recurring_notifications')
@Index(
  'UQ_placetopay_recurring_notifications_key',
  ['site', 'internalReference', 'status', 'statusDate'],
  { unique: true },
)
@Index('IDX_placetopay_recurring_notifications_payment', ['paymentId'])
@Index('IDX_placetopay_recurring_notifications_next_event', ['nextEventAt'])
export class PlacetoPayRecurringNotification {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 36 })
  id!: string;

  /** The site (merchant account) the row belongs to: the registration's `name`, or `default`. */
  @Column({ name: 'site', type: 'varchar', length: 32, default: 'default' })
  site!: string;

  /** The charge's own transaction id at PlacetoPay. */
  @Column({ name: 'internalReference', type: 'bigint', transformer: bigintNumber })
  internalReference!: number;

  /** The original payment's reference, as received. */
  @Column({ name: 'reference', type: 'varchar', length: 64 })
  reference!: string;

  /** `status.status` as received: the charge's outcome. */
  @Column({ name: 'status', type: 'varchar', length: 32 })
  status!: string;

  /** `status.date` exactly as received (it is part of the signature). */
  @Column({ name: 'statusDate', type: 'varchar', length: 40 })
  statusDate!: string;

  @Column({ name: 'reason', type: 'varchar', length: 64, nullable: true })
  reason!: string | null;

  @Column({ name: 'message', type: 'varchar', length: 255, nullable: true })
  message!: string | null;

  /** `recurring.tries`. */
  @Column({ name: 'tries', type: 'int', nullable: true })
  tries!: number | null;

  /** `recurring.enabled`: whether the recurrence goes on. */
  @Column({ name: 'enabled', type: 'boolean', nullable: true })
  enabled!: boolean | null;

  @Column({ name: 'signatureAlgorithm', type: 'varchar', length: 8 })
  signatureAlgorithm!: string;

  /** Whether the analogue signature formula matched (docs/protocol.md §7.2: the real one is undocumented). */
  @Column({ name: 'verified', type: 'boolean', default: false })
  verified!: boolean;

  /** The original payment: the newest APPROVED payment of `reference`; null when none. */
  @Column({ name: 'paymentId', type: 'varchar', length: 36, nullable: true })
  paymentId!: string | null;

  @Column({ name: 'receivedAt', type: 'bigint', transformer: epochMillis })
  receivedAt!: Date;

  /**
   * Its `payment.recurring_charge` event: `pending` until written (a failed write is tried again),
   * `written` (in the same transaction as the event), or `none` when there is none to write
   * (unverified, unknown reference, or the payment no longer approved).
   */
  @Column({ name: 'eventState', type: 'varchar', length: 16, default: 'none' })
  eventState!: RecurringChargeEventState;

  /** When a pending event is next tried; null once it is written or there is none. */
  @Column({ name: 'nextEventAt', type: 'bigint', nullable: true, transformer: epochMillis })
  nextEventAt!: Date | null;
}
