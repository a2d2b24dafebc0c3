import { Injectable, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import {
  OnPlacetoPayEvent,
  PLACETOPAY_ENTITIES,
  PLACETOPAY_MIGRATIONS,
  PaymentStatus,
  PlacetoPayClient,
  PlacetoPayModule,
  PlacetoPayPayment,
  PlacetoPayPaymentEvent,
  PlacetoPayService,
  getPlacetoPayClientToken,
  getPlacetoPayServiceToken,
  type CreatePaymentInput,
  type PlacetoPayEvent,
} from 'nestjs-placetopay';
import { PlacetoPaySimulator, signNotification } from 'nestjs-placetopay/testing';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { DataSource } from 'typeorm';
import { EventDispatcher } from '../../lib/events/event-dispatcher';
import { NotificationInbox } from '../../lib/notifications/notification-inbox';
import { captureLogs } from '../support/log-capture';
import { siteProvider } from '../support/site-internals';
import {
  installTelemetry,
  expectValue,
  pointsOf,
  valueOf,
  type MetricPoint,
  type TestTelemetry,
} from '../support/telemetry';
import { postBody } from '../support/webhook-app';

const CO = { login: 'otel-co-login', secretKey: 'co-otel-secret-key-0001' };
const EC = { login: 'otel-ec-login', secretKey: 'ec-otel-secret-key-0002' };
const CARD = '4111111111111111';

@Injectable()
class Listeners {
  readonly heard: PlacetoPayEvent[] = [];

  @OnPlacetoPayEvent('payment.approved')
  onApproved(event: PlacetoPayEvent): void {
    this.heard.push(event);
  }

  /** Waits for `release`, then fails (co retries it later): a delivery pending, then retrying. */
  readonly entered: Promise<void>;
  release!: () => void;
  private enter!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));

  constructor() {
    this.entered = new Promise<void>((resolve) => (this.enter = resolve));
  }

  @OnPlacetoPayEvent('payment.approved', { site: 'co' })
  async onCoApproved(): Promise<void> {
    this.enter();
    await this.gate;
    throw new Error('not now');
  }

  /** Fails with what must never be exported: a card number and the reference. */
  @OnPlacetoPayEvent('payment.approved', { site: 'ec' })
  onEcApproved(event: PlacetoPayEvent): void {
    throw new Error(`card ${CARD} of ${event.payment.reference} refused by ${EC.secretKey}`);
  }
}

const siteOptions = (
  site: { login: string; secretKey: string },
  baseUrl: string,
  eventMaxAttempts: number,
) => ({
  ...site,
  baseUrl,
  eventPollMs: 0,
  eventMaxAttempts,
  queryAttempts: 1,
  timeoutMs: 2_000,
  probeEnabled: false,
  probeFirstCheckMs: 0,
});

const order = (reference: string, currency = 'COP'): CreatePaymentInput => ({
  reference,
  description: 'Coffee',
  amount: { currency, total: currency === 'COP' ? 100_000 : 25 },
  returnUrl: 'https://shop.example.com/return',
  ipAddress: '127.0.0.1',
  userAgent: 'jest',
});

