import { Injectable } from '@nestjs/common';
import { getRepositoryToken } from '@nestjs/typeorm';
import fc from 'fast-check';
import {
  OnPlacetoPayEvent,
  PaymentStatus,
  PlacetoPayPayment,
  PlacetoPayPaymentEvent,
  type CreatePaymentInput,
  type PlacetoPayEvent,
  type PlacetoPayService,
} from 'nestjs-placetopay';
import { PLACETOPAY_OPTIONS } from '../../lib/config/tokens';
import { PlacetoPayRecurringNotification } from '../../lib/persistence/placetopay-recurring-notification.entity';
import { RecurringNotificationInbox } from '../../lib/notifications/recurring-notification-inbox';
import { computeRecurringNotificationSignature } from '../../lib/gateway/notification-signature';
import { createAuth } from '../../lib/gateway/authentication';
import { type CheckedRecurringNotification } from '../../lib/notifications/recurring-notification.guard';
import { ManualClock, PlacetoPaySimulator, signNotification } from 'nestjs-placetopay/testing';
import type { DataSource, EntitySubscriberInterface } from 'typeorm';
import { TransactionRunner } from '../../lib/persistence/transaction-runner';
import { enginesUnderTest } from '../support/databases';
import { LOGIN, SECRET_KEY } from '../support/fixtures';
import { captureLogs } from '../support/log-capture';
import { startPaymentsApp, type PaymentsApp } from '../support/payments-app';
import {
  postBody,
  startWebhookApp,
  type AdapterName,
  type WebhookApp,
} from '../support/webhook-app';

const PATH = 'placetopay/recurring-notification';

const DATE = '2026-12-27T10:00:00-05:00';

/** What the simulator posts to the recurring URL (the part the tests read). */
interface RecurringNotificationBody {
  status: { date: string };
  signature: string;
}

/** Every `payment.recurring_charge` the host's listener received. */
const charges: PlacetoPayEvent[] = [];

@Injectable()
class RecurringChargeListener {
  @OnPlacetoPayEvent('payment.recurring_charge')
  charged(event: PlacetoPayEvent): void {
    charges.push(event);
  }
}

function recurringOrder(reference: string, baseUrl: string): CreatePaymentInput {
  return {
    reference,
    description: 'Coffee subscription',
    amount: { currency: 'COP', total: 32000 },
    returnUrl: 'https://shop.example.com/return',
    ipAddress: '127.0.0.1',
    userAgent: 'jest',
    recurring: {
      periodicity: 'M',
      interval: 1,
      maxPeriods: -1,
      notificationUrl: `${baseUrl}/${PATH}`,
    },
  };
}

/** A recurring notification as PlacetoPay sends it (docs/protocol.md §7.2), signed with the analogue formula. */
function recurringNotification(
  internalReference: number | string,
  reference: string,
  overrides: Record<string, unknown> = {},
  secretKey = SECRET_KEY,
) {
  return {
    status: { status: 'APPROVED', reason: '00', message: 'Approved transaction', date: DATE },
    internalReference,
    reference,
    signature: computeRecurringNotificationSignature({
      internalReference,
      status: 'APPROVED',
      date: DATE,
      secretKey,
    }),
    recurring: { tries: 1, enabled: true },
    ...overrides,
  };
}

/** A charge as the guard hands it to the inbox (for tests that call the inbox directly). */
function checkedCharge(
  internalReference: number,
  reference: string,
  verified: boolean,
): CheckedRecurringNotification {
  return {
    internalReferenceText: String(internalReference),
    internalReference,
    status: 'APPROVED',
    date: DATE,
    reason: '00',
    message: null,
    reference,
    signature: `sha256:${'0'.repeat(64)}`,
    tries: 1,
    enabled: true,
    algorithm: 'sha256',
    verified,
    signatureProblem: verified ? null : 'mismatch',
  };
}

/** No secret key, tranKey, nonce or notification signature in what was logged. */
function expectNoSecretIn(logged: string, simulator: PlacetoPaySimulator): void {
  expect(logged).not.toContain(SECRET_KEY);
  expect(logged).not.toMatch(/tranKey|nonce/i);
  const signatures = simulator.notifications.sent.map(
    ({ body }) => (body as { signature: string }).signature,
  );
  expect(signatures.length).toBeGreaterThan(0);
  for (const signature of signatures) expect(logged).not.toContain(signature.split(':').pop());
}

