import { PaymentStatus, PlacetoPayPayment } from 'nestjs-placetopay';
import type { PlacetoPayTransaction, RedirectInformation } from 'nestjs-placetopay/wire';
import { newPaymentRow } from '../../lib/payments/new-payment';
import {
  decideRecurringCharge,
  newChargeRow,
  type RecurringChargeSeen,
} from '../../lib/payments/recurring-charge-transitions';
import { withoutRecurringCharges } from '../../lib/payments/session-facts';

// The recurring-charge rules alone: rows and sessions built in memory.
const NOW = new Date('2026-03-01T12:00:00Z');

function tx(internalReference: number, status = 'APPROVED', total = 1250): PlacetoPayTransaction {
  return {
    status: { status, reason: '00', message: status, date: '2026-03-01T07:00:00-05:00' },
    internalReference,
    reference: 'SUB-1',
    paymentMethod: 'visa',
    paymentMethodName: 'Visa',
    issuerName: null,
    amount: { from: { currency: 'COP', total }, to: { currency: 'COP', total }, factor: 1 },
    authorization: '123456',
    receipt: null,
    franchise: 'CR_VS',
    refunded: false,
    processorFields: [],
  };
}

function session(payment: PlacetoPayTransaction[], recurring = true): RedirectInformation {
  return {
    requestId: 7,
    status: { status: 'APPROVED', reason: '00', message: 'ok', date: '2026-03-01T07:00:00-05:00' },
    request: {
      payment: {
        reference: 'SUB-1',
        amount: { currency: 'COP', total: 1250 },
        ...(recurring ? { recurring: { periodicity: 'M', interval: 1, maxPeriods: -1 } } : {}),
      },
    },
    payment,
    subscription: null,
    autopay: null,
  };
}

const parent = Object.assign(
  new PlacetoPayPayment(),
  newPaymentRow(
    { reference: 'SUB-1', description: 'Coffee', currency: 'COP', amountMinor: 125_000 },
    'parent-1',
    NOW,
    true,
    null,
  ),
  { site: 'default', requestId: 7, status: PaymentStatus.APPROVED, internalReference: 11 },
);

describe('recurring charges (pure rules)', () => {
  it("keeps only the first payment's approved transaction of a recurring session", () => {
    const listed = [tx(13), tx(12, 'REJECTED'), tx(12_5), tx(11)];
    const ids = (s: RedirectInformation) => s.payment.map((t) => t.internalReference);
    // The stored one, wherever it is listed.
    expect(ids(withoutRecurringCharges(session(listed), 11))).toEqual([12, 11]);
    expect(ids(withoutRecurringCharges(session(listed), 13))).toEqual([13, 12]);
    // None stored yet: the lowest-numbered approved one.
    expect(ids(withoutRecurringCharges(session(listed), null))).toEqual([12, 11]);
    // Not a recurring session, or a single approved transaction: as it came.
    expect(ids(withoutRecurringCharges(session(listed, false), 11))).toEqual([13, 12, 125, 11]);
    expect(ids(withoutRecurringCharges(session([tx(11)]), null))).toEqual([11]);
  });

  it('never approves a charge of another amount or currency than the original: review', () => {
    const charge = (transaction: PlacetoPayTransaction) => {
      const seen: RecurringChargeSeen = { parent, transaction, details: {} };
      const row = Object.assign(new PlacetoPayPayment(), newChargeRow(seen, 'c', NOW));
      return decideRecurringCharge(row, seen, true, NOW);
    };
    const other = (currency: string, total: number) => ({
      ...tx(31),
      amount: { from: { currency, total }, to: { currency, total }, factor: 1 },
    });
    for (const odd of [other('COP', 1300), other('USD', 1250), { ...tx(31), amount: null }]) {
      const change = charge(odd);
      expect(change?.changes.status).toBeUndefined();
      expect(change?.changes.needsReview).toBe(true);
      expect(change?.events.map((e) => e.type)).toEqual([
        'payment.review_required',
        'payment.recurring_charge',
      ]);
    }
    // A declined charge moves no money: rejected whatever it says.
    expect(
      charge({ ...other('COP', 1300), status: tx(31, 'REJECTED').status })?.changes.status,
    ).toBe(PaymentStatus.REJECTED);
  });

  it('creates a charge as a payment of its own, with its event and the link', () => {
    const seen: RecurringChargeSeen = { parent, transaction: tx(21), details: { tries: 2 } };
    const row = Object.assign(new PlacetoPayPayment(), newChargeRow(seen, 'charge-1', NOW));
    expect(row).toMatchObject({
      kind: 'recurring',
      parentPaymentId: 'parent-1',
      openReference: null,
      requestId: null,
      internalReference: 21,
      status: PaymentStatus.CREATING,
      // Every column a first event's snapshot reads is there, as the database would have it.
      reviewReason: null,
      authorization: null,
      gatewaySnapshot: null,
    });
    const created = decideRecurringCharge(row, seen, true, NOW);
    expect(created?.changes.status).toBe(PaymentStatus.APPROVED);
    expect(created?.events).toEqual([
      { type: 'payment.approved' },
      {
        type: 'payment.recurring_charge',
        details: {
          parentPaymentId: 'parent-1',
          parentRequestId: 7,
          internalReference: 21,
          status: 'APPROVED',
          tries: 2,
        },
      },
    ]);
    // A transaction that FAILED is rejected; a row seen before gets no second recurring_charge.
    const failed = decideRecurringCharge(
      row,
      { ...seen, transaction: tx(21, 'FAILED') },
      false,
      NOW,
    );
    expect(failed?.changes.status).toBe(PaymentStatus.REJECTED);
    expect(failed?.events).toEqual([{ type: 'payment.rejected' }]);
  });
});
