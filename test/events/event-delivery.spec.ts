import { Injectable, Scope, type Provider } from '@nestjs/common';
import {
  OnPlacetoPayEvent,
  PlacetoPayEventDelivery,
  PaymentStatus,
  type PlacetoPayClock,
  type PlacetoPayModuleOptions,
  type PlacetoPayEvent,
} from 'nestjs-placetopay';
import { enginesUnderTest } from '../support/databases';
import { captureLogs } from '../support/log-capture';
import {
  observedSession,
  seedPayment,
  startPaymentsApp,
  type PaymentsApp,
} from '../support/payments-app';

class TestClock implements PlacetoPayClock {
  time = Date.parse('2026-01-01T00:00:00Z');
  now(): Date {
    return new Date(this.time);
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

interface Call {
  listener: string;
  id: string;
  type: string;
  paymentId: string;
  status: string | null;
}

/** Every listener writes here; `failures` makes one fail a number of times. */
const calls: Call[] = [];
const failures = new Map<string, number>();
function record(listener: string, event: PlacetoPayEvent): void {
  const left = failures.get(listener) ?? 0;
  if (left > 0) {
    failures.set(listener, left - 1);
    throw new Error(`${listener} is down`);
  }
  calls.push({
    listener,
    id: event.id,
    type: event.type,
    paymentId: event.payment.id,
    status: event.status,
  });
}

@Injectable()
class FulfilmentListener {
  @OnPlacetoPayEvent('payment.approved')
  fulfil(event: PlacetoPayEvent): void {
    record('fulfil', event);
  }

  @OnPlacetoPayEvent(['payment.approved', 'payment.rejected'])
  email(event: PlacetoPayEvent): void {
    record('email', event);
  }
}

@Injectable()
class AuditListener {
  @OnPlacetoPayEvent('payment.status_changed')
  async audit(event: PlacetoPayEvent): Promise<void> {
    record('audit', event);
  }
}

const engines = enginesUnderTest();
const sqlite = engines.find((e) => e.name === 'sqlite')!;

describe('event delivery', () => {
  let app: PaymentsApp;
  let clock: TestClock;
  const logs = captureLogs();

  beforeEach(async () => {
    calls.length = 0;
    failures.clear();
    clock = new TestClock();
    app = await startPaymentsApp(
      sqlite,
      {
        eventPollMs: 0,
        eventMaxAttempts: 3,
        eventRetryBaseDelayMs: 1000,
        eventRetryMaxDelayMs: 60_000,
      },
      logs,
      { providers: [FulfilmentListener, AuditListener], clock },
    );
    app.dispatcher.random = () => 1;
  });
  afterEach(() => app.close());

  async function approve(): Promise<string> {
    const payment = await seedPayment(app, PaymentStatus.PENDING);
    await app.lifecycle.apply({
      source: 'notification',
      session: observedSession(payment.requestId!, 'APPROVED'),
    });
    return payment.id;
  }

  const deliveries = () =>
    app.payments.manager.find(PlacetoPayEventDelivery, { order: { createdAt: 'ASC' } });

  it('delivers each event to every listener that hears it, with a stable id', async () => {
    const paymentId = await approve();
    await app.dispatcher.drain();
    expect(calls.map((c) => c.listener).sort()).toEqual(['audit', 'email', 'fulfil']);
    expect(new Set(calls.map((c) => c.id)).size).toBe(1);
    expect(calls[0]).toMatchObject({ type: 'payment.approved', paymentId, status: 'APPROVED' });
    expect((await deliveries()).map((d) => [d.listenerId, d.status])).toEqual(
      expect.arrayContaining([
        ['FulfilmentListener.fulfil', 'delivered'],
        ['FulfilmentListener.email', 'delivered'],
        ['AuditListener.audit', 'delivered'],
      ]),
    );
    // Nothing is delivered twice.
    await app.dispatcher.drain();
    expect(calls).toHaveLength(3);
  });

  it('delivers promptly after the commit without being asked', async () => {
    await approve();
    // The lifecycle started a pass after its commit: wait for it to end, without starting one.
    await app.dispatcher.idle();
    expect(calls).toHaveLength(3);
  });

  it('keeps listeners apart: one failing never re-runs another that succeeded', async () => {
    failures.set('fulfil', 1);
    await approve();
    await app.dispatcher.drain();
    expect(calls.map((c) => c.listener).sort()).toEqual(['audit', 'email']);
    clock.advance(1000);
    await app.dispatcher.drain();
    expect(calls.map((c) => c.listener).sort()).toEqual(['audit', 'email', 'fulfil']);
  });

  it('retries on the exponential schedule of the clock', async () => {
    failures.set('fulfil', 2);
    await approve();
    await app.dispatcher.drain();
    let fulfil = (await deliveries()).find((d) => d.listenerId === 'FulfilmentListener.fulfil')!;
    expect(fulfil).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastError: 'Error: fulfil is down',
    });
    expect(fulfil.nextAttemptAt.getTime()).toBe(clock.time + 1000);

    clock.advance(999);
    await app.dispatcher.drain();
    expect(calls.filter((c) => c.listener === 'fulfil')).toHaveLength(0);
    clock.advance(1);
    await app.dispatcher.drain();
    fulfil = (await deliveries()).find((d) => d.listenerId === 'FulfilmentListener.fulfil')!;
    expect(fulfil).toMatchObject({ status: 'pending', attempts: 2 });
    expect(fulfil.nextAttemptAt.getTime()).toBe(clock.time + 2000);

    clock.advance(2000);
    await app.dispatcher.drain();
    expect(calls.filter((c) => c.listener === 'fulfil')).toHaveLength(1);
    expect(
      (await deliveries()).find((d) => d.listenerId === 'FulfilmentListener.fulfil'),
    ).toMatchObject({ status: 'delivered', attempts: 3 });
  });

  it('applies jitter of at most half the delay', async () => {
    app.dispatcher.random = () => 0;
    failures.set('fulfil', 1);
    await approve();
    await app.dispatcher.drain();
    const fulfil = (await deliveries()).find((d) => d.listenerId === 'FulfilmentListener.fulfil')!;
    expect(fulfil.nextAttemptAt.getTime()).toBe(clock.time + 500);
  });

  it('dead-letters after the last attempt, logs a warning, and retries on demand', async () => {
    failures.set('fulfil', 3);
    await approve();
    for (const wait of [0, 1000, 2000]) {
      clock.advance(wait);
      await app.dispatcher.drain();
    }
    const [dead] = await app.service.listDeadLetters();
    expect(dead).toMatchObject({
      listenerId: 'FulfilmentListener.fulfil',
      status: 'dead',
      attempts: 3,
      lastError: 'Error: fulfil is down',
    });
    expect(logs.text()).toMatch(/dead-lettered after 3 attempts/);
    clock.advance(3_600_000);
    await app.dispatcher.drain();
    expect(calls.filter((c) => c.listener === 'fulfil')).toHaveLength(0);

    await app.service.retryDelivery(dead.id);
    await app.dispatcher.drain();
    expect(calls.filter((c) => c.listener === 'fulfil')).toHaveLength(1);
    expect(await app.service.listDeadLetters()).toEqual([]);
    await expect(app.service.retryDelivery(dead.id)).rejects.toThrow(
      /^PlacetoPay retryDelivery: no dead-lettered event delivery/,
    );
  });

  it('delivers the events of one payment to a listener in order, even across a failure', async () => {
    failures.set('audit', 1);
    const payment = await seedPayment(app, PaymentStatus.PENDING);
    await app.lifecycle.apply({
      source: 'probe',
      session: observedSession(payment.requestId!, 'APPROVED_PARTIAL'),
    });
    await app.lifecycle.apply({
      source: 'probe',
      session: observedSession(payment.requestId!, 'APPROVED'),
    });
    await app.dispatcher.drain();
    // The first audit delivery failed: the second waits behind it.
    expect(calls.filter((c) => c.listener === 'audit')).toEqual([]);
    clock.advance(1000);
    await app.dispatcher.drain();
    expect(calls.filter((c) => c.listener === 'audit').map((c) => c.status)).toEqual([
      'APPROVED_PARTIAL',
      'APPROVED',
    ]);
  });

  it('never lets a listener failure undo or fail the status change', async () => {
    failures.set('fulfil', 99);
    failures.set('audit', 99);
    const paymentId = await approve();
    await app.dispatcher.drain();
    expect((await app.repository.findById(paymentId))!.status).toBe('APPROVED');
  });
});

