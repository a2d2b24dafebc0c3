import { getPlacetoPayServiceToken, type PlacetoPayService } from 'nestjs-placetopay';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NotificationInbox } from '../../lib/notifications/notification-inbox';
import { SAMPLE_SITES, bootstrapSample, type RunningSample } from '../../sample/bootstrap';
import { captureLogs } from '../support/log-capture';
import { siteProvider } from '../support/site-internals';

describe.each([
  ['with the flag', true],
  ['without it', false],
] as const)('the sample shop %s', (_name, withMetrics) => {
  const logs = captureLogs();
  const keyDir = mkdtempSync(join(tmpdir(), 'sample-metrics-key-'));
  let sample: RunningSample;

  beforeAll(async () => {
    process.env.SAMPLE_DATABASE = ':memory:';
    process.env.SAMPLE_INSTRUMENT_KEY_FILE = join(keyDir, 'key');
    sample = await bootstrapSample(0, withMetrics);
    sample.app.useLogger(logs);
  });

  afterAll(async () => {
    await sample?.close();
    delete process.env.SAMPLE_DATABASE;
    delete process.env.SAMPLE_INSTRUMENT_KEY_FILE;
    rmSync(keyDir, { recursive: true, force: true });
  });

  it(
    withMetrics ? 'serves its metrics on /metrics for Prometheus' : 'has no /metrics page',
    async () => {
      // The Colombian site of the two-site shop.
      const service = sample.app.get<PlacetoPayService>(getPlacetoPayServiceToken('co'));
      const simulator = sample.simulators.co!;
      const { requestId } = await service.createPayment({
        reference: 'METRICS-1',
        description: 'Coffee',
        amount: { currency: 'COP', total: 32_000 },
        returnUrl: `${sample.url}/return`,
        ipAddress: '127.0.0.1',
        userAgent: 'jest',
      });
      simulator.approve(requestId);
      await simulator.notifications.settled();
      await siteProvider<NotificationInbox>(sample.app, 'co', NotificationInbox).idle();

      const response = await fetch(`${sample.url}/metrics`);
      if (!withMetrics) {
        expect(response.status).toBe(404);
        return;
      }
      expect(response.status).toBe(200);
      const text = await response.text();
      /** The sample's value of `metric` with these labels (the exporter adds otel_scope_name). */
      const valueIn = (metric: string, labels: string) =>
        new RegExp(
          `^${metric}\\{${labels},otel_scope_name="nestjs-placetopay"\\} (\\S+)$`,
          'm',
        ).exec(text)?.[1];
      const site = 'placetopay_site="co"';
      expect(
        valueIn(
          'placetopay_notifications_total',
          `${site},placetopay_route="session",placetopay_outcome="accepted"`,
        ),
      ).toBe('1');
      expect(
        valueIn('placetopay_payments_final_total', `${site},placetopay_status="APPROVED"`),
      ).toBe('1');
      expect(
        valueIn(
          'placetopay_gateway_duration_count',
          `${site},placetopay_operation="createSession",placetopay_outcome="ok"`,
        ),
      ).toBe('1');
      expect(valueIn('placetopay_notification_settle_time_count', site)).toBe('1');
      expect(valueIn('placetopay_probe_backlog', site)).toBe('0');
      expect(valueIn('placetopay_payments_review', site)).toBe('0');
      expect(text).toContain('# TYPE placetopay_outbox_deliveries gauge');
      expect(text).not.toContain(SAMPLE_SITES.co.secretKey);
      expect(text).not.toContain(SAMPLE_SITES.ec.secretKey);
      expect(text).not.toContain('METRICS-1');
    },
  );
});
