import { PaymentStatus, PlacetoPayPayment } from 'nestjs-placetopay';
import { newPaymentRow } from '../../lib/payments/new-payment';
import { ALL_PAYMENT_STATUSES, isFinalStatus } from '../../lib/payments/payment-status';
import * as rules from '../../lib/payments/payment-transitions';
import type { PaymentSource } from '../../lib/payments/placetopay-event-type';
import { observedSession, type ObservedSessionOptions } from '../support/payments-app';

// The rules alone: rows built in memory, no database, no clock but the `now` given.
const NOW = new Date('2026-03-01T12:00:00Z');
const REQUEST_ID = 4242;
const { CREATING, UNKNOWN, PENDING, APPROVED_PARTIAL, APPROVED, REJECTED, PARTIAL_EXPIRED } =
  PaymentStatus;

/** A stored payment of 125000 COP (12_500_000 minor units), PENDING unless told. */
function row(overrides: Partial<PlacetoPayPayment> = {}): PlacetoPayPayment {
  const draft = { reference: 'REF', description: 'd', currency: 'COP', amountMinor: 12_500_000 };
  return Object.assign(
    new PlacetoPayPayment(),
    newPaymentRow(draft, 'payment-1', new Date('2024-01-01T00:00:00Z'), true, null),
    {
      // What the database fills in for a new row.
      reviewReason: null,
      refundInDoubtMinor: null,
      leaseOwner: null,
      leaseUntil: null,
      status: PENDING,
      requestId: REQUEST_ID,
      statusDate: new Date('2024-01-01T00:00:00Z'),
      nextCheckAt: new Date('2024-01-01T00:07:00Z'),
    },
    overrides,
  );
}

function observe(
  current: PlacetoPayPayment,
  status: string,
  options: ObservedSessionOptions = {},
  source: PaymentSource = 'probe',
) {
  const session = observedSession(REQUEST_ID, status, { date: '2025-01-01T00:00:00Z', ...options });
  return rules.decideObservation(current, { source, session }, NOW);
}

const types = (change: { events: Array<{ type: string }> } | null) =>
  change?.events.map((e) => e.type);

