import type { INestApplication } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Whether the sample serves `/metrics`: `SAMPLE_METRICS=1`, or `npm run sample -- --metrics`. */
export function metricsWanted(): boolean {
  return process.env.SAMPLE_METRICS === '1' || process.argv.includes('--metrics');
}

export interface SampleMetrics {
  /** Adds `GET /metrics` (Prometheus' text format) to the app's own HTTP server. */
  serve(app: INestApplication): void;
  stop(): Promise<void>;
}

/**
 * The OpenTelemetry metrics SDK with a Prometheus exporter, registered globally: what a host does
 * (docs/operations.md). Registered before the app is created, so the module's observable gauges
 * find it at start-up. Served on the app's own port instead of the exporter's server.
 */
export function startSampleMetrics(): SampleMetrics {
  const exporter = new PrometheusExporter({ preventServerStart: true });
  const provider = new MeterProvider({ readers: [exporter] });
  metrics.setGlobalMeterProvider(provider);
  return {
    serve(app) {
      app
        .getHttpAdapter()
        .get('/metrics', (request: IncomingMessage, response: ServerResponse) =>
          exporter.getMetricsRequestHandler(request, response),
        );
    },
    async stop() {
      await provider.shutdown();
      metrics.disable();
    },
  };
}