const post = (base: string, body: unknown, contentType?: string, path = PATH) =>
  postBody(`${base}/${path}`, body, contentType);

/** Creates a recurring payment, has the buyer pay it at the simulator and settles it. */
async function approvedRecurringPayment(
  simulator: PlacetoPaySimulator,
  service: PlacetoPayService,
  reference: string,
  baseUrl: string,
): Promise<PlacetoPayPayment> {
  const { requestId } = await service.createPayment(recurringOrder(reference, baseUrl));
  simulator.approve(requestId);
  const payment = await service.syncPayment(requestId);
  expect(payment.status).toBe('APPROVED');
  return payment;
}

const rowsOf = (dataSource: DataSource) =>
  dataSource
    .getRepository(PlacetoPayRecurringNotification)
    .find({ order: { internalReference: 'ASC' } });

/** What a recurring charge must never touch. */
const settledFacts = (p: PlacetoPayPayment) => ({
  status: p.status,
  amountMinor: p.amountMinor,
  paidMinor: p.paidMinor,
  refunded: p.refunded,
  refundedMinor: p.refundedMinor,
  internalReference: p.internalReference,
  needsReview: p.needsReview,
});

describe.each(['express', 'fastify'] as AdapterName[])(
  'the recurring notification route on %s',
  (adapter) => {
    let simulator: PlacetoPaySimulator;
    let web: WebhookApp;
    let counter = 0;
    const logs = captureLogs();

    beforeAll(async () => {
      simulator = await new PlacetoPaySimulator({
        sites: [{ login: LOGIN, secretKey: SECRET_KEY }],
        tickMs: 0,
      }).start();
    });
    beforeEach(async () => {
      charges.length = 0;
      web = await startWebhookApp(
        adapter,
        simulator.url,
        {},
        {
          logs,
          providers: [RecurringChargeListener],
        },
      );
    });
    afterEach(async () => {
      simulator.notifications.behaviour = {};
      await web.close();
    });
    afterAll(async () => {
      await simulator.stop();
      expectNoSecretIn(logs.text(), simulator);
    });

    const reference = () => `RC-${adapter}-${++counter}`;
    const rows = () => rowsOf(web.dataSource);
    const recurringPayment = () =>
      approvedRecurringPayment(simulator, web.service, reference(), web.url);
    const lastSent = () => simulator.notifications.sent.at(-1)!;

    it('records a verified recurring charge from the simulator and fires payment.recurring_charge once, changing nothing of the payment', async () => {
      const payment = await recurringPayment();
      const internalReference = simulator.chargeRecurring(payment.requestId!);
      await simulator.notifications.settled();
      expect(lastSent()).toMatchObject({
        url: `${web.url}/${PATH}`,
        responseStatus: 200,
        body: { internalReference, reference: payment.reference, recurring: { tries: 1 } },
      });
      expect(lastSent().body).not.toHaveProperty('requestId');

      const [row, ...others] = await rows();
      expect(others).toEqual([]);
      expect(row).toMatchObject({
        internalReference,
        reference: payment.reference,
        status: 'APPROVED',
        reason: '00',
        tries: 1,
        enabled: true,
        signatureAlgorithm: 'sha256',
        verified: true,
        paymentId: payment.id,
      });
      expect(row.statusDate).toBe((lastSent().body as RecurringNotificationBody).status.date);

      await web.service.deliverPendingEvents();
      await web.service.deliverPendingEvents();
      expect(charges).toHaveLength(1);
      expect(charges[0]).toMatchObject({
        type: 'payment.recurring_charge',
        source: 'notification',
        previousStatus: 'APPROVED',
        status: 'APPROVED',
        transition: false,
        payment: { id: payment.id, reference: payment.reference },
        details: {
          internalReference,
          status: 'APPROVED',
          reason: '00',
          tries: 1,
          enabled: true,
          recurringNotificationId: row.id,
        },
      });
      const after = (await web.service.findByRequestId(payment.requestId!))!;
      expect(settledFacts(after)).toEqual(settledFacts(payment));
    });

    it('records a declined last try with the recurrence disabled, and still changes nothing', async () => {
      const payment = await recurringPayment();
      simulator.chargeRecurring(payment.requestId!, { outcome: 'REJECTED', tries: 4 });
      await simulator.notifications.settled();
      expect(lastSent().responseStatus).toBe(200);
      expect(await rows()).toEqual([
        expect.objectContaining({ status: 'REJECTED', tries: 4, enabled: false, verified: true }),
      ]);
      await web.service.deliverPendingEvents();
      expect(charges.map((e) => e.details)).toEqual([
        expect.objectContaining({ status: 'REJECTED', reason: '05', tries: 4, enabled: false }),
      ]);
      const after = (await web.service.findByRequestId(payment.requestId!))!;
      expect(settledFacts(after)).toEqual(settledFacts(payment));
      // The recurrence is cancelled at PlacetoPay now.
      expect(() => simulator.chargeRecurring(payment.requestId!)).toThrow(/cancelled/);
    });

    it('answers 200 to a wrongly signed one, records it unverified with a warning, fires nothing', async () => {
      const payment = await recurringPayment();
      simulator.notifications.behaviour = { badSignature: true };
      const internalReference = simulator.chargeRecurring(payment.requestId!);
      await simulator.notifications.settled();
      expect(lastSent()).toMatchObject({ responseStatus: 200 });
      expect(await rows()).toEqual([
        expect.objectContaining({ internalReference, verified: false, paymentId: payment.id }),
      ]);
      expect(logs.text()).toContain(
        `recurring notification for internalReference ${internalReference} (reference ${payment.reference}) recorded unverified (signature mismatch)`,
      );
      const signature = (lastSent().body as RecurringNotificationBody).signature;
      expect(logs.text()).not.toContain(signature.slice('sha256:'.length));
      await web.service.deliverPendingEvents();
      expect(charges).toEqual([]);
      const after = (await web.service.findByRequestId(payment.requestId!))!;
      expect(settledFacts(after)).toEqual(settledFacts(payment));
    });

    it('records malformed and refused-algorithm signatures as unverified too', async () => {
      const payment = await recurringPayment();
      const truncated = recurringNotification(7001, payment.reference);
      truncated.signature = truncated.signature.slice(0, -1);
      expect(await post(web.url, truncated)).toMatchObject({ status: 200 });
      await web.close();
      web = await startWebhookApp(
        adapter,
        simulator.url,
        { allowLegacySha1: false },
        { logs, providers: [RecurringChargeListener] },
      );
      const sha1 = recurringNotification(7002, payment.reference, {
        signature: computeRecurringNotificationSignature({
          internalReference: 7002,
          status: 'APPROVED',
          date: DATE,
          secretKey: SECRET_KEY,
          algorithm: 'sha1',
        }),
      });
      expect(await post(web.url, sha1)).toMatchObject({ status: 200 });
      // A new app, a new in-memory database without the payment: an unverified notification
      // about a reference it does not know is only logged, not stored.
      expect(await rows()).toEqual([]);
      expect(logs.text()).toContain('recorded unverified (signature malformed)');
      expect(logs.text()).toContain(
        `the latest: internalReference 7002 (reference ${payment.reference}, signature sha1_not_allowed))`,
      );
      await web.service.deliverPendingEvents();
      expect(charges).toEqual([]);
    });

    it('takes a session notification replayed on this route for unverified', async () => {
      const payment = await recurringPayment();
      // A genuine session notification, its requestId sent as the internalReference.
      const replayed = recurringNotification(payment.requestId!, payment.reference, {
        signature: signNotification({
          requestId: payment.requestId!,
          status: 'APPROVED',
          date: DATE,
          secretKey: SECRET_KEY,
        }),
      });
      expect(await post(web.url, replayed)).toMatchObject({ status: 200 });
      expect(await rows()).toEqual([
        expect.objectContaining({ internalReference: payment.requestId, verified: false }),
      ]);
      expect(logs.text()).toContain('recorded unverified (signature replayed from a session)');
      await web.service.deliverPendingEvents();
      expect(charges).toEqual([]);
    });

    it('answers 200 to a duplicate and keeps one row and one event, also when the copies arrive at once', async () => {
      const payment = await recurringPayment();
      simulator.notifications.behaviour = { duplicate: true };
      simulator.chargeRecurring(payment.requestId!);
      await simulator.notifications.settled();
      const answers = simulator.notifications.sent.slice(-2);
      expect(answers.map((s) => s.responseStatus)).toEqual([200, 200]);
      expect(await rows()).toHaveLength(1);
      const again = await post(web.url, answers[0].body);
      expect(again).toEqual({ status: 200, json: { received: true, duplicate: true } });
      expect(await rows()).toHaveLength(1);
      await web.service.deliverPendingEvents();
      expect(charges).toHaveLength(1);
    });

    it('lets the genuine notification supersede a forgery sent ahead with the same key', async () => {
      const payment = await recurringPayment();
      // Unverified, about a payment of ours: recorded (an unknown reference would not be).
      const forged = recurringNotification(
        7100,
        payment.reference,
        { recurring: { tries: 9 } },
        'x',
      );
      expect(await post(web.url, forged)).toMatchObject({ status: 200 });
      expect(await rows()).toMatchObject([{ verified: false, tries: 9, eventState: 'none' }]);
      const genuine = recurringNotification(7100, payment.reference);
      expect(await post(web.url, genuine)).toEqual({
        status: 200,
        json: { received: true, duplicate: false },
      });
      expect(await post(web.url, genuine)).toMatchObject({ json: { duplicate: true } });
      const [row, ...others] = await rows();
      expect(others).toEqual([]);
      expect(row).toMatchObject({
        verified: true,
        reference: payment.reference,
        tries: 1,
        paymentId: payment.id,
        eventState: 'written',
        nextEventAt: null,
      });
      await web.service.deliverPendingEvents();
      expect(charges).toHaveLength(1);
      expect(charges[0].details).toMatchObject({ recurringNotificationId: row.id });
    });

    it.each([
      [
        'no internalReference (a session notification)',
        {
          status: { status: 'APPROVED', date: DATE },
          requestId: 5,
          reference: 'R',
          signature: 'x',
        },
        ['internalReference'],
      ],
      ['no reference', { ...recurringNotification(5, 'R'), reference: undefined }, ['reference']],
      ['no signature', { ...recurringNotification(5, 'R'), signature: '' }, ['signature']],
      [
        'a bad internalReference',
        { ...recurringNotification(5, 'R'), internalReference: '05' },
        ['internalReference'],
      ],
      [
        'an empty body',
        {},
        ['internalReference', 'status.status', 'status.date', 'reference', 'signature'],
      ],
    ])(
      'answers 400 to a recurring notification with %s and stores nothing',
      async (_n, body, fields) => {
        const { status, json } = await post(web.url, body);
        expect(status).toBe(400);
        expect(json).toMatchObject({
          error: 'invalid_notification',
          reason: 'missing_fields',
          fields,
        });
        expect(await rows()).toEqual([]);
      },
    );

    it('refuses a body over 16 KB with 413 and stores nothing', async () => {
      const body = { ...recurringNotification(7200, 'R'), padding: 'x'.repeat(17 * 1024) };
      expect((await post(web.url, body)).status).toBe(413);
      expect(await rows()).toEqual([]);
    });

    it('records a verified notification for an unknown reference with paymentId null and a warning', async () => {
      const { status } = await post(web.url, recurringNotification(7300, 'NOBODY-1'));
      expect(status).toBe(200);
      expect(await rows()).toEqual([
        expect.objectContaining({ internalReference: 7300, verified: true, paymentId: null }),
      ]);
      expect(logs.text()).toContain('recurring notification for unknown reference NOBODY-1');
      await web.service.deliverPendingEvents();
      expect(charges).toEqual([]);
    });

    it('takes a form-encoded notification, with internalReference and tries as text', async () => {
      const payment = await recurringPayment();
      const n = recurringNotification('7400', payment.reference);
      const form = new URLSearchParams({
        'status[status]': 'APPROVED',
        'status[reason]': '00',
        'status[date]': DATE,
        internalReference: '7400',
        reference: payment.reference,
        signature: n.signature,
        'recurring[tries]': '2',
        'recurring[enabled]': 'true',
      }).toString();
      expect(await post(web.url, form, 'application/x-www-form-urlencoded')).toMatchObject({
        status: 200,
        json: { received: true, duplicate: false },
      });
      expect(await rows()).toEqual([
        expect.objectContaining({
          internalReference: 7400,
          tries: 2,
          enabled: true,
          verified: true,
        }),
      ]);
    });

    it('sends nothing when the simulator drops notifications', async () => {
      const payment = await recurringPayment();
      simulator.notifications.behaviour = { drop: true };
      simulator.chargeRecurring(payment.requestId!);
      await simulator.notifications.settled();
      expect(lastSent()).toMatchObject({ dropped: true });
      expect(await rows()).toEqual([]);
    });

    it('never answers 5xx to arbitrary input', async () => {
      await fc.assert(
        fc.asyncProperty(fc.jsonValue({ maxDepth: 3 }), async (value) => {
          const { status } = await post(web.url, JSON.stringify(value));
          return status < 500;
        }),
        { numRuns: 40 },
      );
      for (const raw of ['{', 'not json', '{"internalReference": 1, "status": ', '\u0000']) {
        expect((await post(web.url, raw)).status).toBeLessThan(500);
      }
    });
  },
);

