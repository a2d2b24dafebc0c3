import { NotificationInbox } from '../../lib/notifications/notification-inbox';
import { PlacetoPayNotification } from '../../lib/persistence/placetopay-notification.entity';
import { Between, type EntitySubscriberInterface } from 'typeorm';
import { ManualClock, PlacetoPaySimulator } from 'nestjs-placetopay/testing';
import type { VerifiedNotification } from '../../lib/notifications/notification-signature.guard';
import { enginesUnderTest, type Engine } from '../support/databases';
import { LOGIN, SECRET_KEY } from '../support/fixtures';
import { captureLogs } from '../support/log-capture';
import { startPaymentsApp, type PaymentsApp } from '../support/payments-app';

const DATE = '2026-11-27T10:00:00.123-05:00';

// The inbox's INSERT is a statement of its own (not TypeORM's query builder): every engine must
// store the row exactly as TypeORM would, and tell a duplicate by the unique key.
describe.each(enginesUnderTest().map((engine) => [engine.name, engine] as const))(
  'the notification inbox on %s',
  (_name, engine: Engine) => {
    let app: PaymentsApp;
    let simulator: PlacetoPaySimulator;
    let inbox: NotificationInbox;
    const clock = new ManualClock();
    const logs = captureLogs();

    const verified = (requestId: number, status = 'APPROVED'): VerifiedNotification => ({
      requestIdText: String(requestId),
      requestId,
      status,
      date: DATE,
      reason: '00',
      message: 'ok',
      reference: 'REF-1',
      signature: 'not checked here',
      algorithm: 'sha256',
    });

    /** Another app on this engine whose SQL statements are recorded, in order. */
    const startCountingApp = async () => {
      const statements: string[] = [];
      const counting = await startPaymentsApp(
        engine,
        { baseUrl: simulator.url, eventPollMs: 0 },
        logs,
        { clock, statements },
      );
      return { app: counting, statements };
    };

    beforeAll(async () => {
      simulator = await new PlacetoPaySimulator({
        sites: [{ login: LOGIN, secretKey: SECRET_KEY }],
        tickMs: 0,
      }).start();
      app = await startPaymentsApp(engine, { baseUrl: simulator.url, eventPollMs: 0 }, logs, {
        clock,
      });
      inbox = app.moduleRef.get(NotificationInbox);
    });
    afterAll(async () => {
      await app.close();
      await simulator.stop();
      // Receiving, settling and reading back notifications log nothing secret.
      const text = logs.text();
      expect(text).not.toContain(SECRET_KEY);
      expect(text).not.toMatch(/tranKey|nonce/i);
    });

    it('stores every column of a notification as received', async () => {
      clock.set(Date.parse('2026-11-27T15:00:00.250Z'));
      const requestId = 9_007_199_254; // past 32 bits: the bigint column round-trips as a number
      await expect(inbox.receive(verified(requestId))).resolves.toEqual({
        received: true,
        duplicate: false,
      });
      await inbox.idle();
      const row = await app.dataSource
        .getRepository(PlacetoPayNotification)
        .findOneByOrFail({ requestId });
      expect(row).toMatchObject({
        requestId,
        status: 'APPROVED',
        statusDate: DATE,
        reference: 'REF-1',
        signatureAlgorithm: 'sha256',
        receivedAt: new Date('2026-11-27T15:00:00.250Z'),
      });
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
      // Settled in the background: an unknown requestId, recorded with a warning.
      expect(row.state).toBe('unknown_payment');
      expect(row.attempts).toBe(1);
      expect(logs.text()).toContain(`notification for unknown requestId ${requestId}`);
    });

    it('answers a duplicate as such, also when copies arrive at once, and keeps one row', async () => {
      const requestId = 4_242_001;
      const results = await Promise.all(
        Array.from({ length: 5 }, () => inbox.receive(verified(requestId))),
      );
      expect(results.filter((r) => !r.duplicate)).toHaveLength(1);
      await expect(inbox.receive(verified(requestId))).resolves.toEqual({
        received: true,
        duplicate: true,
      });
      // Another status of the same session is another notification.
      await expect(inbox.receive(verified(requestId, 'REJECTED'))).resolves.toMatchObject({
        duplicate: false,
      });
      await inbox.idle();
      const rows = await app.dataSource.getRepository(PlacetoPayNotification).findBy({ requestId });
      expect(rows.map((r) => r.status).sort()).toEqual(['APPROVED', 'REJECTED']);
    });

    it('writes notifications that arrive together in one INSERT; a duplicate among them is answered alone', async () => {
      const { app: counting, statements } = await startCountingApp();
      try {
        const receiving = counting.moduleRef.get(NotificationInbox);
        const inserts = () =>
          statements.filter((sql) => /^\s*INSERT INTO\W+placetopay_notifications/i.test(sql));
        // Two INSERTs go at once; the three that arrive meanwhile wait and go together.
        const first = [6_100_001, 6_100_002, 6_100_003, 6_100_004, 6_100_005];
        const answers = await Promise.all(first.map((id) => receiving.receive(verified(id))));
        expect(answers.every((a) => !a.duplicate)).toBe(true);
        expect(inserts()).toHaveLength(3);
        // A batch holding a copy of a stored notification is refused whole: each of its rows is
        // tried again alone, so only the copy is a duplicate and every other row is stored.
        statements.length = 0;
        // The copy comes last in its batch: a partly written batch would make the row before it
        // look like a duplicate.
        const second = [6_100_006, 6_100_007, 6_100_008, 6_100_001];
        const again = await Promise.all(second.map((id) => receiving.receive(verified(id))));
        expect(again.map((a) => a.duplicate)).toEqual([false, false, false, true]);
        expect(inserts()).toHaveLength(3 + 2);
        await receiving.idle();
        const stored = await counting.dataSource
          .getRepository(PlacetoPayNotification)
          .findBy({ requestId: Between(6_100_001, 6_100_008) });
        expect(stored.map((row) => row.requestId).sort()).toEqual(
          [...first, 6_100_006, 6_100_007, 6_100_008].sort(),
        );
      } finally {
        await counting.close();
      }
    });

    // Two apps on one database need a server engine: SQLite here is in memory, one app's own.
    if (engine.name !== 'sqlite') {
      it('leaves a fresh row to the process that received it for a minute, then to any replica', async () => {
        const options = { baseUrl: simulator.url, eventPollMs: 0 };
        const shared = { clock, database: app.database };
        const receiver = await startPaymentsApp(engine, options, logs, shared);
        const replica = await startPaymentsApp(engine, options, logs, shared);
        try {
          // The receiving process is stopping: it records the notification, never settles it.
          const receiving = receiver.moduleRef.get(NotificationInbox);
          await receiving.onApplicationShutdown();
          clock.set(Date.parse('2026-11-27T16:00:00Z'));
          const requestId = 5_150_001;
          await receiving.receive(verified(requestId));
          const row = () =>
            app.dataSource.getRepository(PlacetoPayNotification).findOneByOrFail({ requestId });
          // Another replica's poll (or probe pass) does not jump ahead of the receiver...
          const others = replica.moduleRef.get(NotificationInbox);
          clock.advance(59_999);
          expect(await others.retryDue()).toBe(0);
          expect(await row()).toMatchObject({ state: 'pending', attempts: 0 });
          // ...but once the minute is up, it settles what the receiver left.
          clock.advance(1);
          expect(await others.retryDue()).toBe(1);
          expect(await row()).toMatchObject({ state: 'unknown_payment', attempts: 1 });
        } finally {
          await receiver.close();
          await replica.close();
        }
      });
    }

    it("settles an approving notification in 7 statements, the row settled in the change's own transaction", async () => {
      const { app: counted, statements } = await startCountingApp();
      try {
        const { payment, requestId } = await counted.service.createPayment({
          reference: 'COUNT-1',
          description: 'statements of one settlement',
          amount: { currency: 'COP', total: 10_000 },
          returnUrl: 'https://shop.example.com/return',
          ipAddress: '127.0.0.1',
          userAgent: 'jest',
        });
        simulator.approve(requestId);
        const counting = counted.moduleRef.get(NotificationInbox);
        await counting.receive(verified(requestId));
        statements.length = 0;
        await counting.idle();
        const verbs = statements.map((sql) => sql.trim().split(/\s+/)[0].toUpperCase());
        // Claim the row, read the payment (and its last event sequence); then one transaction:
        // the payment's compare-and-set, the event, the row settled.
        expect(verbs).toEqual([
          'UPDATE',
          'SELECT',
          expect.stringMatching(/^(BEGIN|START)$/),
          'UPDATE',
          'INSERT',
          'UPDATE',
          'COMMIT',
        ]);
        expect(statements[5]).toContain('placetopay_notifications');
        expect(await counted.repository.findById(payment.id)).toMatchObject({
          status: 'APPROVED',
        });
        const row = await counted.dataSource
          .getRepository(PlacetoPayNotification)
          .findOneByOrFail({ requestId });
        expect(row).toMatchObject({ state: 'settled', attempts: 1 });
      } finally {
        await counted.close();
      }
    });

    it('keeps at most 1,000 notifications in memory under a stream faster than settling, and settles every one', async () => {
      const first = 6_100_000;
      const count = 1_200;
      let most = 0;
      // Back to back: settling waits for a pause in them, so the queue only grows meanwhile.
      for (let i = 0; i < count; i++) {
        await inbox.receive(verified(first + i));
        most = Math.max(most, inbox.queuedCount);
      }
      expect(most).toBeLessThanOrEqual(1_000);
      // The rest waited in the inbox only; the queue takes them back once it drains.
      await inbox.idle();
      expect(inbox.queuedCount).toBe(0);
      const rows = await app.dataSource
        .getRepository(PlacetoPayNotification)
        .findBy({ requestId: Between(first, first + count - 1) });
      expect(rows).toHaveLength(count);
      expect(rows.filter((r) => r.state !== 'unknown_payment' || r.attempts !== 1)).toEqual([]);
    }, 120_000);

    it('pauses the refill when the database refuses the claims, instead of taking the same rows back at once', async () => {
      // Reads work, every write to a notification row is refused (a database gone read-only).
      const refuse = { on: true };
      let loaded = 0;
      const fault: EntitySubscriberInterface<PlacetoPayNotification> = {
        listenTo: () => PlacetoPayNotification,
        beforeUpdate: () => {
          if (refuse.on) throw new Error('update refused (test fault)');
        },
        afterLoad: () => {
          loaded += 1;
          // A read while refused is the failure looked for: lift the fault so it ends (on SQLite's
          // synchronous driver a hot loop would starve every timer, jest's timeout included).
          refuse.on = false;
        },
      };
      app.dataSource.subscribers.push(fault);
      // The pause is real time: held open for the whole test, so a slow run cannot outlast it and
      // make a refill that is on time look like one that spins.
      const queue = (inbox as unknown as { queue: { refillPauseMs: number } }).queue;
      queue.refillPauseMs = 10 * 60_000;
      const first = 6_200_000;
      const count = 1_100;
      try {
        for (let i = 0; i < count; i++) await inbox.receive(verified(first + i));
        // The queue drains (every claim refused) and the refill waits: without the pause this
        // would read the same rows back and fail their claims forever, and never be idle.
        await inbox.idle();
        expect(loaded).toBe(0);
        expect(inbox.queuedCount).toBe(0);
        refuse.on = false;
        // Nothing was lost meanwhile: every row is pending, unclaimed, and the poll takes each
        // once its first minute is over.
        clock.advance(60_000);
        while ((await inbox.retryDue()) > 0);
        await inbox.idle();
      } finally {
        refuse.on = false;
        app.dataSource.subscribers.splice(app.dataSource.subscribers.indexOf(fault), 1);
      }
      const rows = await app.dataSource
        .getRepository(PlacetoPayNotification)
        .findBy({ requestId: Between(first, first + count - 1) });
      expect(rows).toHaveLength(count);
      expect(rows.filter((r) => r.state !== 'unknown_payment')).toEqual([]);
    }, 120_000);
  },
);
