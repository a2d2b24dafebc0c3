import type {
  Attributes,
  Context,
  Counter,
  Histogram,
  Link,
  Meter,
  ObservableCallback,
  ObservableGauge,
  Span,
  SpanContext,
  SpanOptions,
  Tracer,
} from '@opentelemetry/api';
import { loadPeer, type Peer, type PeerLoad } from './load-peer';

/**
 * OpenTelemetry through `@opentelemetry/api` only (an optional peer; docs/operations.md). The API
 * is loaded on first use; without it every instrument is a no-op. Only what the 1.0 API has is
 * used for traces, and metrics only when the API has them (1.3 and later). Instruments are
 * created once per meter provider (a provider registered later, or again in a test, gets its
 * own); attribute sets are built once per value and reused, so a call without an SDK allocates
 * nothing beyond what the API's no-op objects do.
 */
type OtelApi = typeof import('@opentelemetry/api');

export type { Span };

const PEER: Peer<OtelApi> = {
  name: '@opentelemetry/api',
  purpose: ' to export metrics and traces',
  unusable: (api) =>
    typeof api?.trace?.getTracer === 'function' && typeof api?.context?.with === 'function'
      ? undefined
      : 'the loaded @opentelemetry/api has no trace or context API',
};

/** The instrumentation scope every meter and tracer of the package is named after. */
export const TELEMETRY_SCOPE = 'nestjs-placetopay';

let loader: PeerLoad | undefined;
let api: OtelApi | null | undefined;

/** The API, or null when it is not installed (or unusable). */
export function otelApi(): OtelApi | null {
  if (api === undefined) api = loadPeer(PEER, loader).api ?? null;
  return api;
}

/**
 * For tests: load the API through `load` from now on (`() => undefined`: the API absent), or
 * through `require` again without one. Drops every cached instrument and tracer.
 */
export function reloadTelemetry(load?: PeerLoad): void {
  loader = load;
  api = undefined;
  meters = undefined;
  tracer = undefined;
}

/** Every instrument of the package (docs/operations.md lists them with their attributes). */
export interface PlacetoPayInstruments {
  notifications: Counter;
  settleTime: Histogram;
  gatewayDuration: Histogram;
  probePassDuration: Histogram;
  probeBacklog: ObservableGauge;
  outboxDeliveries: ObservableGauge;
  paymentsFinal: Counter;
  paymentsReview: ObservableGauge;
}

/** Seconds: from a few milliseconds (a gateway call) to hours (a notification left to settle). */
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600];

function createInstruments(meter: Meter): PlacetoPayInstruments {
  const histogram = (name: string, description: string) =>
    meter.createHistogram(name, {
      description,
      unit: 's',
      // Ignored by an API or SDK that does not know it (before 1.7).
      advice: { explicitBucketBoundaries: SECONDS },
    } as Parameters<Meter['createHistogram']>[1]);
  return {
    notifications: meter.createCounter('placetopay.notifications', {
      description: 'Notifications received on the webhook, by route and outcome',
      unit: '{notification}',
    }),
    settleTime: histogram(
      'placetopay.notification.settle_time',
      "From a notification's receipt to its payment's final status",
    ),
    gatewayDuration: histogram(
      'placetopay.gateway.duration',
      'Calls to PlacetoPay (each attempt), by operation and outcome',
    ),
    probePassDuration: histogram('placetopay.probe.pass.duration', 'Probe passes'),
    probeBacklog: meter.createObservableGauge('placetopay.probe.backlog', {
      description: 'Payments due for a probe check now',
      unit: '{payment}',
    }),
    outboxDeliveries: meter.createObservableGauge('placetopay.outbox.deliveries', {
      description: 'Outbox deliveries not delivered, by listener and state',
      unit: '{delivery}',
    }),
    paymentsFinal: meter.createCounter('placetopay.payments.final', {
      description: 'Payments reaching a final status, by status',
      unit: '{payment}',
    }),
    paymentsReview: meter.createObservableGauge('placetopay.payments.review', {
      description: 'Payments a person has to look at (listPaymentsNeedingReview)',
      unit: '{payment}',
    }),
  };
}

let meters: { provider: unknown; instruments: PlacetoPayInstruments } | null | undefined;

/** The instruments of the current meter provider; null without the API's metrics. */
export function instruments(): PlacetoPayInstruments | null {
  const metrics = otelApi()?.metrics;
  if (!metrics) return null;
  const provider = metrics.getMeterProvider();
  if (meters?.provider !== provider) {
    meters = { provider, instruments: createInstruments(provider.getMeter(TELEMETRY_SCOPE)) };
  }
  return meters.instruments;
}

/**
 * Adds `callback` to the gauge `pick` chooses, of the current meter provider: it runs when a
 * metric reader collects, never otherwise. Returns what removes it (a no-op without metrics).
 */
export function observeGauge(
  pick: (instruments: PlacetoPayInstruments) => ObservableGauge,
  callback: ObservableCallback,
): () => void {
  const current = instruments();
  if (!current) return () => undefined;
  const gauge = pick(current);
  gauge.addCallback(callback);
  return () => gauge.removeCallback(callback);
}

/** Values made once per key pair and kept: looking one up allocates nothing. */
export class PairMemo<T> {
  private readonly values = new Map<string, Map<string, T>>();

