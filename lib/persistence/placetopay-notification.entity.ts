import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintNumber, epochMillis } from './column-transformers';

export type NotificationState = 'pending' | 'settled' | 'unknown_payment';

/** The webhook's inbox: every verified notification, kept until it is settled. */
@Entity('placetopay_notifications')
@Index('UQ_placetopay_notifications_key', ['site', 'requestId', 'status', 'statusDate'], {
  unique: true,
})
@Index('IDX_placetopay_notifications_due', ['state', 'nextAttemptAt'])
@Index('IDX_placetopay_notifications_reference', ['reference', 'state'])
export class PlacetoPayNotification {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 36 })
  id!: string;

  /** The site (merchant account) the row belongs to: the registration's `name`, or `default`. */
  @Column({ name: 'site', type: 'varchar', length: 32, default: 'default' })
  site!: string;

  @Column({ name: 'requestId', type: 'bigint', transformer: bigintNumber })
  requestId!: number;

  /** `status.status` as received. */
  @Column({ name: 'status', type: 'varchar', length: 32 })
  status!: string;

  /** `status.date` exactly as received (it is part of the signature). */
  @Column({ name: 'statusDate', type: 'varchar', length: 40 })
  statusDate!: string;

  @Column({ name: 'reference', type: 'varchar', length: 64, nullable: true })
  reference!: string | null;

  @Column({ name: 'signatureAlgorithm', type: 'varchar', length: 8 })
  signatureAlgorithm!: string;

  @Column({ name: 'state', type: 'varchar', length: 16 })
  state!: NotificationState;

  @Column({ name: 'attempts', type: 'int', default: 0 })
  attempts!: number;

  @Column({ name: 'nextAttemptAt', type: 'bigint', transformer: epochMillis })
  nextAttemptAt!: Date;

  @Column({ name: 'lastError', type: 'varchar', length: 500, nullable: true })
  lastError!: string | null;

  @Column({ name: 'receivedAt', type: 'bigint', transformer: epochMillis })
  receivedAt!: Date;

  @Column({ name: 'settledAt', type: 'bigint', nullable: true, transformer: epochMillis })
  settledAt!: Date | null;
}
