import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintNumber, epochMillis } from './column-transformers';

/**
 * What became of a notification (the column keeps its first name, `eventState`): `pending` until
 * settled, `written` once its charge is a payment row (`chargePaymentId`, written in the same
 * transaction), `review` when verified but no session of the reference lists the charge (recorded,
 * never applied), `none` when there is nothing to apply (unverified, unknown reference).
 */
export type RecurringChargeEventState = 'pending' | 'written' | 'review' | 'none';

/**
 * Every recurring-charge notification received, verified or not. Its signature formula is not
 * documented: `verified` says whether the analogue formula matched. Only a verified one whose
 * charge a queried session lists becomes a payment (`chargePaymentId`).
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

  /**
   * The original payment: once settled, the one whose session lists the charge; before that (and
   * for rows recorded before charges became payments), the newest APPROVED payment of
   * `reference`, used only to bound unverified rows. Null when none.
   */
  @Column({ name: 'paymentId', type: 'varchar', length: 36, nullable: true })
  paymentId!: string | null;

  @Column({ name: 'receivedAt', type: 'bigint', transformer: epochMillis })
  receivedAt!: Date;

  /** Its settlement (RecurringChargeEventState). */
  @Column({ name: 'eventState', type: 'varchar', length: 16, default: 'none' })
  eventState!: RecurringChargeEventState;

  /** The payment row (kind `recurring`) the charge became; null until then. */
  @Column({ name: 'chargePaymentId', type: 'varchar', length: 36, nullable: true })
  chargePaymentId!: string | null;

  /** When a pending one is next settled; null once settled. */
  @Column({ name: 'nextEventAt', type: 'bigint', nullable: true, transformer: epochMillis })
  nextEventAt!: Date | null;
}