  constructor(private readonly make: (a: string, b: string) => T) {}

  get(a: string, b: string): T {
    let byA = this.values.get(a);
    if (!byA) this.values.set(a, (byA = new Map()));
    let value = byA.get(b);
    if (value === undefined) byA.set(b, (value = this.make(a, b)));
    return value;
  }
}

/**
 * Attribute sets built once per combination of values and reused: recording a measurement
 * allocates none. `keys` name up to three attributes after `placetopay.site`.
 */
export class AttributeSets {
  private readonly sets = new Map<string, PairMemo<Map<string, Attributes>>>();

  constructor(private readonly keys: readonly string[]) {}

  get(siteName: string | undefined, a = '', b = '', c = ''): Attributes {
    const site = siteOf(siteName);
    let bySite = this.sets.get(site);
    if (!bySite) this.sets.set(site, (bySite = new PairMemo(() => new Map())));
    const byC = bySite.get(a, b);
    let set = byC.get(c);
    if (!set) {
      set = { 'placetopay.site': site };
      const values = [a, b, c];
      this.keys.forEach((key, i) => (set![key] = values[i]));
      byC.set(c, set);
    }
    return set;
  }
}

/** A registration's site as the attributes name it: `default` for the unnamed one. */
export function siteOf(site: string | undefined): string {
  return site || 'default';
}

let tracer: { provider: unknown; tracer: Tracer } | undefined;

function currentTracer(otel: OtelApi): Tracer {
  const provider = otel.trace.getTracerProvider();
  if (tracer?.provider !== provider) {
    tracer = { provider, tracer: provider.getTracer(TELEMETRY_SCOPE) };
  }
  return tracer.tracer;
}

/** Starts a span; undefined when nothing records it (no API, no SDK, not sampled). */
export function startSpan(name: string, options: SpanOptions): Span | undefined {
  const otel = otelApi();
  if (!otel) return undefined;
  const span = currentTracer(otel).startSpan(name, options);
  if (span.isRecording()) return span;
  span.end();
  return undefined;
}

/** Runs `work` with `span` active (as is without one). */
export function withSpan<T>(span: Span | undefined, work: () => T): T {
  const otel = span && otelApi();
  return otel ? otel.context.with(otel.trace.setSpan(otel.context.active(), span), work) : work();
}

/**
 * Marks `span` failed: the exception's type and `description`, never the error's own message
 * (it may carry what must not be exported).
 */
export function failSpan(span: Span | undefined, error: unknown, description: string): void {
  const otel = span && otelApi();
  if (!otel) return;
  span.recordException({ name: errorType(error), message: description });
  span.setStatus({ code: otel.SpanStatusCode.ERROR, message: description });
}

/**
 * Runs `work` inside a span (its context active meanwhile): `work` gets the span, or undefined
 * when nothing records it; then it costs one no-op span at most. A throw is recorded on the span
 * (see failSpan; `failure` gives the safe description) and thrown again.
 */
export async function inSpan<T>(
  name: string,
  options: SpanOptions,
  work: (span: Span | undefined) => Promise<T>,
  failure: (error: unknown) => string = errorType,
): Promise<T> {
  const span = startSpan(name, options);
  if (!span) return work(undefined);
  try {
    return await withSpan(span, () => work(span));
  } catch (error) {
    failSpan(span, error, failure(error));
    throw error;
  } finally {
    span.end();
  }
}

/** An error's type (its class name), never its message. */
export function errorType(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/** The active span context as a W3C `traceparent`, or null (none, or nothing records). */
export function activeTraceparent(): string | null {
  const otel = otelApi();
  if (!otel) return null;
  const context = otel.trace.getSpan(otel.context.active())?.spanContext();
  if (!context || !otel.isSpanContextValid(context)) return null;
  return `00-${context.traceId}-${context.spanId}-${context.traceFlags & 1 ? '01' : '00'}`;
}

const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** A stored `traceparent` as a span link; none when it is missing or malformed. */
export function linksTo(traceparent: string | null | undefined): Link[] {
  const otel = otelApi();
  const match = otel && traceparent ? TRACEPARENT.exec(traceparent) : null;
  if (!otel || !match) return [];
  const context: SpanContext = {
    traceId: match[1],
    spanId: match[2],
    traceFlags: parseInt(match[3], 16) & 1,
    isRemote: true,
  };
  return otel.isSpanContextValid(context) ? [{ context }] : [];
}

/** The context active now, to run later work in (see `withContext`); undefined without the API. */
export function activeContext(): Context | undefined {
  return otelApi()?.context.active();
}

/** Runs `work` with `saved` (from `activeContext`) active; as is without one. */
export function withContext<T>(saved: Context | undefined, work: () => T): T {
  const otel = otelApi();
  return otel && saved ? otel.context.with(saved, work) : work();
}

/** Span kinds, without the API loaded at import time (the values of the API's SpanKind). */
export const SPAN_KIND = { INTERNAL: 0, SERVER: 1, CLIENT: 2, PRODUCER: 3, CONSUMER: 4 } as const;

/** Seconds since `startedAt` (a `performance.now()` reading). */
export function secondsSince(startedAt: number): number {
  return (performance.now() - startedAt) / 1000;
}