describe('OpenTelemetry metrics and spans (real SDK, two sites, simulators)', () => {
  const logs = captureLogs();
  let telemetry: TestTelemetry;
  let simCo: PlacetoPaySimulator;
  let simEc: PlacetoPaySimulator;
  let app: INestApplication;
  let url: string;
  let co: PlacetoPayService;
  let ec: PlacetoPayService;
  let listeners: Listeners;
  const references: string[] = [];

  beforeAll(async () => {
    telemetry = installTelemetry();
    simCo = await new PlacetoPaySimulator({ sites: [{ ...CO }], tickMs: 0 }).start();
    simEc = await new PlacetoPaySimulator({ sites: [{ ...EC }], tickMs: 0 }).start();
    const moduleRef = await Test.createTestingModule({
      providers: [Listeners],
      imports: [
        TypeOrmModule.forRoot({
          type: 'better-sqlite3',
          database: ':memory:',
          entities: PLACETOPAY_ENTITIES,
          migrations: PLACETOPAY_MIGRATIONS,
          migrationsRun: true,
        }),
        PlacetoPayModule.forRoot({ name: 'co', ...siteOptions(CO, simCo.url, 3) }),
        PlacetoPayModule.forRoot({ name: 'ec', ...siteOptions(EC, simEc.url, 1) }),
      ],
    })
      .setLogger(logs)
      .compile();
    app = moduleRef.createNestApplication();
    app.useLogger(logs);
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    co = app.get(getPlacetoPayServiceToken('co'));
    listeners = app.get(Listeners);
    ec = app.get(getPlacetoPayServiceToken('ec'));
    simCo.sites[0].notificationUrl = `${url}/placetopay/notification/co`;
    simEc.sites[0].notificationUrl = `${url}/placetopay/notification/ec`;
  });

  afterAll(async () => {
    await app?.close();
    await simCo?.stop();
    await simEc?.stop();
    await telemetry?.stop();
  });

  /** Every span of the file, for the test that looks for what must not be exported. */
  const allSpans: ReadableSpan[] = [];
  beforeEach(() => telemetry.reset());
  afterEach(() => allSpans.push(...telemetry.spans()));

  const create = (service: PlacetoPayService, reference: string, currency?: string) => {
    references.push(reference);
    return service.createPayment(order(reference, currency));
  };

  async function settle(simulator: PlacetoPaySimulator, site: string): Promise<void> {
    await simulator.notifications.settled();
    await siteProvider<NotificationInbox>(app, site, NotificationInbox).idle();
  }

  const spansNamed = (name: string) => telemetry.spans().filter((span) => span.name === name);

  it('traces and measures a payment from creation to its listeners, per site', async () => {
    const onCo = await create(co, 'OTEL-CO-1');
    const onEc = await create(ec, 'OTEL-EC-1', 'USD');

    // createSession: a CLIENT span per site, and its duration.
    const creations = spansNamed('placetopay.gateway createSession');
    expect(creations.map((span) => span.attributes['placetopay.site']).sort()).toEqual([
      'co',
      'ec',
    ]);
    for (const span of creations) {
      expect(span.kind).toBe(SpanKind.CLIENT);
      expect(span.attributes).toMatchObject({
        'placetopay.operation': 'createSession',
        'placetopay.outcome': 'ok',
        'http.response.status_code': 200,
      });
    }

    simCo.approve(onCo.requestId);
    await settle(simCo, 'co');
    simEc.approve(onEc.requestId);
    await settle(simEc, 'ec');
    expect((await co.findByRequestId(onCo.requestId))?.status).toBe(PaymentStatus.APPROVED);

    // The webhook: one SERVER span per site, and the settlement's query in its trace.
    const webhooks = spansNamed('placetopay.webhook session');
    const coWebhook = webhooks.find((span) => span.attributes['placetopay.site'] === 'co')!;
    expect(webhooks).toHaveLength(2);
    expect(coWebhook.kind).toBe(SpanKind.SERVER);
    expect(coWebhook.attributes).toMatchObject({
      'placetopay.route': 'session',
      'placetopay.outcome': 'accepted',
    });
    const coQuery = spansNamed('placetopay.gateway getSession').find(
      (span) => span.attributes['placetopay.site'] === 'co',
    )!;
    expect(coQuery.spanContext().traceId).toBe(coWebhook.spanContext().traceId);
    expect(coQuery.parentSpanContext?.spanId).toBe(coWebhook.spanContext().spanId);

    // The event row keeps the webhook's trace context.
    const events = app.get(DataSource).getRepository(PlacetoPayPaymentEvent);
    const approved = await events.findOneByOrFail({
      paymentId: onCo.payment.id,
      type: 'payment.approved',
    });
    const { traceId, spanId } = coWebhook.spanContext();
    expect(approved.traceparent).toBe(`00-${traceId}-${spanId}-01`);

    let points = await telemetry.collect();
    for (const site of ['co', 'ec']) {
      const at = { 'placetopay.site': site };
      expectValue(
        points,
        'placetopay.notifications',
        {
          ...at,
          'placetopay.route': 'session',
          'placetopay.outcome': 'accepted',
        },
        1,
      );
      expectValue(
        points,
        'placetopay.payments.final',
        { ...at, 'placetopay.status': 'APPROVED' },
        1,
      );
      const [settleTime] = pointsOf(points, 'placetopay.notification.settle_time', at);
      expect(settleTime).toMatchObject({ unit: 's', count: 1 });
      expect(settleTime.sum).toBeGreaterThanOrEqual(0);
      expectValue(
        points,
        'placetopay.gateway.duration',
        {
          ...at,
          'placetopay.operation': 'createSession',
          'placetopay.outcome': 'ok',
        },
        1,
      );
    }
    const dispatcher = (site: string) => siteProvider<EventDispatcher>(app, site, EventDispatcher);
    const outbox = (site: string, listener: string, state: string, expected: number) =>
      expectValue(
        points,
        'placetopay.outbox.deliveries',
        {
          'placetopay.site': site,
          'placetopay.listener': `Listeners.${listener}`,
          'placetopay.state': state,
        },
        expected,
      );
    // Each commit started a delivery pass: ec's has ended; co's waits in onCoApproved.
    await listeners.entered;
    await dispatcher('ec').idle();
    points = await telemetry.collect();
    outbox('co', 'onCoApproved', 'pending', 1);
    outbox('co', 'onCoApproved', 'retrying', 0);
    outbox('ec', 'onApproved', 'pending', 0);
    outbox('ec', 'onEcApproved', 'dead', 1);
    expect(pointsOf(points, 'placetopay.outbox.deliveries')[0].unit).toBe('{delivery}');
    listeners.release();
    await dispatcher('co').idle();
    points = await telemetry.collect();
    outbox('co', 'onCoApproved', 'pending', 0);
    outbox('co', 'onCoApproved', 'retrying', 1);
    outbox('co', 'onApproved', 'pending', 0);
    outbox('co', 'onApproved', 'dead', 0);

    // Deliveries: a CONSUMER span each, linked to the webhook's span.
    const delivery = spansNamed('placetopay.deliver Listeners.onApproved').find(
      (span) => span.attributes['placetopay.site'] === 'co',
    )!;
    expect(delivery.kind).toBe(SpanKind.CONSUMER);
    expect(delivery.attributes).toMatchObject({
      'placetopay.listener': 'Listeners.onApproved',
      'placetopay.event_type': 'payment.approved',
    });
    expect(delivery.links.map((link) => link.context)).toEqual([
      expect.objectContaining({ traceId, spanId }),
    ]);
    expect(delivery.spanContext().traceId).not.toBe(traceId);
    // A failing listener: the span says so by type, never with the error's message.
    const failed = spansNamed('placetopay.deliver Listeners.onEcApproved')[0];
    expect(failed.status).toEqual({ code: SpanStatusCode.ERROR, message: 'listener failed' });
    expect(failed.events.map((event) => event.attributes)).toEqual([
      { 'exception.type': 'Error', 'exception.message': 'listener failed' },
    ]);
  });

  it('counts duplicate, forged and invalid notifications per route, each in a webhook span', async () => {
    const onCo = await create(co, 'OTEL-CO-2');
    const status = {
      status: 'APPROVED',
      reason: '00',
      message: 'ok',
      date: new Date().toISOString(),
    };
    const notification = (secretKey: string) => ({
      requestId: onCo.requestId,
      reference: 'OTEL-CO-2',
      status,
      signature: signNotification({
        requestId: onCo.requestId,
        status: status.status,
        date: status.date,
        secretKey,
      }),
    });
    const route = `${url}/placetopay/notification/co`;
    expect((await postBody(route, notification(CO.secretKey))).status).toBe(200);
    expect((await postBody(route, notification(CO.secretKey))).status).toBe(200);
    expect((await postBody(route, notification(EC.secretKey))).status).toBe(401);
    expect((await postBody(route, { requestId: onCo.requestId })).status).toBe(400);
    expect((await postBody(`${url}/placetopay/recurring-notification/ec`, {})).status).toBe(400);
    await siteProvider<NotificationInbox>(app, 'co', NotificationInbox).idle();

    const outcomes = spansNamed('placetopay.webhook session').map(
      (span) => span.attributes['placetopay.outcome'],
    );
    expect(outcomes).toEqual(['accepted', 'duplicate', 'forged', 'invalid']);
    const forged = spansNamed('placetopay.webhook session')[2];
    expect(forged.status).toMatchObject({ code: SpanStatusCode.ERROR, message: 'forged' });
    expect(spansNamed('placetopay.webhook recurring')[0].attributes).toMatchObject({
      'placetopay.site': 'ec',
      'placetopay.route': 'recurring',
      'placetopay.outcome': 'invalid',
    });

    const points = await telemetry.collect();
    const count = (outcome: string, routeName = 'session', site = 'co') =>
      valueOf(points, 'placetopay.notifications', {
        'placetopay.site': site,
        'placetopay.route': routeName,
        'placetopay.outcome': outcome,
      });
    // Cumulative: the first test's notification is counted too.
    expect(count('accepted')).toBe(2);
    expect([count('duplicate'), count('forged'), count('invalid')]).toEqual([1, 1, 1]);
    expect(count('invalid', 'recurring', 'ec')).toBe(1);
    expect(count('forged', 'session', 'ec')).toBe(0);
  });

  it('settles each of many notifications arriving together in its own webhook trace', async () => {
    const created = [];
    for (let i = 0; i < 6; i++) created.push(await create(co, `OTEL-CO-MANY-${i}`));
    // Approved at the simulator without its notifications: the test posts them all at once.
    const notificationUrl = simCo.sites[0].notificationUrl;
    simCo.sites[0].notificationUrl = undefined;
    for (const { requestId } of created) simCo.approve(requestId);
    simCo.sites[0].notificationUrl = notificationUrl;
    const date = new Date().toISOString();
    const answers = await Promise.all(
      created.map(({ requestId }, i) =>
        postBody(`${url}/placetopay/notification/co`, {
          requestId,
          reference: `OTEL-CO-MANY-${i}`,
          status: { status: 'APPROVED', reason: '00', message: 'ok', date },
          signature: signNotification({
            requestId,
            status: 'APPROVED',
            date,
            secretKey: CO.secretKey,
          }),
        }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200]);
    await siteProvider<NotificationInbox>(app, 'co', NotificationInbox).idle();
    const events = app.get(DataSource).getRepository(PlacetoPayPaymentEvent);
    const traces = new Set<string>();
    for (const { payment } of created) {
      const approved = await events.findOneByOrFail({
        paymentId: payment.id,
        type: 'payment.approved',
      });
      traces.add(approved.traceparent!.split('-')[1]);
    }
    // Six webhook requests, six traces: none settled in another's (the queue runs them later).
    const webhooks = spansNamed('placetopay.webhook session');
    expect(webhooks).toHaveLength(6);
    expect([...traces].sort()).toEqual(webhooks.map((span) => span.spanContext().traceId).sort());
  });

  it('measures every gateway outcome by operation', async () => {
    const client = app.get<PlacetoPayClient>(getPlacetoPayClientToken('ec'));
    const onEc = await create(ec, 'OTEL-EC-2', 'USD');
    const calls = (points: MetricPoint[], outcome: string) =>
      valueOf(points, 'placetopay.gateway.duration', {
        'placetopay.site': 'ec',
        'placetopay.operation': 'getSession',
        'placetopay.outcome': outcome,
      });
    const before = await telemetry.collect();
    const faults: Array<[Parameters<PlacetoPaySimulator['faults']['inject']>[1], string]> = [
      [{ type: 'status', status: 500 }, 'unavailable'],
      [{ type: 'status', status: 401 }, 'refused_auth'],
      [
        {
          type: 'status',
          status: 400,
          body: JSON.stringify({
            status: { status: 'FAILED', reason: 'XN', message: 'no', date: status() },
          }),
        },
        'rejected',
      ],
      [{ type: 'reset' }, 'network'],
      [{ type: 'hang' }, 'timeout'],
    ];
    for (const [fault, outcome] of faults) {
      simEc.faults.inject('getSession', fault);
      await expect(client.getSession(onEc.requestId)).rejects.toThrow();
      simEc.faults.clear();
      const span = spansNamed('placetopay.gateway getSession').at(-1)!;
      expect([span.attributes['placetopay.outcome'], span.status.code]).toEqual([
        outcome,
        SpanStatusCode.ERROR,
      ]);
    }
    const spans = spansNamed('placetopay.gateway getSession');
    expect(spans.map((span) => span.attributes['http.response.status_code'])).toEqual([
      500,
      401,
      400,
      undefined,
      undefined,
    ]);
    const after = await telemetry.collect();
    for (const [, outcome] of faults) {
      // One more each (the start-up credential check already made one `rejected`).
      expect([outcome, calls(after, outcome) - calls(before, outcome)]).toEqual([outcome, 1]);
    }
  });

  it('traces and measures probe passes, and gauges the backlog per site', async () => {
    const url = simEc.sites[0].notificationUrl;
    simEc.sites[0].notificationUrl = undefined;
    try {
      await create(ec, 'OTEL-EC-3', 'USD');
      await create(ec, 'OTEL-EC-4', 'USD');
      let points = await telemetry.collect();
      const backlog = (site: string) =>
        valueOf(points, 'placetopay.probe.backlog', { 'placetopay.site': site });
      expect(backlog('ec')).toBeGreaterThanOrEqual(2);
      // co's unsettled payment of the webhook test (its notification said APPROVED, its session
      // does not) is due as well, on co only.
      const coBacklog = backlog('co');
      expect(coBacklog).toBe(1);
      expect(pointsOf(points, 'placetopay.probe.backlog')[0].unit).toBe('{payment}');

      await ec.runProbe();
      const [pass] = spansNamed('placetopay.probe pass');
      expect(pass.attributes).toEqual({ 'placetopay.site': 'ec' });
      // The pass's queries are its children.
      const queries = spansNamed('placetopay.gateway getSession');
      expect(queries.length).toBeGreaterThanOrEqual(2);
      for (const query of queries) {
        expect(query.parentSpanContext?.spanId).toBe(pass.spanContext().spanId);
      }
      points = await telemetry.collect();
      expect(backlog('ec')).toBe(0);
      expect(backlog('co')).toBe(coBacklog);
      const [duration] = pointsOf(points, 'placetopay.probe.pass.duration', {
        'placetopay.site': 'ec',
      });
      expect(duration).toMatchObject({ unit: 's', count: 1 });
    } finally {
      simEc.sites[0].notificationUrl = url;
    }
  });

  it('gauges the review list per site', async () => {
    const payments = app.get(DataSource).getRepository(PlacetoPayPayment);
    const review = async (site: string) =>
      valueOf(await telemetry.collect(), 'placetopay.payments.review', { 'placetopay.site': site });
    expect([await review('co'), await review('ec')]).toEqual([0, 0]);
    const onCo = await co.findByReference('OTEL-CO-2');
    await payments.update({ id: onCo!.id }, { needsReview: true, reviewReason: 'test' });
    expect([await review('co'), await review('ec')]).toEqual([1, 0]);
  });

  it('counts a notification held while the database cannot store it', async () => {
    const onCo = await create(co, 'OTEL-CO-HELD');
    const notificationUrl = simCo.sites[0].notificationUrl;
    simCo.sites[0].notificationUrl = undefined;
    simCo.approve(onCo.requestId);
    simCo.sites[0].notificationUrl = notificationUrl;
    const date = new Date().toISOString();
    const body = {
      requestId: onCo.requestId,
      reference: 'OTEL-CO-HELD',
      status: { status: 'APPROVED', reason: '00', message: 'ok', date },
      signature: signNotification({
        requestId: onCo.requestId,
        status: 'APPROVED',
        date,
        secretKey: CO.secretKey,
      }),
    };
    const dataSource = app.get(DataSource);
    const rename = (from: string, to: string) =>
      dataSource.query(`ALTER TABLE "${from}" RENAME TO "${to}"`);
    const inbox = siteProvider<NotificationInbox>(app, 'co', NotificationInbox);
    const before = await telemetry.collect();
    await rename('placetopay_notifications', 'placetopay_notifications_away');
    try {
      expect((await postBody(`${url}/placetopay/notification/co`, body)).status).toBe(200);
      expect(inbox.heldCount).toBe(1);
    } finally {
      await rename('placetopay_notifications_away', 'placetopay_notifications');
    }
    await inbox.writeHeld();
    await inbox.idle();
    expect((await co.findByRequestId(onCo.requestId))?.status).toBe(PaymentStatus.APPROVED);
    expect(spansNamed('placetopay.webhook session')[0].attributes['placetopay.outcome']).toBe(
      'held',
    );
    const held = (points: MetricPoint[]) =>
      valueOf(points, 'placetopay.notifications', {
        'placetopay.site': 'co',
        'placetopay.route': 'session',
        'placetopay.outcome': 'held',
      });
    expect(held(await telemetry.collect()) - held(before)).toBe(1);
  });

  it('exports no secret, login, auth datum, reference or card number', async () => {
    // One more flow, with a listener failing on a card number, then everything exported.
    const onEc = await create(ec, 'OTEL-EC-9', 'USD');
    simEc.approve(onEc.requestId);
    await settle(simEc, 'ec');
    await siteProvider<EventDispatcher>(app, 'ec', EventDispatcher).drain();
    const points = await telemetry.collect();
    const spans = [...allSpans, ...telemetry.spans()];
    expect(spans.length).toBeGreaterThan(20);
    const exported = JSON.stringify({
      points,
      spans: spans.map((span) => ({
        name: span.name,
        attributes: span.attributes,
        events: span.events,
        status: span.status,
        links: span.links,
      })),
    });
    expect(exported).toContain('placetopay.webhook session');
    for (const secret of [CO.secretKey, EC.secretKey, CO.login, EC.login, CARD, ...references]) {
      expect(exported).not.toContain(secret);
    }
    expect(exported).not.toMatch(/tranKey|nonce|seed|\/api\/session/i);
  });
});

function status(): string {
  return new Date().toISOString();
}
