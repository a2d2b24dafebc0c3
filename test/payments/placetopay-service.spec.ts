import {
  PaymentStatus,
  PlacetoPayAuthenticationError,
  PlacetoPayDuplicatePaymentError,
  PlacetoPayPaymentNotFoundError,
  PlacetoPayPaymentStateError,
  PlacetoPayRequestRejectedError,
  PlacetoPayUnavailableError,
  PlacetoPayValidationError,
  type CreatePaymentInput,
  type PlacetoPayModuleOptions,
} from 'nestjs-placetopay';
import { PlacetoPaySimulator } from 'nestjs-placetopay/testing';
import { enginesUnderTest, type Engine } from '../support/databases';
import { LOGIN, SECRET_KEY } from '../support/fixtures';
import { captureLogs } from '../support/log-capture';
import { startPaymentsApp, type PaymentsApp } from '../support/payments-app';

let counter = 0;
function input(overrides: Partial<CreatePaymentInput> = {}): CreatePaymentInput {
  return {
    reference: `ORDER-${++counter}`,
    description: 'Two coffee bags',
    amount: { currency: 'COP', total: 125000.5 },
    returnUrl: 'https://shop.example.com/return',
    ipAddress: '127.0.0.1',
    userAgent: 'jest',
    buyer: { email: 'ana@example.com', name: 'Ana' },
    metadata: { orderId: counter },
    ...overrides,
  };
}