describe('slow and absent listeners', () => {
  /** An app with these listeners, its prompt passes off, and one payment just approved. */
  async function approvedWith(
    providers: Provider[],
    options: PlacetoPayModuleOptions = {},
  ): Promise<PaymentsApp> {
    const app = await startPaymentsApp(sqlite, { eventPollMs: 0, ...options }, undefined, {
      providers,
      clock: new TestClock(),
    });
    app.dispatcher.kick = () => undefined;
    const payment = await seedPayment(app, PaymentStatus.PENDING);
    await app.lifecycle.apply({
      source: 'probe',
      session: observedSession(payment.requestId!, 'APPROVED'),
    });
    return app;
  }

  it('fails a listener that outlives 80% of the lease, so no replica runs the pair twice', async () => {
    @Injectable()
    class HangingListener {
      @OnPlacetoPayEvent('payment.approved')
      hang(): Promise<void> {
        return new Promise(() => undefined);
      }
    }
    const app = await approvedWith([HangingListener], { eventPollMs: 0, eventLeaseMs: 1000 });
    try {
      await app.dispatcher.drain();
      const [delivery] = await app.payments.manager.find(PlacetoPayEventDelivery);
      expect(delivery).toMatchObject({ status: 'pending', attempts: 1, leaseOwner: null });
      expect(delivery.lastError).toMatch(
        /^ListenerTimeoutError: HangingListener\.hang did not finish within 800 ms/,
      );
    } finally {
      await app.close();
    }
  });

  it('leaves alone the deliveries of a listener this process does not have', async () => {
    const app = await approvedWith([AuditListener], { eventPollMs: 0 });
    try {
      // As seen by a process without the listener (mid-deploy): nothing to do, no attempt burnt.
      await app.payments.manager.update(
        PlacetoPayEventDelivery,
        { status: 'pending' },
        { listenerId: 'GoneListener.handle' },
      );
      await app.dispatcher.drain();
      const rows = await app.payments.manager.find(PlacetoPayEventDelivery);
      expect(rows.length).toBeGreaterThan(0);
      expect(rows.every((row) => row.status === 'pending' && row.attempts === 0)).toBe(true);
    } finally {
      await app.close();
    }
  });

  it('dead-letters a listener that throws a value with no usable text', async () => {
    @Injectable()
    class OddListener {
      @OnPlacetoPayEvent('payment.approved')
      odd(): void {
        throw Object.create(null);
      }
    }
    const app = await approvedWith([OddListener], { eventPollMs: 0, eventMaxAttempts: 1 });
    try {
      await app.dispatcher.drain();
      const [dead] = await app.service.listDeadLetters();
      expect(dead).toMatchObject({ status: 'dead', listenerId: 'OddListener.odd' });
    } finally {
      await app.close();
    }
  });
});

