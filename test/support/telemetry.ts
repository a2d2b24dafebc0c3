import { context, metrics, trace, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base';

/** A reader collected by hand: `collect()` runs every observable callback once. */
class CollectingReader extends MetricReader {
  protected async onShutdown(): Promise<void> {}
  protected async onForceFlush(): Promise<void> {}
}

/** One exported data point, flattened: a counter's or gauge's value, a histogram's count and sum. */
export interface MetricPoint {
  name: string;
  unit: string;
  attributes: Attributes;
  value: number;
  count?: number;
  sum?: number;
}

export interface TestTelemetry {
  /** Every span ended since the start (or the last `reset`). */
  spans(): ReadableSpan[];
  reset(): void;
  /** Collects the metrics now (cumulative), one entry per data point. */
  collect(): Promise<MetricPoint[]>;
  /** Shuts the SDK down and unregisters the global providers. */
  stop(): Promise<void>;
}

/**
 * The real OpenTelemetry SDK, registered globally for one test file: an AsyncLocalStorage
 * context manager, a tracer provider exporting to memory, a meter provider read by hand.
 */
export function installTelemetry(): TestTelemetry {
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  trace.setGlobalTracerProvider(tracerProvider);
  const reader = new CollectingReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(meterProvider);
  return {
    spans: () => exporter.getFinishedSpans(),
    reset: () => exporter.reset(),
    async collect() {
      const { resourceMetrics, errors } = await reader.collect();
      if (errors.length > 0) throw errors[0];
      return resourceMetrics.scopeMetrics.flatMap((scope) =>
        scope.metrics.flatMap((metric) =>
          (metric.dataPoints as Array<{ attributes: Attributes; value: unknown }>).map((point) => {
            const { name, unit } = metric.descriptor;
            if (typeof point.value === 'number') {
              return { name, unit, attributes: point.attributes, value: point.value };
            }
            const { count, sum } = point.value as { count: number; sum: number };
            return { name, unit, attributes: point.attributes, value: count, count, sum };
          }),
        ),
      );
    },
    async stop() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
      trace.disable();
      metrics.disable();
      context.disable();
    },
  };
}

/** The data points of metric `name` whose attributes include `attributes`. */
export function pointsOf(
  points: MetricPoint[],
  name: string,
  attributes: Attributes = {},
): MetricPoint[] {
  return points.filter(
    (point) =>
      point.name === name &&
      Object.entries(attributes).every(([key, value]) => point.attributes[key] === value),
  );
}

/** The value of the one data point of `name` with exactly these attributes (0 when none). */
export function valueOf(points: MetricPoint[], name: string, attributes: Attributes): number {
  const found = points.filter(
    (point) =>
      point.name === name &&
      Object.keys(point.attributes).length === Object.keys(attributes).length &&
      Object.entries(attributes).every(([key, value]) => point.attributes[key] === value),
  );
  if (found.length > 1) throw new Error(`${found.length} points of ${name} match`);
  return found[0]?.value ?? 0;
}

/** Asserts the value of the one data point of `name` with exactly these attributes. */
export function expectValue(
  points: MetricPoint[],
  name: string,
  attributes: Attributes,
  expected: number,
): void {
  expect({ name, attributes, value: valueOf(points, name, attributes) }).toEqual({
    name,
    attributes,
    value: expected,
  });
}
