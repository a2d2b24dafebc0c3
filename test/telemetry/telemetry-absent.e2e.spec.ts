import { Injectable } from '@nestjs/common';
import * as otel from '@opentelemetry/api';
import {
  OnPlacetoPayEvent,
  PaymentStatus,
  PlacetoPayPaymentEvent,
  type PlacetoPayEvent,
} from 'nestjs-placetopay';
import type { PeerLoad } from '../../lib/common/load-peer';
import { reloadTelemetry } from '../../lib/common/telemetry';
import { NotificationInbox } from '../../lib/notifications/notification-inbox';
import { enginesUnderTest } from '../support/databases';
import { captureLogs } from '../support/log-capture';
import { startSimulatedPayments, type SimulatedPayments } from '../support/simulated-payments';
import { installTelemetry, pointsOf, type TestTelemetry } from '../support/telemetry';

@Injectable()
class Listener {
  readonly heard: PlacetoPayEvent[] = [];

  @OnPlacetoPayEvent('payment.approved')
  onApproved(event: PlacetoPayEvent): void {
    this.heard.push(event);
  }
}

const sqlite = enginesUnderTest().find((engine) => engine.name === 'sqlite')!;

/**
 * The module with `@opentelemetry/api` as the host may have it: not installed at all, or an early
 * 1.x without the metrics API. An SDK is registered all the same, to see what reaches it.
 */
const CASES: Array<[string, PeerLoad, { spans: boolean }]> = [
  ['not installed (the loader finds nothing)', () => undefined, { spans: false }],
  [
    'failing to load',
    (): unknown => {
      throw new Error('broken install');
    },
    { spans: false },
  ],
  ['an early 1.x without metrics', () => ({ ...otel, metrics: undefined }), { spans: true }],
];

describe.each(CASES)('with @opentelemetry/api %s', (_name, load, expected) => {
  const logs = captureLogs();
  let telemetry: TestTelemetry;
  let harness: SimulatedPayments;

  beforeAll(async () => {
    telemetry = installTelemetry();
    reloadTelemetry(load);
    harness = await startSimulatedPayments(sqlite, logs, { listen: true, providers: [Listener] });
    harness.simulator.sites[0].notificationUrl = `${harness.app.url}/placetopay/notification`;
  });

  afterAll(async () => {
    await harness?.close();
    reloadTelemetry();
    await telemetry?.stop();
  });

  it('creates, settles and delivers a payment; exports no metric', async () => {
    const { app, simulator } = harness;
    const created = await app.service.createPayment({
      reference: 'NO-OTEL-1',
      description: 'Coffee',
      amount: { currency: 'COP', total: 100_000 },
      returnUrl: 'https://shop.example.com/return',
      ipAddress: '127.0.0.1',
      userAgent: 'jest',
    });
    simulator.approve(created.requestId);
    await simulator.notifications.settled();
    expect(simulator.notifications.sent.at(-1)).toMatchObject({ responseStatus: 200 });
    await app.moduleRef.get(NotificationInbox).idle();
    expect((await app.service.findByRequestId(created.requestId))?.status).toBe(
      PaymentStatus.APPROVED,
    );
    await app.dispatcher.drain();
    expect(app.moduleRef.get(Listener).heard.map((event) => event.type)).toEqual([
      'payment.approved',
    ]);
    await app.service.runProbe();

    expect(pointsOf(await telemetry.collect(), 'placetopay.notifications')).toEqual([]);
    expect((await telemetry.collect()).length).toBe(0);
    const names = telemetry.spans().map((span) => span.name);
    const event = await app.dataSource
      .getRepository(PlacetoPayPaymentEvent)
      .findOneByOrFail({ paymentId: created.payment.id, type: 'payment.approved' });
    if (expected.spans) {
      expect(names).toEqual(
        expect.arrayContaining([
          'placetopay.gateway createSession',
          'placetopay.webhook session',
          'placetopay.deliver Listener.onApproved',
          'placetopay.probe pass',
        ]),
      );
      expect(event.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    } else {
      expect(names).toEqual([]);
      expect(event.traceparent).toBeNull();
    }
  });
});
