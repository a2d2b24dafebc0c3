import { getRepositoryToken } from '@nestjs/typeorm';
import {
  PaymentStatus,
  PlacetoPayPayment,
  PlacetoPayPaymentEvent,
  type PlacetoPayService,
} from 'nestjs-placetopay';
import { ManualClock, PlacetoPaySimulator } from 'nestjs-placetopay/testing';
import type { EntitySubscriberInterface } from 'typeorm';
import { PLACETOPAY_OPTIONS } from '../../lib/config/tokens';
import { computeRecurringNotificationSignature } from '../../lib/gateway/notification-signature';
import { PLACETOPAY_SITE_CLIENT } from '../../lib/gateway/site-client';
import { RecurringNotificationInbox } from '../../lib/notifications/recurring-notification-inbox';
import { PlacetoPayRecurringNotification } from '../../lib/persistence/placetopay-recurring-notification.entity';
import { TransactionRunner } from '../../lib/persistence/transaction-runner';
import { enginesUnderTest } from '../support/databases';
import { LOGIN, SECRET_KEY } from '../support/fixtures';
import { captureLogs } from '../support/log-capture';
import { seedPayment, startPaymentsApp, type PaymentsApp } from '../support/payments-app';
import {
  DATE,
  RecurringChargeListener,
  approvedRecurringPayment,
  chargeRowsOf,
  charges,
  checkedCharge,
  expectNoSecretIn,
  outcomes,
  post,
  recurringNotification,
  rowsOf,
  settledFacts,
  type RecurringNotificationBody,
} from '../support/recurring';

// What a recurring charge becomes, on every engine the run tests: a payment of its own (kind
// `recurring`), linked to the original payment whose session lists it, written through the
// lifecycle with its events and the notification's settlement in one transaction.

