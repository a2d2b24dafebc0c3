import { Injectable } from '@nestjs/common';
import {
  OnPlacetoPayEvent,
  PaymentStatus,
  PlacetoPayInstrumentRevokedError,
  PlacetoPayUnavailableError,
  type CreatePaymentInput,
  type PlacetoPayEvent,
} from 'nestjs-placetopay';
import { NotificationInbox } from '../../lib/notifications/notification-inbox';
import { PlacetoPaySimulator, TEST_CARDS } from 'nestjs-placetopay/testing';
import { randomBytes } from 'node:crypto';
import { enginesUnderTest, type Engine } from '../support/databases';
import { LOGIN, SECRET_KEY } from '../support/fixtures';
import { captureLogs } from '../support/log-capture';
import { startPaymentsApp, type PaymentsApp } from '../support/payments-app';

const KEY = randomBytes(32).toString('hex');
const PAYER = {
  documentType: 'CC',
  document: '1040035000',
  name: 'Ana',
  surname: 'Gómez',
  email: 'ana@example.com',
};

@Injectable()
class Recorder {
  readonly events: PlacetoPayEvent[] = [];

  @OnPlacetoPayEvent([
    'instrument.created',
    'payment.approved',
    'payment.partially_approved',
    'payment.partial_expired',
  ])
  record(event: PlacetoPayEvent): void {
    this.events.push(event);
  }

  of(type: string, paymentId: string): PlacetoPayEvent[] {
    return this.events.filter((e) => e.type === type && e.payment.id === paymentId);
  }
}

