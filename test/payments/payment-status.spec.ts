import { PaymentStatus } from 'nestjs-placetopay';
import {
  ALL_PAYMENT_STATUSES,
  canTransition,
  fromGatewayStatus,
  isFinalStatus,
  statusRank,
} from '../../lib/payments/payment-status';

const {
  CREATING,
  FAILED,
  UNKNOWN,
  PENDING,
  APPROVED_PARTIAL,
  APPROVED,
  REJECTED,
  PARTIAL_EXPIRED,
} = PaymentStatus;

describe('status rules', () => {
  it('knows the final statuses', () => {
    expect(ALL_PAYMENT_STATUSES.filter(isFinalStatus).sort()).toEqual(
      [APPROVED, FAILED, PARTIAL_EXPIRED, REJECTED].sort(),
    );
  });

  it('ranks creation below the session statuses and finals on top', () => {
    expect([CREATING, UNKNOWN, PENDING, APPROVED_PARTIAL, APPROVED].map(statusRank)).toEqual([
      0, 1, 2, 3, 4,
    ]);
  });

  // The whole table: every (from, to) pair.
  const allowed: Record<PaymentStatus, PaymentStatus[]> = {
    [CREATING]: [FAILED, UNKNOWN, PENDING, APPROVED_PARTIAL, APPROVED, REJECTED, PARTIAL_EXPIRED],
    [UNKNOWN]: [FAILED, PENDING, APPROVED_PARTIAL, APPROVED, REJECTED, PARTIAL_EXPIRED],
    [PENDING]: [APPROVED_PARTIAL, APPROVED, REJECTED, PARTIAL_EXPIRED],
    [APPROVED_PARTIAL]: [APPROVED, REJECTED, PARTIAL_EXPIRED],
    [APPROVED]: [],
    [REJECTED]: [],
    [PARTIAL_EXPIRED]: [],
    [FAILED]: [],
  };
  it.each(ALL_PAYMENT_STATUSES)('allows exactly the listed transitions from %s', (from) => {
    expect(ALL_PAYMENT_STATUSES.filter((to) => canTransition(from, to)).sort()).toEqual(
      [...allowed[from]].sort(),
    );
  });

  it('maps gateway statuses, keeping unknown ones non-final', () => {
    expect(fromGatewayStatus('APPROVED')).toBe(APPROVED);
    expect(fromGatewayStatus('PARTIAL_EXPIRED')).toBe(PARTIAL_EXPIRED);
    expect(fromGatewayStatus('PENDING_VALIDATION')).toBe(PENDING);
    expect(fromGatewayStatus('CANCELED')).toBe(PENDING);
    expect(fromGatewayStatus('FAILED')).toBe(PENDING);
  });
});
