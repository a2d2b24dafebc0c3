import fc from 'fast-check';
import { PlacetoPaySimulator, signNotification } from 'nestjs-placetopay/testing';
import { computeRecurringNotificationSignature } from '../../lib/gateway/notification-signature';
import { createAuth } from '../../lib/gateway/authentication';
import { RecurringNotificationInbox } from '../../lib/notifications/recurring-notification-inbox';
import { LOGIN, SECRET_KEY } from '../support/fixtures';
import { captureLogs } from '../support/log-capture';
import {
  DATE,
  PATH,
  RecurringChargeListener,
  approvedRecurringPayment,
  chargeRowsOf,
  charges,
  expectNoSecretIn,
  outcomes,
  post,
  recurringNotification,
  rowsOf,
  settledFacts,
  type RecurringNotificationBody,
} from '../support/recurring';
import { startWebhookApp, type AdapterName, type WebhookApp } from '../support/webhook-app';

// The recurring-charge route over HTTP, on both adapters: what it reads, verifies, records and
// answers. What a charge becomes (a payment, its events) is in recurring-charges.e2e.spec.ts.

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
      outcomes.length = 0;
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

    /** Waits for the charges being settled, then delivers their events. */
    const settle = async () => {
      await web.app.get(RecurringNotificationInbox).idle();
      await web.service.deliverPendingEvents();
    };

    it('records a verified recurring charge from the simulator as a payment of its own, leaving the original as it was', async () => {
      const payment = await recurringPayment();
      const internalReference = simulator.chargeRecurring(payment.requestId!);
      await simulator.notifications.settled();
      expect(lastSent()).toMatchObject({
        url: `${web.url}/${PATH}`,
        responseStatus: 200,
        body: { internalReference, reference: payment.reference, recurring: { tries: 1 } },
      });
      expect(lastSent().body).not.toHaveProperty('requestId');
      await settle();

      const [row, ...others] = await rows();
      expect(others).toEqual([]);
      const [charge] = await chargeRowsOf(web.dataSource, payment);
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
        eventState: 'written',
        chargePaymentId: charge.id,
      });
      expect(row.statusDate).toBe((lastSent().body as RecurringNotificationBody).status.date);
      expect(charge).toMatchObject({
        kind: 'recurring',
        parentPaymentId: payment.id,
        reference: payment.reference,
        requestId: null,
        openReference: null,
        internalReference,
        status: 'APPROVED',
        currency: 'COP',
        amountMinor: 3_200_000,
        needsReview: false,
      });

      await web.service.deliverPendingEvents();
      expect(charges).toHaveLength(1);
      expect(charges[0]).toMatchObject({
        type: 'payment.recurring_charge',
        source: 'notification',
        previousStatus: 'CREATING',
        status: 'APPROVED',
        payment: { id: charge.id, kind: 'recurring', parentPaymentId: payment.id },
        details: {
          parentPaymentId: payment.id,
          parentRequestId: payment.requestId,
          internalReference,
          status: 'APPROVED',
          tries: 1,
          enabled: true,
          recurringNotificationId: row.id,
        },
      });
      expect(outcomes.filter((e) => e.payment.id === charge.id)).toEqual([
        expect.objectContaining({ type: 'payment.approved', transition: true }),
      ]);
      // The original is untouched, also when its session (now listing the charge) is queried again.
      const after = await web.service.syncPayment(payment.requestId!);
      expect(settledFacts(after)).toEqual(settledFacts(payment));
    });

    it('records a declined last try as a rejected charge, with the recurrence disabled', async () => {
      const payment = await recurringPayment();
      simulator.chargeRecurring(payment.requestId!, { outcome: 'REJECTED', tries: 4 });
      await simulator.notifications.settled();
      expect(lastSent().responseStatus).toBe(200);
      await settle();
      expect(await rows()).toEqual([
        expect.objectContaining({ status: 'REJECTED', tries: 4, enabled: false, verified: true }),
      ]);
      const [charge] = await chargeRowsOf(web.dataSource, payment);
      expect(charge).toMatchObject({ status: 'REJECTED', statusReason: '05' });
      expect(charges.map((e) => e.details)).toEqual([
        expect.objectContaining({ status: 'REJECTED', tries: 4, enabled: false }),
      ]);
      expect(outcomes.filter((e) => e.payment.id === charge.id).map((e) => e.type)).toEqual([
        'payment.rejected',
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
      await settle();
      expect(charges).toHaveLength(1);
      expect(await chargeRowsOf(web.dataSource, payment)).toHaveLength(1);
    });

    it('lets the genuine notification supersede a forgery sent ahead with the same key, and leaves a charge no session lists for review', async () => {
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
      await settle();
      // Verified, but no session of the reference lists charge 7100: kept for review, not applied.
      expect(await rows()).toEqual([
        expect.objectContaining({
          verified: true,
          reference: payment.reference,
          tries: 1,
          eventState: 'review',
          chargePaymentId: null,
          nextEventAt: null,
        }),
      ]);
      expect(logs.text()).toContain(
        `recurring charge 7100 (reference ${payment.reference}) recorded for review, not applied: no approved recurring session of the reference lists it`,
      );
      expect(charges).toEqual([]);
      expect(await chargeRowsOf(web.dataSource, payment)).toEqual([]);
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