describe('listener discovery', () => {
  it('refuses a listener on a request-scoped provider, saying why', async () => {
    @Injectable({ scope: Scope.REQUEST })
    class ScopedListener {
      @OnPlacetoPayEvent('payment.approved')
      handle(): void {}
    }
    await expect(
      startPaymentsApp(sqlite, { eventPollMs: 0 }, undefined, { providers: [ScopedListener] }),
    ).rejects.toThrow(/ScopedListener\.handle: listeners must live on singleton providers/);
  });
});

const postgres = engines.find((e) => e.name === 'postgres');
(postgres ? describe : describe.skip)('two app instances on PostgreSQL', () => {
  it('deliver each (event, listener) pair exactly once', async () => {
    calls.length = 0;
    failures.clear();
    const first = await startPaymentsApp(postgres!, { eventPollMs: 0 }, undefined, {
      providers: [FulfilmentListener, AuditListener],
    });
    const second = await startPaymentsApp(postgres!, { eventPollMs: 0 }, undefined, {
      providers: [FulfilmentListener, AuditListener],
      database: first.database,
    });
    try {
      // Stop the prompt after-commit passes from racing ahead of the test.
      first.dispatcher.kick = () => undefined;
      for (let i = 0; i < 40; i++) {
        const payment = await seedPayment(first, PaymentStatus.PENDING);
        await first.lifecycle.apply({
          source: 'probe',
          session: observedSession(payment.requestId!, i % 2 ? 'APPROVED' : 'REJECTED'),
        });
      }
      await Promise.all([
        first.dispatcher.drain(),
        second.dispatcher.drain(),
        first.dispatcher.drain(),
        second.dispatcher.drain(),
      ]);
      const pairs = calls.map((c) => `${c.id}/${c.listener}`);
      // 20 approved x 3 listeners + 20 rejected x 2 listeners.
      expect(pairs).toHaveLength(100);
      expect(new Set(pairs).size).toBe(100);
    } finally {
      await second.close();
      await first.close();
    }
  });
});