describe.each(enginesUnderTest().map((engine) => [engine.name, engine] as const))(
  'mixed payments and stored payment methods on %s',
  (_name, engine: Engine) => {
    let app: PaymentsApp;
    let simulator: PlacetoPaySimulator;
    let recorder: Recorder;
    let counter = 0;
    const logs = captureLogs();
    const reference = () => `ST-${engine.name}-${++counter}`;
    const order = (overrides: Partial<CreatePaymentInput> = {}): CreatePaymentInput => ({
      reference: reference(),
      description: 'Monthly coffee',
      amount: { currency: 'COP', total: 100_000 },
      returnUrl: 'https://shop.example.com/return',
      ipAddress: '127.0.0.1',
      userAgent: 'jest',
      ...overrides,
    });

    beforeAll(async () => {
      simulator = await new PlacetoPaySimulator({
        sites: [{ login: LOGIN, secretKey: SECRET_KEY }],
        tickMs: 0,
      }).start();
      app = await startPaymentsApp(
        engine,
        { baseUrl: simulator.url, instrumentKey: KEY, eventPollMs: 0, timeoutMs: 300 },
        logs,
        { providers: [Recorder], listen: true },
      );
      recorder = app.moduleRef.get(Recorder);
      // PlacetoPay posts its notifications to the app's webhook.
      simulator.sites[0].notificationUrl = `${app.url}/placetopay/notification`;
    });
    afterEach(() => simulator.faults.clear());
    afterAll(async () => {
      await app.close();
      await simulator.stop();
      // No token, subtoken or key in any log line of the suite.
      const text = logs.text();
      for (const instrument of simulator.instruments(LOGIN)) {
        expect(text).not.toContain(instrument.token);
        expect(text).not.toContain(instrument.subtoken);
      }
      expect(text).not.toContain(KEY);
      expect(text).not.toContain(SECRET_KEY);
    });

    async function subscribe(): Promise<{ instrumentId: string; token: string }> {
      const { payment, requestId } = await app.service.createSubscription({
        reference: reference(),
        description: 'Save my card',
        returnUrl: 'https://shop.example.com/cards',
        ipAddress: '127.0.0.1',
        userAgent: 'jest',
        payer: PAYER,
      });
      expect(payment).toMatchObject({ kind: 'subscription', amountMinor: 0, status: 'PENDING' });
      simulator.approve(requestId);
      const settled = await app.service.syncPayment(requestId);
      expect(settled.status).toBe(PaymentStatus.APPROVED);
      const [instrument] = await app.service.listInstruments(payment.reference);
      const token = simulator.instruments(LOGIN).at(-1)!.token;
      return { instrumentId: instrument.id, token };
    }

    it('settles a mixed payment paid in two parts', async () => {
      const { payment, requestId } = await app.service.createPayment(order({ allowPartial: true }));
      expect(payment.allowPartial).toBe(true);
      simulator.approve(requestId, { amount: 40_000 });
      expect(await app.service.syncPayment(requestId)).toMatchObject({
        status: PaymentStatus.APPROVED_PARTIAL,
        paidMinor: 4_000_000,
      });
      simulator.approve(requestId, { amount: 60_000 });
      expect(await app.service.syncPayment(requestId)).toMatchObject({
        status: PaymentStatus.APPROVED,
        paidMinor: 10_000_000,
      });
      await app.service.deliverPendingEvents();
      expect(recorder.of('payment.partially_approved', payment.id)).toHaveLength(1);
      expect(recorder.of('payment.approved', payment.id)).toHaveLength(1);
    });

    it('ends a mixed payment PARTIAL_EXPIRED with what was paid when the session expires', async () => {
      const { payment, requestId } = await app.service.createPayment(order({ allowPartial: true }));
      simulator.approve(requestId, { amount: 30_000 });
      await app.service.syncPayment(requestId);
      simulator.expire(requestId);
      expect(await app.service.syncPayment(requestId)).toMatchObject({
        status: PaymentStatus.PARTIAL_EXPIRED,
        paidMinor: 3_000_000,
        openReference: null,
      });
      await app.service.deliverPendingEvents();
      expect(recorder.of('payment.partial_expired', payment.id)).toHaveLength(1);
    });

    it('passes recurring through to the session, and refuses it with allowPartial', async () => {
      const recurring = {
        periodicity: 'M' as const,
        interval: 1,
        maxPeriods: 12,
        notificationUrl: 'https://shop.example.com/placetopay/recurring-notification',
      };
      const { requestId } = await app.service.createPayment(order({ recurring }));
      const echoed = simulator.session(requestId)!.request as { payment: { recurring: unknown } };
      expect(echoed.payment.recurring).toMatchObject(recurring);

      const payments = await app.payments.count();
      const sessions = simulator.calls.createSession;
      await expect(
        app.service.createPayment(order({ recurring, allowPartial: true })),
      ).rejects.toThrow(/payment\.recurring.*cannot be combined with allowPartial/);
      await expect(
        app.service.createPayment(
          order({ recurring: { ...recurring, periodicity: 'W' as never } }),
        ),
      ).rejects.toThrow(/payment\.recurring\.periodicity/);
      expect(await app.payments.count()).toBe(payments);
      expect(simulator.calls.createSession).toBe(sessions);
    });

    it('stores a subscribed card with its token encrypted, then charges it', async () => {
      const { instrumentId, token } = await subscribe();
      const instrument = (await app.service.findInstrument(instrumentId))!;
      expect(instrument).toMatchObject({
        type: 'card',
        status: 'active',
        lastDigits: TEST_CARDS.approve.slice(-4),
        payer: PAYER,
      });
      expect(instrument.validUntil).toMatch(/^\d{4}-12-31$/);
      expect(JSON.stringify(instrument)).not.toContain(token);
      expect('tokenCiphertext' in instrument).toBe(false);

      // The raw row holds ciphertext only.
      const [raw] = await app.dataSource.query(
        `SELECT * FROM placetopay_instruments WHERE id = '${instrumentId}'`,
      );
      const subtoken = simulator.instruments(LOGIN).at(-1)!.subtoken;
      expect(JSON.stringify(raw)).not.toContain(token);
      expect(JSON.stringify(raw)).not.toContain(subtoken);
      expect(String(raw.tokenCiphertext)).toMatch(/^v1\.[0-9a-f]{12}\./);

      await app.service.deliverPendingEvents();
      const [created] = recorder.events.filter(
        (e) => e.type === 'instrument.created' && e.details?.instrumentId === instrumentId,
      );
      expect(created.details).toMatchObject({ type: 'card', lastDigits: instrument.lastDigits });
      expect(JSON.stringify(created)).not.toContain(token);
      // Nor does any stored snapshot or event payload.
      const dump = JSON.stringify([
        await app.dataSource.query('SELECT * FROM placetopay_payments'),
        await app.dataSource.query('SELECT * FROM placetopay_payment_events'),
      ]);
      expect(dump).not.toContain(token);
      expect(dump).not.toContain(subtoken);

      const collects = simulator.calls.collect;
      const charge = await app.service.chargeInstrument(instrumentId, {
        reference: reference(),
        description: 'Monthly coffee, November',
        amount: { currency: 'COP', total: 45_000 },
      });
      expect(simulator.calls.collect).toBe(collects + 1);
      expect(charge.payment).toMatchObject({
        kind: 'collect',
        status: PaymentStatus.APPROVED,
        amountMinor: 4_500_000,
        paidMinor: 4_500_000,
        requestId: charge.requestId,
        lastDigits: instrument.lastDigits,
      });
      await app.service.deliverPendingEvents();
      expect(recorder.of('payment.approved', charge.payment.id)).toHaveLength(1);
    });

    it('saves the card of a payment only when the buyer opts in', async () => {
      const saved = await app.service.createPayment(order({ subscribe: true }));
      simulator.approve(saved.requestId, { subscribe: true });
      await app.service.syncPayment(saved.requestId);
      expect(await app.service.listInstruments(saved.payment.reference)).toHaveLength(1);

      const declined = await app.service.createPayment(order({ subscribe: true }));
      simulator.approve(declined.requestId, { subscribe: false });
      await app.service.syncPayment(declined.requestId);
      expect(await app.service.listInstruments(declined.payment.reference)).toHaveLength(0);
    });

    it('revokes a stored method at PlacetoPay and refuses to charge it afterwards', async () => {
      const { instrumentId, token } = await subscribe();
      const revoked = await app.service.revokeInstrument(instrumentId);
      expect(revoked).toMatchObject({ status: 'revoked' });
      expect(revoked.revokedAt).toBeInstanceOf(Date);
      expect(simulator.instruments(LOGIN).find((i) => i.token === token)?.valid).toBe(false);

      const payments = await app.payments.count();
      const collects = simulator.calls.collect;
      await expect(
        app.service.chargeInstrument(instrumentId, {
          reference: reference(),
          description: 'After revoking',
          amount: { currency: 'COP', total: 1_000 },
        }),
      ).rejects.toBeInstanceOf(PlacetoPayInstrumentRevokedError);
      expect(await app.payments.count()).toBe(payments);
      expect(simulator.calls.collect).toBe(collects);
    });

    it('keeps a method whose revocation answer was lost unchargeable, and finishes on a retry', async () => {
      const { instrumentId, token } = await subscribe();
      // PlacetoPay invalidates the token, then the answer is lost.
      simulator.faults.inject(
        'invalidateToken',
        { type: 'status', status: 502 },
        {
          times: 1,
          when: 'after',
        },
      );
      await expect(app.service.revokeInstrument(instrumentId)).rejects.toThrow();
      expect(await app.service.findInstrument(instrumentId)).toMatchObject({ status: 'revoking' });
      await expect(
        app.service.chargeInstrument(instrumentId, {
          reference: reference(),
          description: 'While revoking',
          amount: { currency: 'COP', total: 1_000 },
        }),
      ).rejects.toBeInstanceOf(PlacetoPayInstrumentRevokedError);
      // Again: PlacetoPay now calls the token invalid, which is what was asked.
      expect(await app.service.revokeInstrument(instrumentId)).toMatchObject({ status: 'revoked' });
      expect(simulator.instruments(LOGIN).find((i) => i.token === token)?.valid).toBe(false);
    });

    it('saves several methods under one customer reference', async () => {
      const customer = reference();
      for (let i = 0; i < 2; i++) {
        const { requestId } = await app.service.createSubscription({
          reference: customer,
          description: 'Save my card',
          returnUrl: 'https://shop.example.com/cards',
          ipAddress: '127.0.0.1',
          userAgent: 'jest',
          payer: PAYER,
        });
        simulator.approve(requestId);
        await app.service.syncPayment(requestId);
      }
      expect(await app.service.listInstruments(customer)).toHaveLength(2);
    });

    it('never retries a collect that timed out; the probe settles it from its notification', async () => {
      const { instrumentId } = await subscribe();
      const inbox = app.moduleRef.get(NotificationInbox);
      const collects = simulator.calls.collect;
      // PlacetoPay charges the card, then the answer is lost.
      simulator.faults.inject('collect', { type: 'hang' }, { times: 1, when: 'after' });
      const chargeReference = reference();
      const error = await app.service
        .chargeInstrument(instrumentId, {
          reference: chargeReference,
          description: 'Lost answer',
          amount: { currency: 'COP', total: 20_000 },
        })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PlacetoPayUnavailableError);
      expect(simulator.calls.collect).toBe(collects + 1);
      const [unknown] = await app.service.listByReference(chargeReference);
      expect(unknown).toMatchObject({
        kind: 'collect',
        status: PaymentStatus.UNKNOWN,
        requestId: null,
        needsReview: true,
      });

      // The charge's own notification reaches the webhook under a requestId nobody knows yet.
      await simulator.notifications.settled();
      await inbox.idle();
      const summary = await app.service.runProbe();
      expect(summary.chargesMatched).toBe(1);
      expect(simulator.calls.collect).toBe(collects + 1);
      const settled = (await app.service.listByReference(chargeReference))[0];
      expect(settled).toMatchObject({
        status: PaymentStatus.APPROVED,
        needsReview: false,
        amountMinor: 2_000_000,
      });
      expect(settled.requestId).toBeGreaterThan(0);
      await app.service.deliverPendingEvents();
      expect(recorder.of('payment.approved', settled.id)).toHaveLength(1);
    });
  },
);
