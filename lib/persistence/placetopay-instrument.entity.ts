import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { bigintNumber, epochMillis } from './column-transformers';
import type { Person } from '../gateway/wire/person.types';

export type InstrumentType = 'card' | 'account';
/** `revoking`: invalidation sent to PlacetoPay, answer not seen yet; never charged. */
export type InstrumentStatus = 'active' | 'revoking' | 'revoked';

/**
 * A payment method PlacetoPay tokenized for later charges (a subscription session, or a payment
 * the buyer chose to save). The token is stored encrypted (AES-256-GCM); nothing here is a card
 * number or a plaintext token.
 */
@Entity('placetopay_instruments')
@Index('UQ_placetopay_instruments_source', ['site', 'sourceRequestId'], { unique: true })
@Index('IDX_placetopay_instruments_reference', ['reference'])
export class PlacetoPayInstrument {
  @PrimaryColumn({ name: 'id', type: 'varchar', length: 36 })
  id!: string;

  /** The site (merchant account) the row belongs to: the registration's `name`, or `default`. */
  @Column({ name: 'site', type: 'varchar', length: 32, default: 'default' })
  site!: string;

  /** The session that tokenized it. */
  @Column({ name: 'sourceRequestId', type: 'bigint', transformer: bigintNumber })
  sourceRequestId!: number;

  /** The payment row of that session. */
  @Column({ name: 'sourcePaymentId', type: 'varchar', length: 36 })
  sourcePaymentId!: string;

  /** The reference of that session (your customer or subscription reference). */
  @Column({ name: 'reference', type: 'varchar', length: 32 })
  reference!: string;

  @Column({ name: 'type', type: 'varchar', length: 16 })
  type!: InstrumentType;

  @Column({ name: 'status', type: 'varchar', length: 16 })
  status!: InstrumentStatus;

  @Column({ name: 'franchise', type: 'varchar', length: 32, nullable: true })
  franchise!: string | null;

  @Column({ name: 'franchiseName', type: 'varchar', length: 64, nullable: true })
  franchiseName!: string | null;

  @Column({ name: 'issuerName', type: 'varchar', length: 128, nullable: true })
  issuerName!: string | null;

  @Column({ name: 'lastDigits', type: 'varchar', length: 4, nullable: true })
  lastDigits!: string | null;

  /** `YYYY-MM-DD`, as PlacetoPay gives it. */
  @Column({ name: 'validUntil', type: 'varchar', length: 10, nullable: true })
  validUntil!: string | null;

  /** The token, encrypted (`v1.<keyId>.<iv>.<tag>.<ciphertext>`). Never returned by the service. */
  @Column({ name: 'tokenCiphertext', type: 'varchar', length: 512, select: false })
  tokenCiphertext?: string;

  /** Which key encrypted it (a public id, not the key). */
  @Column({ name: 'tokenKeyId', type: 'varchar', length: 16 })
  tokenKeyId!: string;

  /** Who pays with it (PlacetoPay's collect needs a payer): from the subscribing session. */
  @Column({ name: 'payer', type: 'simple-json', nullable: true })
  payer!: Person | null;

  @Column({ name: 'createdAt', type: 'bigint', transformer: epochMillis })
  createdAt!: Date;

  @Column({ name: 'updatedAt', type: 'bigint', transformer: epochMillis })
  updatedAt!: Date;

  @Column({ name: 'revokedAt', type: 'bigint', nullable: true, transformer: epochMillis })
  revokedAt!: Date | null;
}
