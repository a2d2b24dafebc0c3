import { type CreatePaymentInput, type PlacetoPayModuleOptions } from 'nestjs-placetopay';
import { PlacetoPayNotification } from '../../lib/persistence/placetopay-notification.entity';
import { ManualClock, PlacetoPaySimulator } from 'nestjs-placetopay/testing';
import { randomUUID } from 'node:crypto';
import { enginesUnderTest, type Engine } from '../support/databases';
import { LOGIN, SECRET_KEY } from '../support/fixtures';
import { captureLogs } from '../support/log-capture';
import { startPaymentsApp, type PaymentsApp } from '../support/payments-app';

const MINUTE = 60_000;
let counter = 0;

function input(overrides: Partial<CreatePaymentInput> = {}): CreatePaymentInput {
  return {
    reference: `PROBE-${++counter}`,
    description: 'Probe test',
    amount: { currency: 'COP', total: 125000 },
    returnUrl: 'https://shop.example.com/return',
    ipAddress: '127.0.0.1',
    userAgent: 'jest',
    ...overrides,
  };
}

describe.each(enginesUnderTest().map((engine) => [engine.name, engine] as const))(
  'the probe on %s',
  (_name, engine: Engine) => {
    let app: PaymentsApp;
    let simulator: PlacetoPaySimulator;
    // PlacetoPay's clock and the database's clock, both driven by the test.
    let gatewayClock: ManualClock;
    let databaseClock: ManualClock;
    const logs = captureLogs();

    async function boot(options: PlacetoPayModuleOptions = {}) {
      await app?.close();
      app = await startPaymentsApp(
        engine,
        { baseUrl: simulator.url, timeoutMs: 300, queryAttempts: 2, eventPollMs: 0, ...options },
        logs,
        { databaseClock: { now: async () => databaseClock.now() } },
      );
    }

    beforeAll(async () => {
      gatewayClock = new ManualClock();
      simulator = await new PlacetoPaySimulator({
        sites: [{ login: LOGIN, secretKey: SECRET_KEY }],
        tickMs: 0,
        clock: gatewayClock,
      }).start();
      await boot();
    });
    beforeEach(async () => {
      databaseClock = new ManualClock();
      gatewayClock.set(Date.now());
      simulator.faults.clear();
      // Each test starts from an empty table: nothing due but what it creates.
      await app.dataSource.query(`DELETE FROM placetopay_event_deliveries`);
      await app.dataSource.query(`DELETE FROM placetopay_payment_events`);
      await app.dataSource.query(`DELETE FROM placetopay_notifications`);
      await app.dataSource.query(`DELETE FROM placetopay_payments`);
    });
    afterAll(async () => {
      await app?.close();
      await simulator.stop();
      expect(logs.text()).not.toContain(SECRET_KEY);
    });

    const queriesOf = (requestId: number) =>
      simulator.requestLog.filter((e) => e.operation === 'getSession' && e.requestId === requestId)
        .length;
    const reload = async (id: string) => (await app.repository.findById(id))!;

    it('checks a payment only once its first check is due, then every interval', async () => {
      const { payment, requestId } = await app.service.createPayment(input());
      expect(payment.nextCheckAt!.getTime() - payment.createdAt.getTime()).toBeGreaterThanOrEqual(
        7 * MINUTE,
      );

      databaseClock.set(payment.createdAt.getTime() + 6 * MINUTE);
      const early = await app.service.runProbe();
      expect(early).toMatchObject({ claimed: 0, checked: 0 });
      expect(queriesOf(requestId)).toBe(0);

      databaseClock.set(payment.nextCheckAt!.getTime());
      const due = await app.service.runProbe();
      expect(due).toMatchObject({ claimed: 1, checked: 1, unchanged: 1, errors: 0 });
      expect(queriesOf(requestId)).toBe(1);
      const after = await reload(payment.id);
      expect(after).toMatchObject({
        status: 'PENDING',
        checkAttempts: 1,
        leaseOwner: null,
        leaseUntil: null,
      });
      const delay = after.nextCheckAt!.getTime() - payment.nextCheckAt!.getTime();
      expect(delay).toBeGreaterThanOrEqual(12 * MINUTE);
      expect(delay).toBeLessThan(12 * MINUTE + 5_000);

      // Not due again until then.
      databaseClock.advance(11 * MINUTE);
      expect(await app.service.runProbe()).toMatchObject({ claimed: 0 });
      databaseClock.set(after.nextCheckAt!.getTime());
      expect(await app.service.runProbe()).toMatchObject({ claimed: 1, checked: 1 });
      expect(queriesOf(requestId)).toBe(2);
    });

    it('settles a session past its expiration to REJECTED, with its events', async () => {
      const expiration = new Date(Date.now() + 10 * MINUTE).toISOString();
      const { payment, requestId } = await app.service.createPayment(input({ expiration }));
      // The check after the first one is pulled in to just after the expiration.
      databaseClock.set(payment.nextCheckAt!.getTime());
      await app.service.runProbe();
      const pending = await reload(payment.id);
      expect(pending.nextCheckAt!.getTime()).toBe(Date.parse(expiration) + 60_000);

      gatewayClock.set(Date.parse(expiration) + 30_000);
      databaseClock.set(pending.nextCheckAt!.getTime());
      const summary = await app.service.runProbe();
      expect(summary).toMatchObject({ claimed: 1, checked: 1, settled: { REJECTED: 1 } });
      const settled = await reload(payment.id);
      expect(settled).toMatchObject({ status: 'REJECTED', nextCheckAt: null, leaseOwner: null });
      const history = await app.repository.history(payment.id);
      expect(history.map((e) => [e.type, e.source])).toEqual([
        ['payment.created', 'create'],
        ['payment.rejected', 'probe'],
      ]);
      // Final: never claimed again.
      databaseClock.advance(365 * 24 * 60 * MINUTE);
      expect(await app.service.runProbe()).toMatchObject({ claimed: 0 });
      expect(queriesOf(requestId)).toBe(2);
    });

    it('settles an approval the notification and the return URL both missed', async () => {
      const { payment, requestId } = await app.service.createPayment(input());
      simulator.approve(requestId);
      databaseClock.set(payment.nextCheckAt!.getTime());
      expect(await app.service.runProbe()).toMatchObject({ settled: { APPROVED: 1 } });
      expect(await reload(payment.id)).toMatchObject({ status: 'APPROVED', nextCheckAt: null });
    });

    it.each([
      ['a 500', { type: 'status', status: 500 } as const],
      ['a hang', { type: 'hang' } as const],
      ['a malformed body', { type: 'malformed' } as const],
    ])(
      '%s from the gateway leaves the payment untouched and retries it later',
      async (_, fault) => {
        const { payment, requestId } = await app.service.createPayment(input());
        simulator.approve(requestId);
        simulator.faults.inject('getSession', fault);
        const checkAt = payment.nextCheckAt!.getTime();
        databaseClock.set(checkAt);

        const failed = await app.service.runProbe();
        expect(failed).toMatchObject({ claimed: 1, checked: 0, errors: 1 });
        const after = await reload(payment.id);
        expect(after).toMatchObject({
          status: 'PENDING',
          version: payment.version,
          leaseOwner: null,
          checkAttempts: 1,
        });
        // Retried after a backoff of 30 to 60 s (equal jitter from one minute), not at once.
        const retryIn = after.nextCheckAt!.getTime() - checkAt;
        expect(retryIn).toBeGreaterThanOrEqual(30_000);
        expect(retryIn).toBeLessThan(62_000);
        expect(await app.service.runProbe()).toMatchObject({ claimed: 0 });

        simulator.faults.clear();
        databaseClock.set(after.nextCheckAt!.getTime());
        expect(await app.service.runProbe()).toMatchObject({ settled: { APPROVED: 1 }, errors: 0 });
      },
    );

    it('stops a pass when the gateway keeps failing, and frees what it did not check', async () => {
      await boot({ probeConcurrency: 1 });
      try {
        await breakerScenario();
      } finally {
        await boot();
      }
    });

    async function breakerScenario() {
      const created = [];
      for (let i = 0; i < 8; i++) created.push(await app.service.createPayment(input()));
      simulator.faults.inject('getSession', { type: 'status', status: 503 });
      databaseClock.set(Math.max(...created.map((c) => c.payment.nextCheckAt!.getTime())));

      const calls = simulator.calls.getSession;
      const summary = await app.service.runProbe();
      expect(summary).toMatchObject({ claimed: 8, errors: 5, checked: 0, circuitOpen: true });
      // Two attempts per check (queryAttempts 2), five checks: then it stopped asking.
      expect(simulator.calls.getSession - calls).toBe(10);
      const rows = await app.payments.find();
      expect(rows.every((row) => row.leaseOwner === null && row.status === 'PENDING')).toBe(true);
      const untouched = rows.filter((row) => row.checkAttempts === 0);
      expect(untouched).toHaveLength(3);
      // Their schedule is kept: due at the next pass once the breaker lets one run.
      for (const row of untouched) {
        expect(row.nextCheckAt!.getTime()).toBeLessThanOrEqual(databaseClock.now().getTime());
      }
      // While the circuit is open, passes do not call the gateway at all.
      expect(await app.service.runProbe()).toMatchObject({ claimed: 0, circuitOpen: true });
      expect(simulator.calls.getSession - calls).toBe(10);
      expect(logs.text()).toMatch(/the gateway keeps failing .*probe paused/);
    }

    it('gives up after probeGiveUpMs, after a last look: keeps the status, flags it, fires payment.unresolved', async () => {
      const { payment, requestId } = await app.service.createPayment(input());
      databaseClock.set(payment.createdAt.getTime() + 7 * 24 * 60 * MINUTE);
      await app.payments.update(
        { id: payment.id },
        { nextCheckAt: new Date(databaseClock.now().getTime() - 1) },
      );
      const summary = await app.service.runProbe();
      expect(summary).toMatchObject({ claimed: 1, checked: 1, unchanged: 1, unresolved: 1 });
      expect(queriesOf(requestId)).toBe(1);
      const after = await reload(payment.id);
      expect(after).toMatchObject({
        status: 'PENDING',
        needsReview: true,
        nextCheckAt: null,
        leaseOwner: null,
      });
      expect(after.reviewReason).toMatch(/still open after 7 days/);
      const history = await app.repository.history(payment.id);
      expect(history.at(-1)).toMatchObject({ type: 'payment.unresolved', source: 'probe' });
      // Never checked again.
      databaseClock.advance(30 * 24 * 60 * MINUTE);
      expect(await app.service.runProbe()).toMatchObject({ claimed: 0 });
    });

    it('settles a late approval found by the last look instead of giving up', async () => {
      const { payment, requestId } = await app.service.createPayment(input());
      simulator.approve(requestId);
      databaseClock.set(payment.createdAt.getTime() + 8 * 24 * 60 * MINUTE);
      await app.payments.update(
        { id: payment.id },
        { nextCheckAt: new Date(databaseClock.now().getTime() - 1) },
      );
      expect(await app.service.runProbe()).toMatchObject({
        settled: { APPROVED: 1 },
        unresolved: 0,
      });
      expect(await reload(payment.id)).toMatchObject({ status: 'APPROVED', needsReview: false });
    });

    it('checks every due payment once when they span several batches', async () => {
      await boot({ probeBatchSize: 3, probeConcurrency: 2 });
      try {
        const created = [];
        for (let i = 0; i < 10; i++) created.push(await app.service.createPayment(input()));
        databaseClock.set(Math.max(...created.map((c) => c.payment.nextCheckAt!.getTime())));
        expect(await app.service.runProbe()).toMatchObject({ claimed: 10, checked: 10 });
        for (const { requestId } of created) expect(queriesOf(requestId)).toBe(1);
        const rows = await app.payments.find();
        expect(rows.every((row) => row.leaseOwner === null && row.checkAttempts === 1)).toBe(true);
      } finally {
        await boot();
      }
    });

    it('turns a creation that never finished into UNKNOWN for review', async () => {
      const opened = await app.lifecycle.open(
        { reference: 'CRASHED-1', description: 'd', currency: 'COP', amountMinor: 100 },
        true,
        new Date(databaseClock.now().getTime() - 1),
      );
      const summary = await app.service.runProbe();
      expect(summary).toMatchObject({ claimed: 1, abandonedCreations: 1 });
      expect(await reload(opened.id)).toMatchObject({
        status: 'UNKNOWN',
        needsReview: true,
        nextCheckAt: null,
        // Still blocks its reference: the session may exist at PlacetoPay.
        openReference: 'CRASHED-1',
      });
      // It was only slow after all: the session's arrival clears the review.
      await app.lifecycle.recordCreated(
        opened.id,
        { requestId: 777_001, processUrl: 'https://example.com/p' },
        null,
      );
      expect(await reload(opened.id)).toMatchObject({
        status: 'PENDING',
        needsReview: false,
        reviewReason: null,
      });
    });

    it('leaves payments leased by another replica alone until the lease runs out', async () => {
      const { payment, requestId } = await app.service.createPayment(input());
      databaseClock.set(payment.nextCheckAt!.getTime() + 1_000);
      const leaseUntil = new Date(databaseClock.now().getTime() + 5 * MINUTE);
      await app.payments.update(
        { id: payment.id },
        { leaseOwner: 'another-replica:1', leaseUntil },
      );
      expect(await app.service.runProbe()).toMatchObject({ claimed: 0 });
      expect(queriesOf(requestId)).toBe(0);

      // That replica died: its lease runs out on the database's clock, and the work is taken over.
      databaseClock.set(leaseUntil.getTime() + 1);
      expect(await app.service.runProbe()).toMatchObject({ claimed: 1, checked: 1 });
      expect(queriesOf(requestId)).toBe(1);
    });

    it('runs one pass at a time per process: a second call joins the first', async () => {
      const created = [];
      for (let i = 0; i < 5; i++) created.push(await app.service.createPayment(input()));
      databaseClock.set(Math.max(...created.map((c) => c.payment.nextCheckAt!.getTime())));
      const first = app.service.runProbe();
      const second = app.service.runProbe();
      expect(second).toBe(first);
      expect(await first).toMatchObject({ claimed: 5, checked: 5 });
      for (const { requestId } of created) expect(queriesOf(requestId)).toBe(1);
    });

    it('retries the webhook inbox rows still pending', async () => {
      const { payment, requestId } = await app.service.createPayment(input());
      simulator.approve(requestId);
      const notifications = app.dataSource.getRepository(PlacetoPayNotification);
      await notifications.insert({
        id: randomUUID(),
        requestId,
        status: 'APPROVED',
        statusDate: new Date().toISOString(),
        reference: payment.reference,
        signatureAlgorithm: 'sha256',
        state: 'pending',
        attempts: 1,
        nextAttemptAt: new Date(Date.now() - 1_000),
        lastError: 'the gateway was down',
        receivedAt: new Date(),
        settledAt: null,
      });
      const summary = await app.service.runProbe();
      expect(summary).toMatchObject({ claimed: 0, notificationsSettled: 1 });
      expect(await reload(payment.id)).toMatchObject({ status: 'APPROVED' });
      expect(await notifications.findOneByOrFail({ requestId })).toMatchObject({
        state: 'settled',
      });
    });
  },
);
