// The three ways a host runs the library with respect to OpenTelemetry, each set up in the process
// it measures (one process per mode: a registered SDK, or a loaded API, cannot leak into another):
// - absent: `@opentelemetry/api` cannot be required (the otel-absent.js preload);
// - api:    the API is installed and loads, but nothing is registered (its no-op providers);
// - sdk:    the real SDK registered globally: an AsyncLocalStorage context manager, a tracer
//           provider with a SimpleSpanProcessor over an InMemorySpanExporter (every span exported,
//           as it ends), a meter provider with a PeriodicExportingMetricReader over an
//           InMemoryMetricExporter, collecting every second (gauge callbacks included).
// Nothing of OpenTelemetry is imported at load time, so the `absent` process never loads it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const OTEL_MODES = ['absent', 'api', 'sdk'] as const;
export type OtelMode = (typeof OTEL_MODES)[number];

export function isOtelMode(value: unknown): value is OtelMode {
  return (OTEL_MODES as readonly unknown[]).includes(value);
}

/** The node flags a process in `mode` starts with. */
export function otelNodeFlags(mode: OtelMode): string[] {
  return mode === 'absent' ? ['--require', join(__dirname, 'otel-absent.js')] : [];
}

/** What the SDK exported since the last `take` (always zeros outside the `sdk` mode). */
export interface Exported {
  spans: number;
  metricPoints: number;
}

export interface OtelSetup {
  mode: OtelMode;
  /**
   * Whether the library in dist/ has telemetry at all (lib/common/telemetry.ts), and if so
   * whether its loader found the API: the check that each mode really is what it says.
   */
  library: string;
  /** Counts what was exported since the last call and lets it go (memory stays flat). */
  take(): Promise<Exported>;
  shutdown(): Promise<void>;
}

const LIBRARY_TELEMETRY = join(__dirname, '..', '..', 'dist', 'common', 'telemetry.js');

/** Sets `mode` up in this process (before the app starts); throws if the mode is not what it says. */
export async function setUpOtel(mode: OtelMode): Promise<OtelSetup> {
  const apiLoads = (() => {
    try {
      require.resolve('@opentelemetry/api');
      return true;
    } catch {
      return false;
    }
  })();
  if (apiLoads !== (mode !== 'absent')) {
    throw new Error(
      `mode ${mode}: @opentelemetry/api ${apiLoads ? 'resolves' : 'does not resolve'}`,
    );
  }
  const sdk = mode === 'sdk' ? await registerSdk() : undefined;
  let library = 'dist/ has no telemetry (lib/common/telemetry.ts): every mode runs the same code';
  if (existsSync(LIBRARY_TELEMETRY)) {
    // The library's own module (the same file, so the same instance the app uses).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const telemetry = require(LIBRARY_TELEMETRY) as { otelApi(): unknown };
    const found = telemetry.otelApi() !== null;
    if (found !== (mode !== 'absent')) {
      throw new Error(
        `mode ${mode}: the library's loader ${found ? 'found' : 'did not find'} the API`,
      );
    }
    library = `the library's loader ${found ? 'found' : 'did not find'} @opentelemetry/api`;
  }
  return {
    mode,
    library,
    take: async () => (sdk ? sdk.take() : { spans: 0, metricPoints: 0 }),
    shutdown: async () => sdk?.shutdown(),
  };
}

async function registerSdk(): Promise<Pick<OtelSetup, 'take' | 'shutdown'>> {
  const { context, metrics, trace } = await import('@opentelemetry/api');
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const {
    AggregationTemporality,
    InMemoryMetricExporter,
    MeterProvider,
    PeriodicExportingMetricReader,
  } = await import('@opentelemetry/sdk-metrics');
  const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } =
    await import('@opentelemetry/sdk-trace-base');
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  const spanExporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(spanExporter)],
  });
  trace.setGlobalTracerProvider(tracerProvider);
  const metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({
    exporter: metricExporter,
    exportIntervalMillis: 1000,
  });
  const meterProvider = new MeterProvider({ readers: [reader] });
  metrics.setGlobalMeterProvider(meterProvider);
  return {
    async take() {
      await reader.forceFlush();
      const spans = spanExporter.getFinishedSpans().length;
      const metricPoints = metricExporter
        .getMetrics()
        .flatMap((resource) => resource.scopeMetrics)
        .flatMap((scope) => scope.metrics)
        .reduce((sum, metric) => sum + metric.dataPoints.length, 0);
      spanExporter.reset();
      metricExporter.reset();
      return { spans, metricPoints };
    },
    async shutdown() {
      await tracerProvider.shutdown();
      await meterProvider.shutdown();
    },
  };
}