describe('the recurring route settings', () => {
  let simulator: PlacetoPaySimulator;
  beforeAll(async () => {
    simulator = await new PlacetoPaySimulator({
      sites: [{ login: LOGIN, secretKey: SECRET_KEY }],
      tickMs: 0,
    }).start();
  });
  afterAll(() => simulator.stop());

  const status = async (base: string, path: string) =>
    (
      await fetch(`${base}/${path}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{}',
      })
    ).status;

  it('serves webhook.recurringPath, with the host decorators', async () => {
    const seen: string[] = [];
    const mark: MethodDecorator = (_target, key) => {
      seen.push(String(key));
    };
    const app = await startWebhookApp('express', simulator.url, {
      webhook: { recurringPath: '/hooks/recurring/', decorators: [mark] },
    });
    try {
      // Once on each route: the notification's and the recurring one's.
      expect(seen).toEqual(['receive', 'receive']);
      expect(await status(app.url, 'hooks/recurring')).toBe(400);
      expect(await status(app.url, PATH)).toBe(404);
      expect(await status(app.url, 'placetopay/notification')).toBe(400);
    } finally {
      await app.close();
    }
  });

  it('takes PLACETOPAY_RECURRING_WEBHOOK_PATH when the option is not given', async () => {
    process.env.PLACETOPAY_RECURRING_WEBHOOK_PATH = 'env/recurring';
    const app = await startWebhookApp('express', simulator.url).finally(() => {
      delete process.env.PLACETOPAY_RECURRING_WEBHOOK_PATH;
    });
    try {
      expect(await status(app.url, 'env/recurring')).toBe(400);
      expect(await status(app.url, PATH)).toBe(404);
    } finally {
      await app.close();
    }
  });

  it('is turned off with the webhook', async () => {
    const app = await startWebhookApp('express', simulator.url, { webhook: { enabled: false } });
    try {
      expect(await status(app.url, PATH)).toBe(404);
      expect(await status(app.url, 'placetopay/notification')).toBe(404);
    } finally {
      await app.close();
    }
  });
});

describe('the simulator and recurrence', () => {
  let simulator: PlacetoPaySimulator;
  beforeAll(async () => {
    simulator = await new PlacetoPaySimulator({
      sites: [{ login: LOGIN, secretKey: SECRET_KEY }],
      tickMs: 0,
    }).start();
  });
  afterAll(() => simulator.stop());

  it('refuses recurring with allowPartial, as PlacetoPay does', async () => {
    const response = await fetch(`${simulator.url}/api/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        auth: createAuth({ login: LOGIN, secretKey: SECRET_KEY }),
        payment: {
          reference: 'RC-PARTIAL',
          description: 'd',
          amount: { currency: 'COP', total: 1000 },
          allowPartial: true,
          recurring: { periodicity: 'M', interval: 1, maxPeriods: -1 },
        },
        returnUrl: 'https://shop.example.com/return',
        ipAddress: '127.0.0.1',
        userAgent: 'jest',
      }),
    });
    expect(response.status).toBe(400);
    const json = (await response.json()) as { status: { message: string } };
    expect(json.status.message).toContain('cannot be combined with allowPartial');
  });
});