describe.each(enginesUnderTest().map((engine) => [engine.name, engine] as const))(
  'recording recurring notifications on %s',
  (_name, engine) => {
    let app: PaymentsApp;
    let simulator: PlacetoPaySimulator;
    const logs = captureLogs();
    const clock = new ManualClock(Date.parse('2026-12-27T15:00:00Z'));
    /** Refuses every insert of a payment event while on: a write the database did not take. */
    const refuseEvents = { on: false };
    const eventRefuser: EntitySubscriberInterface<PlacetoPayPaymentEvent> = {
      listenTo: () => PlacetoPayPaymentEvent,
      beforeInsert: () => {
        if (refuseEvents.on) throw new Error('event insert refused (test fault)');
      },
    };

    beforeAll(async () => {
      simulator = await new PlacetoPaySimulator({
        sites: [{ login: LOGIN, secretKey: SECRET_KEY }],
        tickMs: 0,
      }).start();
      app = await startPaymentsApp(
        engine,
        { baseUrl: simulator.url, eventPollMs: 0, allowDuplicateReferences: true },
        logs,
        {
          listen: true,
          providers: [RecurringChargeListener],
          clock,
        },
      );
      app.dataSource.subscribers.push(eventRefuser);
    });
    afterEach(() => {
      refuseEvents.on = false;
    });
    afterAll(async () => {
      await app?.close();
      await simulator.stop();
      expectNoSecretIn(logs.text(), simulator);
    });

    const inbox = () => app.moduleRef.get(RecurringNotificationInbox);
    /** Another replica's inbox: its own instance on the same database. */
    const otherReplicaInbox = (options = app.moduleRef.get(PLACETOPAY_OPTIONS)) =>
      new RecurringNotificationInbox(
        app.moduleRef.get(getRepositoryToken(PlacetoPayRecurringNotification)),
        app.payments,
        app.lifecycle,
        app.moduleRef.get(TransactionRunner),
        clock,
        options,
        app.moduleRef.get(PLACETOPAY_SITE_CLIENT),
      );
    const rowOf = (internalReference: number) =>
      app.dataSource
        .getRepository(PlacetoPayRecurringNotification)
        .findOneByOrFail({ internalReference });
    const eventsOf = async (paymentId: string) =>
      (
        await app.dataSource
          .getRepository(PlacetoPayPaymentEvent)
          .find({ where: { paymentId }, order: { sequence: 'ASC' } })
      ).map((event) => event.type);
    const service = (): PlacetoPayService => app.service;
    /** The approvals and rejections listeners received for recurring charges. */
    const recurringOutcomes = () => outcomes.filter((e) => e.payment.kind === 'recurring');
    /** Waits for this process's settling, then delivers the events. */
    const settle = async () => {
      await inbox().idle();
      await service().deliverPendingEvents();
    };
    const recurringPayment = (n: number | string) =>
      approvedRecurringPayment(simulator, service(), `RC-${engine.name}-${n}`, app.url!);

    it('makes a charge from the simulator a payment with its events; payment.approved reaches a listener', async () => {
      charges.length = 0;
      outcomes.length = 0;
      const payment = await recurringPayment(1);
      const internalReference = simulator.chargeRecurring(payment.requestId!, { tries: 2 });
      await simulator.notifications.settled();
      const sent = simulator.notifications.sent.at(-1)!;
      expect(sent.responseStatus).toBe(200);
      await settle();
      expect(await post(app.url!, sent.body)).toMatchObject({ json: { duplicate: true } });

      const big = 9_007_199_254; // past 32 bits: the bigint column round-trips as a number
      const unverified = recurringNotification(
        big,
        payment.reference,
        { recurring: undefined },
        'x',
      );
      expect(await post(app.url!, unverified)).toMatchObject({ status: 200 });
      await settle();

      const [charge, ...more] = await chargeRowsOf(app.dataSource, payment);
      expect(more).toEqual([]);
      const rows = await rowsOf(app.dataSource);
      expect(rows).toEqual([
        expect.objectContaining({
          internalReference,
          reference: payment.reference,
          status: 'APPROVED',
          statusDate: (sent.body as RecurringNotificationBody).status.date,
          reason: '00',
          message: 'Approved transaction',
          tries: 2,
          enabled: true,
          signatureAlgorithm: 'sha256',
          verified: true,
          paymentId: payment.id,
          eventState: 'written',
          chargePaymentId: charge.id,
          nextEventAt: null,
        }),
        expect.objectContaining({
          internalReference: big,
          statusDate: DATE,
          tries: null,
          enabled: null,
          verified: false,
          paymentId: payment.id,
          eventState: 'none',
          chargePaymentId: null,
          nextEventAt: null,
        }),
      ]);
      expect(rows[0].receivedAt).toBeInstanceOf(Date);
      expect(charge).toMatchObject({
        kind: 'recurring',
        parentPaymentId: payment.id,
        internalReference,
        status: 'APPROVED',
        currency: payment.currency,
        amountMinor: payment.amountMinor,
        paidMinor: payment.amountMinor,
        requestId: null,
        openReference: null,
      });
      expect(await eventsOf(charge.id)).toEqual(['payment.approved', 'payment.recurring_charge']);
      expect(recurringOutcomes().map((e) => [e.type, e.payment.id])).toEqual([
        ['payment.approved', charge.id],
      ]);
      expect(charges).toEqual([
        expect.objectContaining({
          payment: expect.objectContaining({ id: charge.id, kind: 'recurring' }),
          details: expect.objectContaining({ parentPaymentId: payment.id, tries: 2 }),
        }),
      ]);
      const after = (await service().findByRequestId(payment.requestId!))!;
      expect(settledFacts(after)).toEqual(settledFacts(payment));
    });

    /** One charge of `payment`, notified and settled while the database refuses events. */
    const chargeRefused = async (payment: PlacetoPayPayment) => {
      refuseEvents.on = true;
      try {
        const internalReference = simulator.chargeRecurring(payment.requestId!);
        await simulator.notifications.settled();
        await inbox().idle();
        return internalReference;
      } finally {
        refuseEvents.on = false;
      }
    };
    const chargeWithEventRefused = async (n: number) => {
      const payment = await recurringPayment(n);
      return { payment, internalReference: await chargeRefused(payment) };
    };

    it('writes neither the charge nor its events when a write fails between them, then settles it on a later poll, once', async () => {
      outcomes.length = 0;
      const payment = await recurringPayment(2);
      const events = app.dataSource.getRepository(PlacetoPayPaymentEvent);
      const payments = app.dataSource.getRepository(PlacetoPayPayment);
      const before = { events: await events.count(), payments: await payments.count() };
      const internalReference = await chargeRefused(payment);
      expect(simulator.notifications.sent.at(-1)!.responseStatus).toBe(200);

      // The payment row was inserted, then its event refused: the transaction took both back,
      // and the notification's settlement with them.
      const pending = await rowOf(internalReference);
      expect(pending).toMatchObject({
        verified: true,
        eventState: 'pending',
        chargePaymentId: null,
      });
      expect({ events: await events.count(), payments: await payments.count() }).toEqual(before);
      // Retried after the notification's age, at least 5 s.
      expect(pending.nextEventAt!.getTime()).toBe(clock.now().getTime() + 5_000);
      expect(logs.text()).toContain(
        `recurring charge ${internalReference} (reference ${payment.reference}) recorded, not settled (event insert refused (test fault)): tried again in 5 s`,
      );

      expect(await inbox().retryDue()).toBe(0); // not due yet
      clock.advance(5_000);
      expect(await inbox().retryDue()).toBe(1);
      expect(await inbox().retryDue()).toBe(0);
      const [charge, ...more] = await chargeRowsOf(app.dataSource, payment);
      expect(more).toEqual([]);
      expect(await rowOf(internalReference)).toMatchObject({
        eventState: 'written',
        chargePaymentId: charge.id,
        nextEventAt: null,
      });
      expect(await eventsOf(charge.id)).toEqual(['payment.approved', 'payment.recurring_charge']);
      await service().deliverPendingEvents();
      expect(recurringOutcomes().map((e) => e.payment.id)).toEqual([charge.id]);
      const after = (await service().findByRequestId(payment.requestId!))!;
      expect(settledFacts(after)).toEqual(settledFacts(payment));
    });

    it('links a charge to the payment whose session lists it, not to the newest approved one of the reference', async () => {
      outcomes.length = 0;
      const reference = `RC-${engine.name}-link`;
      // Two approved recurring payments of one reference (allowDuplicateReferences), the first older.
      const first = await approvedRecurringPayment(simulator, service(), reference, app.url!);
      clock.advance(1_000);
      const second = await approvedRecurringPayment(simulator, service(), reference, app.url!);
      const internalReference = simulator.chargeRecurring(first.requestId!);
      await simulator.notifications.settled();
      await settle();
      const [charge, ...more] = await chargeRowsOf(app.dataSource, first);
      expect(more).toEqual([]);
      expect(charge).toMatchObject({ parentPaymentId: first.id, internalReference });
      expect(await chargeRowsOf(app.dataSource, second)).toEqual([]);
      expect(await rowOf(internalReference)).toMatchObject({
        paymentId: first.id,
        chargePaymentId: charge.id,
      });
      // And the second's own charge goes to the second.
      const secondCharge = simulator.chargeRecurring(second.requestId!);
      await simulator.notifications.settled();
      await settle();
      expect(await chargeRowsOf(app.dataSource, second)).toEqual([
        expect.objectContaining({ parentPaymentId: second.id, internalReference: secondCharge }),
      ]);
      expect(settledFacts((await service().findByRequestId(first.requestId!))!)).toEqual(
        settledFacts(first),
      );
    });

    it('changes no money state for an unverified charge, even a genuine one', async () => {
      outcomes.length = 0;
      const payment = await recurringPayment(3);
      simulator.notifications.behaviour = { badSignature: true };
      try {
        const internalReference = simulator.chargeRecurring(payment.requestId!);
        await simulator.notifications.settled();
        await settle();
        expect(await rowOf(internalReference)).toMatchObject({
          verified: false,
          eventState: 'none',
          chargePaymentId: null,
          nextEventAt: null,
        });
      } finally {
        simulator.notifications.behaviour = {};
      }
      clock.advance(10 * 60_000);
      expect(await inbox().retryDue()).toBe(0);
      expect(await chargeRowsOf(app.dataSource, payment)).toEqual([]);
      expect(await eventsOf(payment.id)).toEqual(['payment.created', 'payment.approved']);
      expect(recurringOutcomes()).toEqual([]);
      const after = (await service().findByRequestId(payment.requestId!))!;
      expect(settledFacts(after)).toEqual(settledFacts(payment));
    });

    it('backs off a settlement that keeps failing, and two replicas retrying at once settle it once', async () => {
      const { payment, internalReference } = await chargeWithEventRefused(4);
      refuseEvents.on = true;
      clock.advance(60_000);
      expect(await inbox().retryDue()).toBe(0);
      // Refused again at 60 s of age: tried again 60 s later.
      expect((await rowOf(internalReference)).nextEventAt!.getTime()).toBe(
        clock.now().getTime() + 60_000,
      );
      refuseEvents.on = false;
      clock.advance(60_000);
      const results = await Promise.all([inbox().retryDue(), otherReplicaInbox().retryDue()]);
      expect(results.sort()).toEqual([0, 1]);
      const [charge, ...more] = await chargeRowsOf(app.dataSource, payment);
      expect(more).toEqual([]);
      expect(await eventsOf(charge.id)).toEqual(['payment.approved', 'payment.recurring_charge']);
      expect(await rowOf(internalReference)).toMatchObject({ eventState: 'written' });
    });

    it('rolls back the second of two replicas settling the same charge at once', async () => {
      const { payment, internalReference } = await chargeWithEventRefused(5);
      const row = await rowOf(internalReference);
      // Both hold the row as pending, past any claim: only the settling transaction decides.
      type Settle = { charges: { settle(row: PlacetoPayRecurringNotification): Promise<boolean> } };
      const settled = await Promise.all(
        [inbox(), otherReplicaInbox()].map((each) =>
          (each as unknown as Settle).charges.settle({ ...row }),
        ),
      );
      expect(settled.sort()).toEqual([false, true]);
      const [charge, ...more] = await chargeRowsOf(app.dataSource, payment);
      expect(more).toEqual([]);
      expect(await eventsOf(charge.id)).toEqual(['payment.approved', 'payment.recurring_charge']);
      expect(await rowOf(internalReference)).toMatchObject({
        eventState: 'written',
        chargePaymentId: charge.id,
      });
    });

    it('makes a charge notified PENDING a pending payment, and approves that same row on its final notification', async () => {
      outcomes.length = 0;
      const payment = await recurringPayment(11);
      simulator.notifications.behaviour = { drop: true };
      const internalReference = simulator.chargeRecurring(payment.requestId!);
      simulator.notifications.behaviour = {};
      // The charge as PlacetoPay would list it while it is pending, then settled.
      type Internals = {
        book: { lifecycle: { find(id: number): { recurringCharges: Array<{ status: object }> } } };
      };
      const [tx] = (simulator as unknown as Internals).book.lifecycle.find(
        payment.requestId!,
      ).recurringCharges;
      const notify = async (status: string, reason: string, date: string) => {
        tx.status = { status, reason, message: status, date };
        const body = {
          status: { status, reason, message: status, date },
          internalReference,
          reference: payment.reference,
          signature: computeRecurringNotificationSignature({
            internalReference,
            status,
            date,
            secretKey: SECRET_KEY,
          }),
          recurring: { tries: 1, enabled: true },
        };
        expect(await post(app.url!, body)).toMatchObject({ json: { duplicate: false } });
        await settle();
      };
      await notify('PENDING', '?-', '2026-12-27T10:00:00-05:00');
      const [pending, ...more] = await chargeRowsOf(app.dataSource, payment);
      expect(more).toEqual([]);
      expect(pending).toMatchObject({ status: 'PENDING', kind: 'recurring' });
      expect(await eventsOf(pending.id)).toEqual(['payment.created', 'payment.recurring_charge']);

      await notify('APPROVED', '00', '2026-12-27T10:05:00-05:00');
      expect(await chargeRowsOf(app.dataSource, payment)).toEqual([
        expect.objectContaining({ id: pending.id, status: 'APPROVED' }),
      ]);
      expect(await eventsOf(pending.id)).toEqual([
        'payment.created',
        'payment.recurring_charge',
        'payment.approved',
      ]);
      // (Events of earlier tests' charges may be delivered meanwhile: only this charge's counts.)
      expect(
        recurringOutcomes()
          .filter((e) => e.payment.parentPaymentId === payment.id)
          .map((e) => [e.type, e.payment.id]),
      ).toEqual([['payment.approved', pending.id]]);
      const notifications = await app.dataSource
        .getRepository(PlacetoPayRecurringNotification)
        .findBy({ internalReference });
      expect(notifications.map((n) => [n.status, n.eventState, n.chargePaymentId])).toEqual(
        expect.arrayContaining([
          ['PENDING', 'written', pending.id],
          ['APPROVED', 'written', pending.id],
        ]),
      );
    });

    it('never approves a charge its session shows for another amount: the row waits for review', async () => {
      outcomes.length = 0;
      const payment = await recurringPayment(12);
      const internalReference = simulator.chargeRecurring(payment.requestId!);
      // What the session query will show for the charge (it runs after the answer).
      type Internals = {
        book: {
          lifecycle: {
            find(id: number): { recurringCharges: Array<{ amount: { from: { total: number } } }> };
          };
        };
      };
      const [tx] = (simulator as unknown as Internals).book.lifecycle.find(
        payment.requestId!,
      ).recurringCharges;
      tx.amount = { ...tx.amount, from: { ...tx.amount.from, total: tx.amount.from.total * 2 } };
      await simulator.notifications.settled();
      await settle();
      const [charge, ...more] = await chargeRowsOf(app.dataSource, payment);
      expect(more).toEqual([]);
      expect(charge).toMatchObject({
        internalReference,
        status: 'CREATING',
        amountMinor: payment.amountMinor,
        needsReview: true,
        reviewReason: expect.stringContaining('add up to'),
      });
      expect(await eventsOf(charge.id)).toEqual([
        'payment.review_required',
        'payment.recurring_charge',
      ]);
      expect(recurringOutcomes().filter((e) => e.payment.parentPaymentId === payment.id)).toEqual(
        [],
      );
      expect((await service().listPaymentsNeedingReview()).map((p) => p.id)).toContain(charge.id);
    });

    it('retries a charge whose session query failed, and passes over a session PlacetoPay refuses', async () => {
      const payment = await recurringPayment(13);
      // A newer approved payment of the reference whose session PlacetoPay does not know.
      clock.advance(1_000);
      const unknown = await seedPayment(app, PaymentStatus.APPROVED, {
        reference: payment.reference,
        openReference: null,
        requestId: 990_013,
        createdAt: clock.now(),
      });
      // Every attempt of the first query fails (the client retries a 503 queryAttempts times).
      const { queryAttempts } = app.moduleRef.get(PLACETOPAY_OPTIONS);
      simulator.faults.inject(
        'getSession',
        { type: 'status', status: 503 },
        { times: queryAttempts },
      );
      const internalReference = simulator.chargeRecurring(payment.requestId!);
      await simulator.notifications.settled();
      await settle();
      expect(await rowOf(internalReference)).toMatchObject({ eventState: 'pending' });
      expect(logs.text()).toContain(
        `recurring charge ${internalReference} (reference ${payment.reference}) recorded, not settled`,
      );
      clock.advance(5_000);
      expect(await inbox().retryDue()).toBe(1);
      const [charge, ...more] = await chargeRowsOf(app.dataSource, payment);
      expect(more).toEqual([]);
      expect(charge).toMatchObject({ parentPaymentId: payment.id, status: 'APPROVED' });
      expect(await chargeRowsOf(app.dataSource, unknown)).toEqual([]);
    });

    it('polls on its own timer from bootstrap until shutdown', async () => {
      const { payment, internalReference } = await chargeWithEventRefused(8);
      clock.advance(5_000);
      const options = { ...app.moduleRef.get(PLACETOPAY_OPTIONS), eventPollMs: 1_000 };
      jest.useFakeTimers({
        doNotFake: ['nextTick', 'setImmediate', 'queueMicrotask', 'hrtime', 'performance', 'Date'],
      });
      try {
        const replica = otherReplicaInbox(options);
        const polls = jest.spyOn(replica, 'retryDue');
        replica.onApplicationBootstrap();
        jest.advanceTimersByTime(999);
        expect(polls).not.toHaveBeenCalled();
        jest.advanceTimersByTime(1);
        expect(polls).toHaveBeenCalledTimes(1);
        expect(await polls.mock.results[0].value).toBe(1);
        await replica.onApplicationShutdown();
        jest.advanceTimersByTime(10_000);
        expect(polls).toHaveBeenCalledTimes(1);
      } finally {
        jest.useRealTimers();
      }
      expect(await chargeRowsOf(app.dataSource, payment)).toHaveLength(1);
      expect(await rowOf(internalReference)).toMatchObject({ eventState: 'written' });
    });

    /** Runs `work` while the recurring table is renamed away: every read or write of it fails. */
    const withTableAway = async <T>(work: () => Promise<T>): Promise<T> => {
      const escape = (name: string) => app.dataSource.driver.escape(name);
      const rename = (from: string, to: string) =>
        app.dataSource.query(`ALTER TABLE ${escape(from)} RENAME TO ${escape(to)}`);
      await rename('placetopay_recurring_notifications', 'placetopay_recurring_away');
      try {
        return await work();
      } finally {
        await rename('placetopay_recurring_away', 'placetopay_recurring_notifications');
      }
    };

    it('holds a charge in memory while the database cannot store it, then records and settles it once', async () => {
      charges.length = 0;
      const payment = await approvedRecurringPayment(
        simulator,
        app.service,
        `RC-${engine.name}-6`,
        app.url!,
      );
      const rowsBefore = (await rowsOf(app.dataSource)).length;
      const receivedAt = clock.now();
      const internalReference = await withTableAway(async () => {
        const charged = simulator.chargeRecurring(payment.requestId!, { tries: 3 });
        await simulator.notifications.settled();
        const sent = simulator.notifications.sent.at(-1)!;
        expect(sent.responseStatus).toBe(200);
        expect(await post(app.url!, sent.body)).toMatchObject({
          status: 200,
          json: { duplicate: true },
        });
        // A forgery with the same key cannot replace the genuine copy held.
        const forged = { ...(sent.body as object), signature: `sha256:${'0'.repeat(64)}` };
        expect(await post(app.url!, forged)).toMatchObject({ json: { duplicate: true } });
        expect(inbox().heldCount).toBe(1);
        // A pass while the table is still away writes nothing and keeps it.
        await inbox().writeHeld();
        expect(inbox().heldCount).toBe(1);
        return charged;
      });
      expect(logs.text()).toContain(
        `recurring notification for internalReference ${internalReference} (APPROVED, reference ${payment.reference}) could not be stored`,
      );
      // Written a while later, it keeps the time it was received.
      clock.advance(30_000);
      await inbox().writeHeld();
      expect(inbox().heldCount).toBe(0);
      await settle();
      expect(await rowsOf(app.dataSource)).toHaveLength(rowsBefore + 1);
      const [charge, ...more] = await chargeRowsOf(app.dataSource, payment);
      expect(more).toEqual([]);
      expect(await rowOf(internalReference)).toMatchObject({
        verified: true,
        tries: 3,
        paymentId: payment.id,
        eventState: 'written',
        chargePaymentId: charge.id,
        receivedAt,
      });
      expect(await eventsOf(charge.id)).toEqual(['payment.approved', 'payment.recurring_charge']);
      expect(charges.filter((event) => event.payment.id === charge.id)).toEqual([
        expect.objectContaining({ details: expect.objectContaining({ internalReference }) }),
      ]);
    });

    it('lets a verified copy replace an unverified one held, and evicts unverified ones for verified ones when full', async () => {
      const payment = await approvedRecurringPayment(
        simulator,
        app.service,
        `RC-${engine.name}-9`,
        app.url!,
      );
      const replica = otherReplicaInbox();
      // Room for two only.
      (replica as unknown as { held: { limit: number } }).held.limit = 2;
      const checked = (internalReference: number, verified: boolean) =>
        checkedCharge(internalReference, payment.reference, verified);
      try {
        await withTableAway(async () => {
          await replica.receive(checked(888_000_001, false));
          await replica.receive(checked(888_000_001, true));
          await replica.receive(checked(888_000_002, false));
          expect(replica.heldCount).toBe(2);
          // Full: an unverified one is refused; a verified one takes the oldest unverified place.
          // (What it throws may come from another realm, better-sqlite3's: not an Error here.)
          const unverified = replica.receive(checked(888_000_003, false));
          expect(
            await unverified.then(
              () => 'answered',
              () => 'thrown',
            ),
          ).toBe('thrown');
          await replica.receive(checked(888_000_004, true));
          expect(replica.heldCount).toBe(2);
        });
        await replica.writeHeld();
      } finally {
        await replica.onApplicationShutdown();
      }
      expect(logs.text()).toContain(
        'held recurring notification for internalReference 888000002 (unverified) dropped to make room for a verified one',
      );
      const stored = await app.dataSource
        .getRepository(PlacetoPayRecurringNotification)
        .find({ where: { paymentId: payment.id }, order: { internalReference: 'ASC' } });
      expect(stored.map((row) => [row.internalReference, row.verified])).toEqual([
        [888_000_001, true],
        [888_000_004, true],
      ]);
    });

    it('stores NUL characters of the free text without them, and refuses them in what is matched', async () => {
      const payment = await approvedRecurringPayment(
        simulator,
        app.service,
        `RC-${engine.name}-10`,
        app.url!,
      );
      const withNul = recurringNotification(555_000_111, payment.reference, {
        status: { status: 'APPROVED', reason: '0\u00000', message: 'Appro\u0000ved', date: DATE },
      });
      expect(await post(app.url!, withNul)).toMatchObject({
        status: 200,
        json: { duplicate: false },
      });
      await inbox().idle();
      expect(await rowOf(555_000_111)).toMatchObject({
        reason: '00',
        message: 'Approved',
        verified: true,
        eventState: 'review', // verified, but no session lists charge 555000111
      });
      const nulReference = recurringNotification(555_000_112, `${payment.reference}\u0000`);
      expect(await post(app.url!, nulReference)).toMatchObject({
        status: 400,
        json: { reason: 'missing_fields', fields: ['reference'] },
      });
      expect(inbox().heldCount).toBe(0);
    });

    it('names at shutdown each charge it could still not store', async () => {
      const replica = otherReplicaInbox();
      const notification = checkedCharge(777_000_111, `RC-${engine.name}-7`, true);
      await withTableAway(async () => {
        expect(await replica.receive(notification)).toEqual({ received: true, duplicate: false });
        expect(replica.heldCount).toBe(1);
        await replica.onApplicationShutdown();
      });
      expect(logs.text()).toContain(
        `1 recurring notification(s) could not be stored before shutdown: 777000111 (APPROVED, reference RC-${engine.name}-7)`,
      );
    });
  },
);
