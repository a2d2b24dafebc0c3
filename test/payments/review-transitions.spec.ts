import { PaymentStatus, PlacetoPayPayment } from 'nestjs-placetopay';
import { newPaymentRow } from '../../lib/payments/new-payment';
import { decideCreationUnknown } from '../../lib/payments/payment-transitions';
import {
  decideAbandoned,
  decideAttached,
  decideExpiredUnconfirmed,
  sessionMismatch,
} from '../../lib/payments/review-transitions';
import { observedSession } from '../support/payments-app';

// The rules for what no session query settles: rows in memory, time given, no database.
const CREATED = new Date('2026-03-01T12:00:00Z');
const EXPIRES = new Date('2026-03-01T12:30:00Z');
const DEADLINE = new Date('2026-03-01T12:31:00Z');
const { CREATING, UNKNOWN, PENDING, FAILED, APPROVED } = PaymentStatus;

/** An UNKNOWN redirect payment of 125000 COP with no session, unless told otherwise. */
function unknown(overrides: Partial<PlacetoPayPayment> = {}): PlacetoPayPayment {
  const draft = {
    reference: 'REF',
    description: 'd',
    currency: 'COP',
    amountMinor: 12_500_000,
    expiresAt: EXPIRES,
  };
  const stored = newPaymentRow(draft, 'p-1', CREATED, true, null);
  return Object.assign(new PlacetoPayPayment(), stored, {
    status: UNKNOWN,
    needsReview: true,
    reviewReason: 'session creation outcome unknown',
    ...overrides,
  });
}

describe('review transitions (pure rules)', () => {
  it('schedules an unknown redirect creation for its expiration, never an unknown charge', () => {
    const redirect = decideCreationUnknown(unknown({ status: CREATING }), 'timeout');
    expect(redirect?.changes.nextCheckAt).toEqual(EXPIRES);
    const charge = decideCreationUnknown(
      unknown({ status: CREATING, kind: 'collect', expiresAt: null }),
      'timeout',
    );
    expect(charge?.changes.nextCheckAt).toBeNull();
  });

  it('ends an unconfirmed redirect session FAILED only from its deadline on', () => {
    expect(
      decideExpiredUnconfirmed(unknown(), new Date(DEADLINE.getTime() - 1), DEADLINE),
    ).toBeNull();
    const ended = decideExpiredUnconfirmed(unknown(), DEADLINE, DEADLINE);
    expect(ended?.changes).toMatchObject({
      status: FAILED,
      statusReason: 'expired_unconfirmed',
      needsReview: false,
      openReference: null,
      nextCheckAt: null,
    });
    expect(ended?.source).toBe('probe');
    expect(ended?.events).toEqual([
      { type: 'payment.expired_unconfirmed', details: { expiresAt: EXPIRES.toISOString() } },
    ]);
  });

  it.each([
    ['a collect charge', { kind: 'collect' as const }],
    ['a payment with a session', { requestId: 77 }],
    ['a pending payment', { status: PENDING }],
    ['a payment without expiration', { expiresAt: null }],
  ])('never expires %s', (_name, overrides) => {
    expect(decideExpiredUnconfirmed(unknown(overrides), DEADLINE, DEADLINE)).toBeNull();
  });

  it('abandons UNKNOWN and CREATING only, keeping the note', () => {
    for (const status of [UNKNOWN, CREATING]) {
      const change = decideAbandoned(unknown({ status }), 'checked the console');
      expect(change?.changes).toMatchObject({
        status: FAILED,
        statusReason: 'abandoned',
        statusMessage: 'checked the console',
        openReference: null,
      });
      expect(change?.events).toEqual([
        { type: 'payment.abandoned', details: { note: 'checked the console' } },
      ]);
      expect(change?.source).toBe('manual');
    }
    for (const status of [PENDING, APPROVED, FAILED]) {
      expect(decideAbandoned(unknown({ status }), 'note')).toBeNull();
    }
  });

  it('attaches a session to an UNKNOWN payment without one', () => {
    const next = new Date('2026-03-01T12:40:00Z');
    const change = decideAttached(unknown(), { requestId: 99, processUrl: null }, next);
    expect(change?.changes).toMatchObject({
      status: PENDING,
      requestId: 99,
      needsReview: false,
      reviewReason: null,
      nextCheckAt: next,
    });
    expect(change?.events).toEqual([
      { type: 'payment.session_attached', details: { requestId: 99 } },
    ]);
    expect(
      decideAttached(unknown({ requestId: 5 }), { requestId: 99, processUrl: null }, next),
    ).toBeNull();
    expect(
      decideAttached(unknown({ status: PENDING }), { requestId: 99, processUrl: null }, next),
    ).toBeNull();
  });

  it('matches a session by reference, currency and amount', () => {
    const session = (reference: string, currency = 'COP', total = 125_000) => {
      const observed = observedSession(99, 'PENDING', { currency, total });
      const payment = observed.request!.payment as Record<string, unknown>;
      return { ...observed, request: { payment: { ...payment, reference } } };
    };
    expect(sessionMismatch(session('REF'), unknown())).toBeNull();
    expect(sessionMismatch(session('OTHER'), unknown())).toMatch(/reference OTHER, not REF/);
    expect(sessionMismatch(session('REF', 'USD'), unknown())).toMatch(/currency USD/);
    expect(sessionMismatch(session('REF', 'COP', 1), unknown())).toMatch(/amount 1 COP/);
  });
});
