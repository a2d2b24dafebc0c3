import { PaymentStatus } from '../persistence/payment-status.enum';

export { PaymentStatus };

const FINAL = new Set<PaymentStatus>([
  PaymentStatus.APPROVED,
  PaymentStatus.REJECTED,
  PaymentStatus.PARTIAL_EXPIRED,
  PaymentStatus.FAILED,
]);

const RANK: Record<PaymentStatus, number> = {
  [PaymentStatus.CREATING]: 0,
  [PaymentStatus.UNKNOWN]: 1,
  [PaymentStatus.PENDING]: 2,
  [PaymentStatus.APPROVED_PARTIAL]: 3,
  [PaymentStatus.APPROVED]: 4,
  [PaymentStatus.REJECTED]: 4,
  [PaymentStatus.PARTIAL_EXPIRED]: 4,
  [PaymentStatus.FAILED]: 4,
};

export const ALL_PAYMENT_STATUSES: readonly PaymentStatus[] = Object.values(PaymentStatus);

export function isFinalStatus(status: PaymentStatus): boolean {
  return FINAL.has(status);
}

export function statusRank(status: PaymentStatus): number {
  return RANK[status];
}

/**
 * Whether `from` may become `to`. Final statuses are absorbing. Any non-final status may become
 * final (PlacetoPay's final word is the truth); between non-final statuses the rank must grow.
 * `FAILED` is ours alone: only a payment that never got a session can fail.
 */
export function canTransition(from: PaymentStatus, to: PaymentStatus): boolean {
  if (isFinalStatus(from) || from === to) return false;
  if (to === PaymentStatus.FAILED)
    return from === PaymentStatus.CREATING || from === PaymentStatus.UNKNOWN;
  if (to === PaymentStatus.CREATING) return false;
  if (isFinalStatus(to)) return true;
  return RANK[to] > RANK[from];
}

/** Every status `to` may be reached from: the `WHERE status IN (...)` of the compare-and-set. */
export function statusesBefore(to: PaymentStatus): PaymentStatus[] {
  return ALL_PAYMENT_STATUSES.filter((from) => canTransition(from, to));
}

/** A session status as PlacetoPay reports it, as one of ours; unknown values stay PENDING. */
export function fromGatewayStatus(status: string): PaymentStatus {
  switch (status) {
    case 'APPROVED':
      return PaymentStatus.APPROVED;
    case 'REJECTED':
      return PaymentStatus.REJECTED;
    case 'APPROVED_PARTIAL':
      return PaymentStatus.APPROVED_PARTIAL;
    case 'PARTIAL_EXPIRED':
      return PaymentStatus.PARTIAL_EXPIRED;
    default:
      return PaymentStatus.PENDING;
  }
}
