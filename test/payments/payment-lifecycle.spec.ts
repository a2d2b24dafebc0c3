import { PaymentStatus, type PlacetoPayPayment } from 'nestjs-placetopay';
import { ALL_PAYMENT_STATUSES, canTransition } from '../../lib/payments/payment-status';
import { paymentSnapshot } from '../../lib/payments/payment-event-writer';
import { enginesUnderTest } from '../support/databases';
import { captureLogs } from '../support/log-capture';
import {
  observedSession,
  seedPayment,
  startPaymentsApp,
  type PaymentsApp,
} from '../support/payments-app';

const GATEWAY_STATUSES = [
  'PENDING',
  'APPROVED_PARTIAL',
  'APPROVED',
  'REJECTED',
  'PARTIAL_EXPIRED',
] as const;

describe.each(enginesUnderTest().map((engine) => [engine.name, engine] as const))(
  'PaymentLifecycle on %s',
  (_name, engine) => {
    let app: PaymentsApp;
    const logs = captureLogs();

    beforeAll(async () => {
      app = await startPaymentsApp(engine, {}, logs);
    });
    afterAll(() => app?.close());

    const reload = async (payment: PlacetoPayPayment) =>
      (await app.repository.findById(payment.id))!;
    const history = (payment: PlacetoPayPayment) => app.repository.history(payment.id);

    describe('every (stored, observed) pair', () => {
      const pairs = ALL_PAYMENT_STATUSES.flatMap((from) =>
        GATEWAY_STATUSES.map((to) => [from, to] as const),
      );
      it.each(pairs)('%s observed as %s', async (from, to) => {
        const payment = await seedPayment(
          app,
          from,
          from === PaymentStatus.CREATING
            ? { requestId: 7_000_000 + pairs.findIndex(([f, t]) => f === from && t === to) }
            : {},
        );
        const outcome = await app.lifecycle.apply({
          source: 'probe',
          session: observedSession(payment.requestId!, to),
        });
        const after = await reload(payment);
        const events = await history(payment);
        if (canTransition(from, to as PaymentStatus)) {
          expect(outcome).toEqual({ kind: 'transitioned', from, to });
          expect(after.status).toBe(to);
          expect(after.version).toBe(payment.version + 1);
          expect(events).toHaveLength(1);
          expect(events[0]).toMatchObject({
            fromStatus: from,
            toStatus: to,
            source: 'probe',
            sequence: 1,
          });
        } else {
          expect(outcome.kind).toBe('unchanged');
          expect(after.status).toBe(from);
          expect(events).toHaveLength(0);
        }
      });
    });

    it('names each transition by its event type and carries a payment snapshot', async () => {
      const payment = await seedPayment(app, PaymentStatus.PENDING);
      await app.lifecycle.apply({
        source: 'notification',
        session: observedSession(payment.requestId!, 'APPROVED_PARTIAL', {
          total: 125000,
          paid: 50000,
        }),
      });
      await app.lifecycle.apply({
        source: 'return',
        session: observedSession(payment.requestId!, 'APPROVED'),
      });
      const events = await history(payment);
      expect(events.map((e) => [e.type, e.sequence, e.source])).toEqual([
        ['payment.partially_approved', 1, 'notification'],
        ['payment.approved', 2, 'return'],
      ]);
      expect(events[1].payload).toMatchObject({
        previousStatus: 'APPROVED_PARTIAL',
        payment: {
          id: payment.id,
          status: 'APPROVED',
          amountMinor: 12_500_000,
          paidMinor: 12_500_000,
          lastDigits: '1111',
        },
      });
      const after = await reload(payment);
      expect(after).toMatchObject({
        internalReference: 900_000 + payment.requestId!,
        authorization: '123456',
        paymentMethod: 'visa',
        franchise: 'CR_VS',
      });
      expect(JSON.stringify(after.gatewaySnapshot)).not.toContain('processorFields');
    });

    it('snapshots in each event the row exactly as its change stored it', async () => {
      // The row an event carries is built from the one read and the changes (no read back).
      const payment = await seedPayment(app, PaymentStatus.PENDING);
      const snapshots: Array<Record<string, unknown>> = [];
      for (const [status, amounts] of [
        ['PENDING', undefined],
        ['APPROVED_PARTIAL', { total: 125000, paid: 50000 }],
        ['APPROVED', undefined],
      ] as const) {
        await app.lifecycle.apply({
          source: 'probe',
          session: observedSession(payment.requestId!, status, amounts),
        });
        snapshots.push(paymentSnapshot(await reload(payment)));
      }
      const events = await history(payment);
      expect(events.map((e) => e.type)).toEqual(['payment.partially_approved', 'payment.approved']);
      expect(events.map((e) => e.payload.payment)).toEqual([snapshots[1], snapshots[2]]);
    });

    it('numbers events from the sequence read with the row, and again after a stale read', async () => {
      const payment = await seedPayment(app, PaymentStatus.PENDING);
      const stale = (await app.lifecycle.findForChange({ id: payment.id }))!;
      await app.lifecycle.apply({
        source: 'return',
        session: observedSession(payment.requestId!, 'APPROVED_PARTIAL'),
      });
      // Decided on the stale row first: that write loses, and the row is read again.
      const { outcome } = await app.lifecycle.applyWith(
        { source: 'probe', session: observedSession(payment.requestId!, 'APPROVED') },
        { current: stale },
      );
      expect(outcome).toEqual({ kind: 'transitioned', from: 'APPROVED_PARTIAL', to: 'APPROVED' });
      // A row read without its sequence (as the probe's claim reads them) asks for it.
      await app.lifecycle.applyWith(
        {
          source: 'probe',
          session: observedSession(payment.requestId!, 'APPROVED', { refunded: true }),
        },
        { current: await reload(payment) },
      );
      const events = await history(payment);
      expect(events.map((e) => [e.type, e.sequence])).toEqual([
        ['payment.partially_approved', 1],
        ['payment.approved', 2],
        ['payment.refunded', 3],
      ]);
    });

    it('keeps final statuses absorbing, whatever arrives later', async () => {
      const payment = await seedPayment(app, PaymentStatus.PENDING);
      await app.lifecycle.apply({
        source: 'notification',
        session: observedSession(payment.requestId!, 'APPROVED'),
      });
      for (const status of GATEWAY_STATUSES) {
        await app.lifecycle.apply({
          source: 'probe',
          session: observedSession(payment.requestId!, status, { date: '2099-01-01T00:00:00Z' }),
        });
      }
      expect((await reload(payment)).status).toBe('APPROVED');
      expect((await history(payment)).map((e) => e.type)).toEqual(['payment.approved']);
    });

    it('ignores a stale non-final observation (older status date)', async () => {
      const payment = await seedPayment(app, PaymentStatus.PENDING, {
        statusDate: new Date('2024-06-01T12:00:00Z'),
      });
      const outcome = await app.lifecycle.apply({
        source: 'probe',
        session: observedSession(payment.requestId!, 'APPROVED_PARTIAL', {
          date: '2024-06-01T11:00:00Z',
        }),
      });
      expect(outcome.kind).toBe('unchanged');
      expect((await reload(payment)).status).toBe('PENDING');
    });

    it('never approves an amount or currency mismatch: needsReview instead', async () => {
      for (const mismatch of [{ total: 1250 }, { currency: 'USD' }]) {
        const payment = await seedPayment(app, PaymentStatus.PENDING);
        const outcome = await app.lifecycle.apply({
          source: 'notification',
          session: observedSession(payment.requestId!, 'APPROVED', mismatch),
        });
        expect(outcome.kind).toBe('review');
        const after = await reload(payment);
        expect(after.status).toBe('PENDING');
        expect(after.needsReview).toBe(true);
        expect(after.reviewReason).toMatch(/differs from the stored/);
        expect((await history(payment)).map((e) => e.type)).toEqual(['payment.review_required']);
        // Seen again: no second event.
        await app.lifecycle.apply({
          source: 'probe',
          session: observedSession(payment.requestId!, 'APPROVED', mismatch),
        });
        expect(await history(payment)).toHaveLength(1);
      }
    });

    it('does not approve when the approved transactions do not cover the amount', async () => {
      const payment = await seedPayment(app, PaymentStatus.PENDING);
      const outcome = await app.lifecycle.apply({
        source: 'probe',
        session: observedSession(payment.requestId!, 'APPROVED', { paid: 100 }),
      });
      expect(outcome.kind).toBe('review');
      expect((await reload(payment)).status).toBe('PENDING');
    });

    it('notices a refund on an approved payment once', async () => {
      const payment = await seedPayment(app, PaymentStatus.PENDING);
      await app.lifecycle.apply({
        source: 'return',
        session: observedSession(payment.requestId!, 'APPROVED'),
      });
      await app.lifecycle.apply({
        source: 'probe',
        session: observedSession(payment.requestId!, 'APPROVED', { refunded: true }),
      });
      await app.lifecycle.apply({
        source: 'probe',
        session: observedSession(payment.requestId!, 'APPROVED', { refunded: true }),
      });
      const after = await reload(payment);
      expect(after.status).toBe('APPROVED');
      expect(after.refunded).toBe(true);
      expect((await history(payment)).map((e) => e.type)).toEqual([
        'payment.approved',
        'payment.refunded',
      ]);
    });

    it('answers unknown_payment for a requestId it does not have', async () => {
      await expect(
        app.lifecycle.apply({
          source: 'notification',
          session: observedSession(987_654_321, 'APPROVED'),
        }),
      ).resolves.toEqual({
        kind: 'unknown_payment',
      });
    });

    it('gives exactly one final transition and one final event under 50 concurrent applies', async () => {
      const payment = await seedPayment(app, PaymentStatus.PENDING);
      const statuses = Array.from({ length: 50 }, (_, i) =>
        i % 3 === 0 ? 'APPROVED' : i % 3 === 1 ? 'PENDING' : 'APPROVED_PARTIAL',
      );
      const outcomes = await Promise.all(
        statuses.map((status, i) =>
          app.lifecycle.apply({
            source: i % 2 ? 'probe' : 'notification',
            session: observedSession(payment.requestId!, status, {
              date: new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString(),
            }),
          }),
        ),
      );
      const after = await reload(payment);
      const events = await history(payment);
      expect(after.status).toBe('APPROVED');
      expect(outcomes.filter((o) => o.kind === 'transitioned' && o.to === 'APPROVED')).toHaveLength(
        1,
      );
      expect(events.filter((e) => e.toStatus === 'APPROVED')).toHaveLength(1);
      expect(events.filter((e) => e.type === 'payment.approved')).toHaveLength(1);
      // Sequences are gap-free and ordered; transitions only climb.
      expect(events.map((e) => e.sequence)).toEqual(events.map((_, i) => i + 1));
      expect(after.version).toBeGreaterThanOrEqual(1 + events.length);
    });
  },
);