describe.each(enginesUnderTest().map((engine) => [engine.name, engine] as const))(
  'PlacetoPayService on %s',
  (_name, engine: Engine) => {
    let app: PaymentsApp;
    let simulator: PlacetoPaySimulator;
    const logs = captureLogs();

    async function boot(options: PlacetoPayModuleOptions = {}) {
      await app?.close();
      app = await startPaymentsApp(
        engine,
        { baseUrl: simulator.url, timeoutMs: 500, queryAttempts: 2, ...options },
        logs,
      );
    }

    beforeAll(async () => {
      simulator = await new PlacetoPaySimulator({
        sites: [{ login: LOGIN, secretKey: SECRET_KEY }],
        tickMs: 0,
      }).start();
      await boot();
    });
    afterAll(async () => {
      await app?.close();
      await simulator.stop();
      expect(logs.text()).not.toContain(SECRET_KEY);
    });
    afterEach(() => simulator.faults.clear());

    const count = () => app.payments.count();

    it('stores the payment, creates the session, and settles it on return', async () => {
      const { payment, requestId, processUrl } = await app.service.createPayment(input());
      expect(processUrl).toBe(simulator.session(requestId)!.processUrl);
      expect(payment).toMatchObject({
        status: 'PENDING',
        requestId,
        processUrl,
        currency: 'COP',
        amountMinor: 12_500_050,
        buyerEmail: 'ana@example.com',
        metadata: { orderId: counter },
        needsReview: false,
      });
      expect(payment.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 29 * 60_000);
      expect(payment.nextCheckAt!.getTime()).toBeGreaterThan(Date.now() + 6 * 60_000);
      // The row returned is not read back, yet it is the stored row, column for column.
      expect({ ...payment }).toEqual({ ...(await app.repository.findById(payment.id))! });
      expect(
        (await app.repository.history(payment.id)).map((e) => [
          e.type,
          e.fromStatus,
          e.toStatus,
          e.source,
        ]),
      ).toEqual([['payment.created', 'CREATING', 'PENDING', 'create']]);

      simulator.approve(requestId);
      const settled = await app.service.syncPayment(requestId);
      expect(settled).toMatchObject({
        status: 'APPROVED',
        paidMinor: 12_500_050,
        lastDigits: '0081',
        paymentMethod: 'visa',
      });
      expect((await app.repository.history(payment.id)).at(-1)).toMatchObject({
        type: 'payment.approved',
        source: 'return',
      });
      await expect(app.service.findByRequestId(requestId)).resolves.toMatchObject({
        id: payment.id,
      });
      await expect(app.service.findByReference(payment.reference)).resolves.toMatchObject({
        id: payment.id,
      });
    });

    it('stores nothing for invalid input', async () => {
      const before = await count();
      await expect(
        app.service.createPayment(input({ amount: { currency: 'CLP', total: 10.5 } })),
      ).rejects.toBeInstanceOf(PlacetoPayValidationError);
      await expect(app.service.createPayment(input({ reference: '' }))).rejects.toBeInstanceOf(
        PlacetoPayValidationError,
      );
      await expect(
        app.service.createPayment(input({ metadata: { big: 'x'.repeat(5000) } })),
      ).rejects.toBeInstanceOf(PlacetoPayValidationError);
      expect(await count()).toBe(before);
      expect(simulator.requestLog.filter((e) => e.httpStatus === 400)).toHaveLength(0);
    });

    it('ends FAILED on a definite refusal, and the error reaches the caller', async () => {
      simulator.faults.inject('createSession', {
        type: 'status',
        status: 400,
        body: JSON.stringify({
          status: { status: 'FAILED', reason: 'request_not_valid', message: 'Site not allowed' },
        }),
      });
      const request = input();
      await expect(app.service.createPayment(request)).rejects.toBeInstanceOf(
        PlacetoPayRequestRejectedError,
      );
      const [payment] = await app.service.listByReference(request.reference);
      expect(payment).toMatchObject({
        status: 'FAILED',
        statusReason: 'request_not_valid',
        statusMessage: 'Site not allowed',
        requestId: null,
      });
      // A failed attempt does not block a new one.
      simulator.faults.clear();
      await expect(app.service.createPayment({ ...request })).resolves.toMatchObject({
        payment: { status: 'PENDING' },
      });
      expect(await app.service.listByReference(request.reference)).toHaveLength(2);
    });

    it('ends FAILED with the auth code when PlacetoPay refuses the credentials', async () => {
      await boot({ secretKey: 'wrong-secret' });
      const request = input();
      await expect(app.service.createPayment(request)).rejects.toBeInstanceOf(
        PlacetoPayAuthenticationError,
      );
      await expect(app.service.findByReference(request.reference)).resolves.toMatchObject({
        status: 'FAILED',
        statusReason: 'auth_102',
      });
      await boot();
    });

    it('ends UNKNOWN and flagged for review when the outcome is ambiguous', async () => {
      simulator.faults.inject('createSession', { type: 'hang' }, { when: 'after' });
      const request = input();
      const error = await app.service.createPayment(request).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PlacetoPayUnavailableError);
      expect(error).toMatchObject({ kind: 'timeout', mayHaveReachedGateway: true });
      const payment = await app.service.findByReference(request.reference);
      expect(payment).toMatchObject({ status: 'UNKNOWN', needsReview: true, requestId: null });
      expect((await app.repository.history(payment!.id)).map((e) => e.type)).toEqual([
        'payment.review_required',
      ]);
      // It still blocks the reference: the buyer may have a live session.
      await expect(app.service.createPayment({ ...request })).rejects.toBeInstanceOf(
        PlacetoPayDuplicatePaymentError,
      );
    });

    it('ends FAILED (not sent) when PlacetoPay cannot be reached at all', async () => {
      await boot({ baseUrl: 'http://127.0.0.1:1', queryAttempts: 1 });
      const request = input();
      await expect(app.service.createPayment(request)).rejects.toMatchObject({
        mayHaveReachedGateway: false,
      });
      await expect(app.service.findByReference(request.reference)).resolves.toMatchObject({
        status: 'FAILED',
        statusReason: 'not_sent',
      });
      await boot();
    });

    it('refuses a second payment for a reference that is pending or approved, even concurrently', async () => {
      const request = input();
      const results = await Promise.allSettled([
        app.service.createPayment(request),
        app.service.createPayment({ ...request }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
      expect(rejected.reason).toBeInstanceOf(PlacetoPayDuplicatePaymentError);
      expect(await app.service.listByReference(request.reference)).toHaveLength(1);
    });

    it('allows duplicate references when configured', async () => {
      await boot({ allowDuplicateReferences: true });
      const request = input();
      await app.service.createPayment(request);
      await app.service.createPayment({ ...request });
      expect(await app.service.listByReference(request.reference)).toHaveLength(2);
      await boot();
    });

    it('cancels an open payment (REJECTED) and refuses to cancel a final one', async () => {
      const { requestId } = await app.service.createPayment(input());
      await expect(app.service.cancelPayment(requestId)).resolves.toMatchObject({
        status: 'REJECTED',
        statusReason: 'MC',
      });
      await expect(app.service.cancelPayment(requestId)).rejects.toBeInstanceOf(
        PlacetoPayPaymentStateError,
      );
    });

    it('refunds part, then the rest, of an approved payment', async () => {
      const { requestId } = await app.service.createPayment(
        input({ amount: { currency: 'COP', total: 100000 } }),
      );
      await expect(app.service.refundPayment(requestId)).rejects.toBeInstanceOf(
        PlacetoPayPaymentStateError,
      );
      simulator.approve(requestId);
      await app.service.syncPayment(requestId);
      await expect(app.service.refundPayment(requestId, 100000.01)).rejects.toBeInstanceOf(
        PlacetoPayValidationError,
      );
      const partial = await app.service.refundPayment(requestId, 30000);
      expect(partial).toMatchObject({
        status: 'APPROVED',
        refunded: true,
        refundedMinor: 3_000_000,
      });
      const full = await app.service.refundPayment(requestId);
      expect(full).toMatchObject({ refundedMinor: 10_000_000 });
      await expect(app.service.refundPayment(requestId)).rejects.toBeInstanceOf(
        PlacetoPayPaymentStateError,
      );
      const types = (await app.repository.history(full.id)).map((e) => e.type);
      expect(types.filter((t) => t === 'payment.refunded')).toHaveLength(2);
      expect(simulator.session(requestId)!.status).toMatchObject({ status: 'APPROVED' });
    });

    it('does not lose a created session to a passing database error', async () => {
      const real = app.lifecycle.recordCreated.bind(app.lifecycle);
      const flaky = jest
        .spyOn(app.lifecycle, 'recordCreated')
        .mockRejectedValueOnce(new Error('connection reset'))
        .mockRejectedValueOnce(new Error('connection reset'))
        .mockImplementation(real);
      try {
        await expect(app.service.createPayment(input())).resolves.toMatchObject({
          payment: { status: 'PENDING' },
        });
        flaky.mockReset().mockRejectedValue(new Error('database gone'));
        const error = await app.service.createPayment(input()).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(PlacetoPayPaymentStateError);
        expect((error as Error).message).toMatch(
          /session \d+ was created at PlacetoPay but could not be stored; store requestId \d+ by hand/,
        );
        expect(logs.text()).toMatch(
          /was created at PlacetoPay but could not be stored: database gone/,
        );
      } finally {
        flaky.mockRestore();
      }
    });

    it('sends one refund at a time, and none while one is in doubt', async () => {
      const { requestId } = await app.service.createPayment(
        input({ amount: { currency: 'COP', total: 100000 } }),
      );
      simulator.approve(requestId);
      await app.service.syncPayment(requestId);

      // Two at once, while the first is still at PlacetoPay: the compare-and-set lets one through.
      simulator.faults.inject('transaction', { type: 'latency', ms: 300 }, { times: 1 });
      const both = await Promise.allSettled([
        app.service.refundPayment(requestId, 10000),
        app.service.refundPayment(requestId, 10000),
      ]);
      expect(both.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(
        (both.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason,
      ).toBeInstanceOf(PlacetoPayPaymentStateError);

      // PlacetoPay refunds, but the answer is lost: the refund is in doubt and blocks another.
      simulator.faults.inject('transaction', { type: 'hang' }, { times: 1, when: 'after' });
      await expect(app.service.refundPayment(requestId, 20000)).rejects.toMatchObject({
        kind: 'timeout',
      });
      expect(await app.service.findByRequestId(requestId)).toMatchObject({
        refundInDoubtMinor: 2_000_000,
        refundedMinor: 1_000_000,
      });
      await expect(app.service.refundPayment(requestId, 20000)).rejects.toThrow(
        /refund under way or in doubt/,
      );

      // Checked at PlacetoPay: it happened.
      const resolved = await app.service.resolveRefund(requestId, { refunded: true });
      expect(resolved).toMatchObject({ refundInDoubtMinor: null, refundedMinor: 3_000_000 });
      await expect(app.service.resolveRefund(requestId, { refunded: true })).rejects.toThrow(
        /no refund in doubt/,
      );

      // A definite refusal clears the way at once.
      await app.service.refundPayment(requestId);
      await expect(app.service.refundPayment(requestId)).rejects.toBeInstanceOf(
        PlacetoPayPaymentStateError,
      );
      expect(await app.service.findByRequestId(requestId)).toMatchObject({
        refundedMinor: 10_000_000,
        refundInDoubtMinor: null,
      });
    });

    it('reports unknown requestIds as not found', async () => {
      await expect(app.service.syncPayment(424242)).rejects.toBeInstanceOf(
        PlacetoPayPaymentNotFoundError,
      );
      await expect(app.service.findByRequestId(-1)).resolves.toBeNull();
    });

    it('applies a status the gateway reports after a decline: still pending', async () => {
      const { requestId } = await app.service.createPayment(input());
      simulator.decline(requestId);
      await expect(app.service.syncPayment(requestId)).resolves.toMatchObject({
        status: PaymentStatus.PENDING,
      });
      simulator.reject(requestId);
      await expect(app.service.syncPayment(requestId, 'probe')).resolves.toMatchObject({
        status: PaymentStatus.REJECTED,
      });
    });
  },
);

// Two apps need one shared database: PostgreSQL and MariaDB (required in CI).
const sharedEngines = enginesUnderTest()
  .filter((engine) => engine.name !== 'sqlite')
  .map((engine) => [engine.name, engine] as const);
(sharedEngines.length
  ? describe.each(sharedEngines)
  : describe.skip.each([['none', null as never]]))('two replicas on %s', (_name, engine) => {
  it('never open two payments for one reference, and release it once rejected', async () => {
    const simulator = await new PlacetoPaySimulator({
      sites: [{ login: LOGIN, secretKey: SECRET_KEY }],
      tickMs: 0,
    }).start();
    const first = await startPaymentsApp(engine, { baseUrl: simulator.url });
    const second = await startPaymentsApp(engine, { baseUrl: simulator.url }, undefined, {
      database: first.database,
    });
    try {
      for (let round = 0; round < 5; round++) {
        const request = input({ reference: `RACE-${engine.name}-${round}` });
        const results = await Promise.allSettled([
          first.service.createPayment(request),
          second.service.createPayment({ ...request }),
        ]);
        expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
        expect(
          (results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason,
        ).toBeInstanceOf(PlacetoPayDuplicatePaymentError);
        const [open] = await first.service.listByReference(request.reference);
        expect(open.openReference).toBe(request.reference);
        await first.service.cancelPayment(open.requestId!);
        const released = await first.service.findByRequestId(open.requestId!);
        expect(released).toMatchObject({ status: 'REJECTED', openReference: null });
        await expect(second.service.createPayment({ ...request })).resolves.toMatchObject({
          payment: { status: 'PENDING' },
        });
      }
    } finally {
      await second.close();
      await first.close();
      await simulator.stop();
    }
  });
});