// The recording's own statements (a prepared INSERT, booleans, a bigint, the unique key) on every
// engine the run tests.
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
      // A journal per engine: what a replica below leaves in it is not replayed by the next app.
      const journalDir = `${process.env.PLACETOPAY_JOURNAL_DIR}/${engine.name}`;
      app = await startPaymentsApp(
        engine,
        { baseUrl: simulator.url, eventPollMs: 0, journalDir },
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

    it('stores verified and unverified rows as received, once, and fires one event', async () => {
      charges.length = 0;
      const payment = await approvedRecurringPayment(
        simulator,
        app.service,
        `RC-${engine.name}-1`,
        app.url!,
      );
      const internalReference = simulator.chargeRecurring(payment.requestId!, { tries: 2 });
      await simulator.notifications.settled();
      const sent = simulator.notifications.sent.at(-1)!;
      expect(sent.responseStatus).toBe(200);
      expect(await post(app.url!, sent.body)).toMatchObject({ json: { duplicate: true } });

      const big = 9_007_199_254; // past 32 bits: the bigint column round-trips as a number
      const unverified = recurringNotification(
        big,
        payment.reference,
        { recurring: undefined },
        'x',
      );
      expect(await post(app.url!, unverified)).toMatchObject({ status: 200 });

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
          nextEventAt: null,
        }),
      ]);
      expect(rows[0].receivedAt).toBeInstanceOf(Date);

      await app.service.deliverPendingEvents();
      expect(charges).toHaveLength(1);
      expect(charges[0]).toMatchObject({
        type: 'payment.recurring_charge',
        details: { internalReference, tries: 2, recurringNotificationId: rows[0].id },
      });
      const after = (await app.service.findByRequestId(payment.requestId!))!;
      expect(settledFacts(after)).toEqual(settledFacts(payment));
    });

    /** One charge of `payment`, notified while the database refuses its event. */
    const chargeRefused = async (payment: PlacetoPayPayment) => {
      refuseEvents.on = true;
      try {
        const internalReference = simulator.chargeRecurring(payment.requestId!);
        await simulator.notifications.settled();
        return internalReference;
      } finally {
        refuseEvents.on = false;
      }
    };
    const chargeWithEventRefused = async (n: number) => {
      const payment = await approvedRecurringPayment(
        simulator,
        app.service,
        `RC-${engine.name}-${n}`,
        app.url!,
      );
      return { payment, internalReference: await chargeRefused(payment) };
    };
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
      );
    const rowOf = (internalReference: number) =>
      app.dataSource
        .getRepository(PlacetoPayRecurringNotification)
        .findOneByOrFail({ internalReference });
    const chargeEvents = (paymentId: string) =>
      app.dataSource
        .getRepository(PlacetoPayPaymentEvent)
        .findBy({ paymentId, type: 'payment.recurring_charge' });

    it('writes a charge event whose write failed on a later poll, once', async () => {
      charges.length = 0;
      const { payment, internalReference } = await chargeWithEventRefused(2);
      expect(simulator.notifications.sent.at(-1)!.responseStatus).toBe(200);

      const pending = await rowOf(internalReference);
      expect(pending).toMatchObject({
        verified: true,
        paymentId: payment.id,
        eventState: 'pending',
      });
      // Retried after the notification's age, at least 5 s.
      expect(pending.nextEventAt!.getTime()).toBe(clock.now().getTime() + 5_000);
      expect(await chargeEvents(payment.id)).toHaveLength(0);
      expect(logs.text()).toContain(
        `recurring charge ${internalReference} of payment ${payment.id} recorded, but its event was not written`,
      );

      expect(await inbox().retryDue()).toBe(0); // not due yet
      clock.advance(5_000);
      expect(await inbox().retryDue()).toBe(1);
      expect(await inbox().retryDue()).toBe(0);
      expect(await rowOf(internalReference)).toMatchObject({
        eventState: 'written',
        nextEventAt: null,
      });
      const events = await chargeEvents(payment.id);
      expect(events).toHaveLength(1);
      await app.service.deliverPendingEvents();
      expect(charges).toHaveLength(1);
      expect(charges[0]).toMatchObject({
        type: 'payment.recurring_charge',
        details: { internalReference, recurringNotificationId: pending.id },
      });
      const after = (await app.service.findByRequestId(payment.requestId!))!;
      expect(settledFacts(after)).toEqual(settledFacts(payment));
    });

    it('backs off a write that keeps failing, and two replicas retrying at once write it once', async () => {
      const { payment, internalReference } = await chargeWithEventRefused(3);
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
      expect(await chargeEvents(payment.id)).toHaveLength(1);
      expect(await rowOf(internalReference)).toMatchObject({ eventState: 'written' });
    });

    it('writes no event, and stops trying, once the payment is no longer approved', async () => {
      const { payment, internalReference } = await chargeWithEventRefused(4);
      await app.dataSource
        .getRepository(PlacetoPayPayment)
        .update({ id: payment.id }, { status: PaymentStatus.REJECTED });
      clock.advance(5_000);
      expect(await inbox().retryDue()).toBe(0);
      expect(await rowOf(internalReference)).toMatchObject({
        eventState: 'none',
        nextEventAt: null,
      });
      expect(await chargeEvents(payment.id)).toHaveLength(0);
      expect(logs.text()).toContain(
        `recurring charge ${internalReference} recorded, but payment ${payment.id} is no longer approved (or no longer exists): no event`,
      );

      // A row whose payment is not there at all is let go the same way, not retried forever.
      const second = await chargeRefused(payment);
      await app.dataSource
        .getRepository(PlacetoPayRecurringNotification)
        .update(
          { internalReference: second },
          { paymentId: '00000000-0000-4000-8000-000000000000' },
        );
      clock.advance(5_000);
      expect(await inbox().retryDue()).toBe(0);
      expect(await rowOf(second)).toMatchObject({ eventState: 'none', nextEventAt: null });
    });

    it('rolls back the second of two replicas writing the same event at once', async () => {
      const { payment, internalReference } = await chargeWithEventRefused(5);
      const row = await rowOf(internalReference);
      const record = jest.spyOn(app.lifecycle, 'recordRecurringCharge');
      try {
        // Both hold the row as pending, past any claim: only the event's own transaction decides.
        type Fire = { fire(row: PlacetoPayRecurringNotification): Promise<boolean> };
        const fired = await Promise.all(
          [inbox(), otherReplicaInbox()].map((each) => (each as unknown as Fire).fire({ ...row })),
        );
        expect(fired.sort()).toEqual([false, true]);
        const outcomes = await Promise.all(record.mock.results.map((r) => r.value));
        expect(outcomes.sort()).toEqual(['written', 'written_elsewhere']);
      } finally {
        record.mockRestore();
      }
      expect(await chargeEvents(payment.id)).toHaveLength(1);
      expect(await rowOf(internalReference)).toMatchObject({ eventState: 'written' });
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
      expect(await chargeEvents(payment.id)).toHaveLength(1);
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

    it('holds a charge in memory while the database cannot store it, then records it and writes its event once', async () => {
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
      expect(await rowsOf(app.dataSource)).toHaveLength(rowsBefore + 1);
      expect(await rowOf(internalReference)).toMatchObject({
        verified: true,
        tries: 3,
        paymentId: payment.id,
        eventState: 'written',
        receivedAt,
      });
      expect(await chargeEvents(payment.id)).toHaveLength(1);
      await app.service.deliverPendingEvents();
      expect(charges.filter((event) => event.payment.id === payment.id)).toEqual([
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
      expect(await rowOf(555_000_111)).toMatchObject({
        reason: '00',
        message: 'Approved',
        verified: true,
        eventState: 'written',
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