describe('payment transitions (pure rules)', () => {
  describe('an observed session', () => {
    it('approves a pending payment paid in full, with the settling transaction and no schedule', () => {
      const change = observe(row(), 'APPROVED', {}, 'notification');
      expect(change?.result).toEqual({ kind: 'transitioned', from: PENDING, to: APPROVED });
      expect(types(change)).toEqual(['payment.approved']);
      expect(change?.source).toBe('notification');
      expect(change?.changes).toMatchObject({
        status: APPROVED,
        paidMinor: 12_500_000,
        internalReference: 900_000 + REQUEST_ID,
        authorization: '123456',
        franchise: 'CR_VS',
        lastDigits: '1111',
        statusDate: new Date('2025-01-01T00:00:00Z'),
        nextCheckAt: null,
        leaseOwner: null,
        leaseUntil: null,
      });
      // An approved payment keeps blocking its reference.
      expect(change?.changes).not.toHaveProperty('openReference');
    });

    it.each(ALL_PAYMENT_STATUSES.filter(isFinalStatus))(
      'keeps %s absorbing whatever is seen later',
      (status) => {
        for (const seen of [
          'PENDING',
          'APPROVED_PARTIAL',
          'APPROVED',
          'REJECTED',
          'PARTIAL_EXPIRED',
        ]) {
          expect(observe(row({ status }), seen, { date: '2099-01-01T00:00:00Z' })).toBeNull();
        }
      },
    );

    it.each([
      ['a different total', { total: 1250 }],
      ['a different currency', { currency: 'USD' }],
      ['approved transactions short of the amount', { paid: 100 }],
    ])('never pays %s: the payment is flagged for review once', (_what, mismatch) => {
      const change = observe(row(), 'APPROVED', mismatch);
      expect(change?.result.kind).toBe('review');
      expect(change?.changes.status).toBeUndefined();
      expect(change?.changes.needsReview).toBe(true);
      expect(types(change)).toEqual(['payment.review_required']);
      const flagged = row({ needsReview: true, reviewReason: change!.changes.reviewReason });
      expect(observe(flagged, 'APPROVED', mismatch)).toBeNull();
    });

    it('approves partially, then in full, and flags a partial over the amount', () => {
      const partial = observe(row({ allowPartial: true }), 'APPROVED_PARTIAL', { paid: 50_000 });
      expect(partial?.result).toEqual({
        kind: 'transitioned',
        from: PENDING,
        to: APPROVED_PARTIAL,
      });
      expect(types(partial)).toEqual(['payment.partially_approved']);
      expect(partial?.changes).toMatchObject({ paidMinor: 5_000_000 });
      // Still open: it stays on the probe's schedule and keeps its reference.
      expect(partial?.changes).not.toHaveProperty('nextCheckAt');
      const full = observe(row({ status: APPROVED_PARTIAL }), 'APPROVED');
      expect(full?.result).toEqual({ kind: 'transitioned', from: APPROVED_PARTIAL, to: APPROVED });
      expect(observe(row(), 'APPROVED_PARTIAL', { paid: 200_000 })?.result.kind).toBe('review');
    });

    it('releases the reference of a payment that can no longer be paid', () => {
      for (const [seen, options] of [
        ['REJECTED', {}],
        ['PARTIAL_EXPIRED', { paid: 50_000 }],
      ] as const) {
        const change = observe(row(), seen, options);
        expect(change?.changes).toMatchObject({
          status: seen,
          openReference: null,
          nextCheckAt: null,
        });
      }
      expect(types(observe(row(), 'REJECTED'))).toEqual(['payment.rejected']);
    });

    it('ignores a stale non-final observation and records a newer one without an event', () => {
      const current = row({ status: PENDING, statusDate: new Date('2025-06-01T00:00:00Z') });
      expect(observe(current, 'APPROVED_PARTIAL', { date: '2025-05-01T00:00:00Z' })).toBeNull();
      expect(observe(current, 'PENDING', { date: '2025-05-01T00:00:00Z' })).toBeNull();
      const newer = observe(current, 'PENDING', { date: '2025-07-01T00:00:00Z' });
      expect(newer?.result).toEqual({ kind: 'unchanged', status: PENDING });
      expect(newer?.events).toEqual([]);
      expect(newer?.changes.statusDate).toEqual(new Date('2025-07-01T00:00:00Z'));
      // A final word is never stale.
      expect(observe(current, 'REJECTED', { date: '2025-05-01T00:00:00Z' })?.changes.status).toBe(
        REJECTED,
      );
    });

    it('dates a session without a date with the `now` it is given', () => {
      const change = observe(row(), 'APPROVED_PARTIAL', { date: '' });
      expect(change?.changes.statusDate).toBe(NOW);
    });

    it('notices a refund on an approved payment once, or with the approval itself', () => {
      const refund = observe(row({ status: APPROVED }), 'APPROVED', { refunded: true }, 'return');
      expect(refund?.result).toEqual({ kind: 'unchanged', status: APPROVED });
      expect(refund?.changes).toMatchObject({ refunded: true });
      expect(refund?.events).toEqual([
        { type: 'payment.refunded', details: { detectedBy: 'return' } },
      ]);
      expect(
        observe(row({ status: APPROVED, refunded: true }), 'APPROVED', { refunded: true }),
      ).toBeNull();
      const both = observe(row(), 'APPROVED', { refunded: true });
      expect(types(both)).toEqual(['payment.approved', 'payment.refunded']);
      expect(both?.changes).toMatchObject({ status: APPROVED, refunded: true });
    });

    it('asks to store the payment method a settling session tokenized, with its payer', () => {
      const session = observedSession(REQUEST_ID, 'APPROVED', { date: '2025-01-01T00:00:00Z' });
      const payer = { name: 'Ana', surname: 'Gómez', email: 'ana@example.com' };
      session.request = { ...session.request, payer };
      session.subscription = {
        type: 'token',
        status: { status: 'OK', reason: '00', message: 'ok', date: '2025-01-01T00:00:00Z' },
        instrument: [
          { keyword: 'token', value: 'a'.repeat(64) },
          { keyword: 'lastDigits', value: '1111' },
        ],
      };
      const change = rules.decideObservation(row(), { source: 'return', session }, NOW);
      expect(change?.instrument).toMatchObject({
        facts: { type: 'card', token: 'a'.repeat(64), lastDigits: '1111' },
        payer,
      });
      const rejected = { ...session, status: { ...session.status, status: 'REJECTED' } };
      expect(
        rules.decideObservation(row(), { source: 'return', session: rejected }, NOW)?.instrument,
      ).toBeUndefined();
    });
  });

  describe('creation', () => {
    it('names the first PENDING `payment.created`, a later one `payment.status_changed`', () => {
      for (const from of [CREATING, UNKNOWN]) {
        expect(types(rules.transitionTo(row({ status: from }), PENDING, 'create', {}))).toEqual([
          'payment.created',
        ]);
      }
      expect(rules.transitionTo(row({ status: PENDING }), PENDING, 'create', {})).toBeNull();
      expect(types(rules.transitionTo(row({ status: UNKNOWN }), REJECTED, 'probe', {}))).toEqual([
        'payment.rejected',
      ]);
    });

    it('records the session once, clearing only the review it left for a slow creation', () => {
      const session = { requestId: 77, processUrl: 'https://pay/77' };
      const next = new Date('2026-03-01T12:07:00Z');
      const created = rules.decideCreated(
        row({ status: CREATING, requestId: null }),
        session,
        next,
      );
      expect(created?.changes).toMatchObject({ status: PENDING, requestId: 77, nextCheckAt: next });
      expect(created?.changes).not.toHaveProperty('needsReview');
      const slow = row({
        status: UNKNOWN,
        needsReview: true,
        reviewReason: rules.CREATION_UNKNOWN_REASON,
      });
      expect(rules.decideCreated(slow, session, next)?.changes).toMatchObject({
        needsReview: false,
        reviewReason: null,
      });
      expect(rules.decideCreated(row({ status: PENDING }), session, next)).toBeNull();
    });

    it('fails only a payment without a session, trimming what the gateway said', () => {
      const failed = rules.decideCreationFailed(
        row({ status: CREATING }),
        'x'.repeat(100),
        'y'.repeat(300),
      );
      expect(failed?.changes).toMatchObject({ status: PaymentStatus.FAILED, openReference: null });
      expect(failed?.changes.statusReason).toHaveLength(64);
      expect(failed?.changes.statusMessage).toHaveLength(255);
      expect(rules.decideCreationFailed(row({ status: PENDING }), 'XN', 'no')).toBeNull();
    });

    it('leaves an ambiguous creation UNKNOWN, for review and off the schedule', () => {
      const unknown = rules.decideCreationUnknown(row({ status: CREATING }), 'timeout');
      expect(unknown?.changes).toMatchObject({
        status: UNKNOWN,
        needsReview: true,
        reviewReason: rules.CREATION_UNKNOWN_REASON,
        nextCheckAt: null,
      });
      expect(types(unknown)).toEqual(['payment.review_required']);
    });
  });

  it('gives up on an open scheduled payment only', () => {
    const given = rules.decideUnresolved(row(), 'no answer');
    expect(given?.changes).toMatchObject({
      needsReview: true,
      nextCheckAt: null,
      leaseOwner: null,
    });
    expect(given?.events).toEqual([
      { type: 'payment.unresolved', details: { reason: 'no answer' } },
    ]);
    expect(rules.decideUnresolved(row({ status: APPROVED }), 'late')).toBeNull();
    expect(rules.decideUnresolved(row({ nextCheckAt: null }), 'again')).toBeNull();
  });

  describe('refunds', () => {
    it('starts one refund at a time, on an approved payment only', () => {
      expect(rules.decideRefundStart(row({ status: APPROVED }), 500)?.changes).toEqual({
        refundInDoubtMinor: 500,
      });
      expect(
        rules.decideRefundStart(row({ status: APPROVED, refundInDoubtMinor: 100 }), 500),
      ).toBeNull();
      expect(rules.decideRefundStart(row({ status: PARTIAL_EXPIRED }), 500)).toBeNull();
      expect(rules.decideRefundAbandoned(row({ refundInDoubtMinor: null }))).toBeNull();
      expect(rules.decideRefundAbandoned(row({ refundInDoubtMinor: 100 }))?.changes).toEqual({
        refundInDoubtMinor: null,
      });
    });

    it('records refunds up to the amount, never beyond', () => {
      const approved = row({ status: APPROVED, refundedMinor: 10_000_000, refundInDoubtMinor: 9 });
      const recorded = rules.decideRefundRecorded(approved, 5_000_000);
      expect(recorded?.changes).toEqual({
        refunded: true,
        refundedMinor: 12_500_000,
        refundInDoubtMinor: null,
      });
      expect(recorded?.events).toEqual([
        {
          type: 'payment.refunded',
          details: { refundedMinor: 5_000_000, totalRefundedMinor: 12_500_000 },
        },
      ]);
      expect(rules.decideRefundRecorded(row({ status: PENDING }), 1)).toBeNull();
    });
  });
});
