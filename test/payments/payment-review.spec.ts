import {
  PaymentStatus,
  PlacetoPayClient,
  PlacetoPayPaymentNotFoundError,
  PlacetoPayPaymentStateError,
  PlacetoPayValidationError,
  type CreatePaymentInput,
} from 'nestjs-placetopay';
import type { PlacetoPaySimulator } from 'nestjs-placetopay/testing';
import { enginesUnderTest, type Engine } from '../support/databases';
import { SECRET_KEY, sessionRequest } from '../support/fixtures';
import { captureLogs } from '../support/log-capture';
import { seedPayment, type PaymentsApp } from '../support/payments-app';
import { startSimulatedPayments, type SimulatedPayments } from '../support/simulated-payments';

let counter = 0;
function input(): CreatePaymentInput {
  return {
    reference: `REVIEW-${++counter}`,
    description: 'Two coffee bags',
    amount: { currency: 'COP', total: 125000 },
    returnUrl: 'https://shop.example.com/return',
    ipAddress: '127.0.0.1',
    userAgent: 'jest',
  };
}

describe.each(enginesUnderTest().map((engine) => [engine.name, engine] as const))(
  'operator calls on %s',
  (_name, engine: Engine) => {
    let app: PaymentsApp;
    let simulator: PlacetoPaySimulator;
    const logs = captureLogs();

    let harness: SimulatedPayments;

    beforeAll(async () => {
      harness = await startSimulatedPayments(engine, logs);
      ({ app, simulator } = harness);
    });
    afterEach(() => simulator.faults.clear());
    afterAll(async () => {
      await harness?.close();
      expect(logs.text()).not.toContain(SECRET_KEY);
    });

    /** A create whose answer was lost: UNKNOWN, needs review, blocks its reference. */
    async function unknownPayment(request = input()) {
      simulator.faults.inject('createSession', { type: 'hang' }, { times: 1 });
      await expect(app.service.createPayment(request)).rejects.toMatchObject({ kind: 'timeout' });
      return (await app.service.findByReference(request.reference))!;
    }

    /** A session made at PlacetoPay (what the operator finds in its console). */
    async function sessionAtPlacetoPay(reference: string, total = 125000) {
      const client = app.moduleRef.get(PlacetoPayClient);
      return client.createSession(
        sessionRequest({
          payment: { reference, description: 'd', amount: { currency: 'COP', total } },
        }),
      );
    }

    const unchanged = async (id: string, version: number) =>
      expect(await app.repository.findById(id)).toMatchObject({ version });

    it('lists the payments needing review, oldest first', async () => {
      const unknown = await unknownPayment();
      const mismatch = await seedPayment(app, PaymentStatus.PENDING, {
        needsReview: true,
        reviewReason: 'session amount 1 COP differs from the stored amount',
      });
      const fine = await seedPayment(app, PaymentStatus.PENDING);
      const listed = (await app.service.listPaymentsNeedingReview()).map((p) => p.id);
      expect(listed).toEqual(expect.arrayContaining([unknown.id, mismatch.id]));
      expect(listed).not.toContain(fine.id);
      expect(listed.indexOf(unknown.id)).toBeLessThan(listed.indexOf(mismatch.id));
    });

    it('attaches the session found at PlacetoPay and settles the payment from it', async () => {
      const payment = await unknownPayment();
      const { requestId } = await sessionAtPlacetoPay(payment.reference);
      simulator.approve(requestId);
      const settled = await app.service.attachSession(payment.id, requestId);
      expect(settled).toMatchObject({
        status: 'APPROVED',
        requestId,
        needsReview: false,
        reviewReason: null,
      });
      const history = await app.repository.history(payment.id);
      expect(history.map((e) => [e.type, e.toStatus, e.source])).toEqual([
        ['payment.review_required', 'UNKNOWN', 'create'],
        ['payment.session_attached', 'PENDING', 'manual'],
        ['payment.approved', 'APPROVED', 'manual'],
      ]);
      expect(history[1].payload).toMatchObject({ details: { requestId } });
      // Attached once: a second call is refused and changes nothing.
      await expect(app.service.attachSession(payment.id, requestId)).rejects.toBeInstanceOf(
        PlacetoPayPaymentStateError,
      );
      await unchanged(payment.id, settled.version);
    });

    it('refuses a session of another reference or amount, or already attached, and changes nothing', async () => {
      const payment = await unknownPayment();
      const other = await sessionAtPlacetoPay('SOMEONE-ELSE');
      const cheaper = await sessionAtPlacetoPay(payment.reference, 1000);
      const taken = await app.service.createPayment(input());
      for (const [requestId, message] of [
        [other.requestId, /is for reference SOMEONE-ELSE/],
        [cheaper.requestId, /session amount 1000 COP differs/],
        [taken.requestId, /already belongs to payment/],
        [0, /positive integer/],
      ] as const) {
        const error = await app.service.attachSession(payment.id, requestId).catch((e) => e);
        expect(error).toBeInstanceOf(PlacetoPayValidationError);
        expect((error as Error).message).toMatch(message);
        await unchanged(payment.id, payment.version);
      }
      await expect(app.service.attachSession('no-such-id', other.requestId)).rejects.toBeInstanceOf(
        PlacetoPayPaymentNotFoundError,
      );
    });

    it('abandons an UNKNOWN or CREATING payment: FAILED with the note, the reference free', async () => {
      const request = input();
      const payment = await unknownPayment(request);
      const note = 'Checked the PlacetoPay console on 2026-12-04: no session with this reference';
      const abandoned = await app.service.abandonPayment(payment.id, note);
      expect(abandoned).toMatchObject({
        status: 'FAILED',
        statusReason: 'abandoned',
        statusMessage: note,
        needsReview: false,
        openReference: null,
      });
      const [, event] = await app.repository.history(payment.id);
      expect(event).toMatchObject({ type: 'payment.abandoned', source: 'manual' });
      expect(event.payload).toMatchObject({ details: { note } });
      await expect(app.service.createPayment({ ...request })).resolves.toMatchObject({
        payment: { status: 'PENDING' },
      });

      const creating = await seedPayment(app, PaymentStatus.CREATING);
      await expect(app.service.abandonPayment(creating.id, 'process died')).resolves.toMatchObject({
        status: 'FAILED',
        statusMessage: 'process died',
      });
    });

    it('refuses to abandon a payment that has a session, or without a note, and changes nothing', async () => {
      const pending = await seedPayment(app, PaymentStatus.PENDING);
      await expect(app.service.abandonPayment(pending.id, 'nope')).rejects.toBeInstanceOf(
        PlacetoPayPaymentStateError,
      );
      await unchanged(pending.id, pending.version);
      const unknown = await unknownPayment();
      for (const note of ['', '   ', 'x'.repeat(256)]) {
        await expect(app.service.abandonPayment(unknown.id, note)).rejects.toBeInstanceOf(
          PlacetoPayValidationError,
        );
      }
      await unchanged(unknown.id, unknown.version);
      await expect(app.service.abandonPayment('no-such-id', 'why')).rejects.toBeInstanceOf(
        PlacetoPayPaymentNotFoundError,
      );
    });
  },
);
