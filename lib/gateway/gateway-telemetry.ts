import type { SpanOptions } from '@opentelemetry/api';
import {
  AttributeSets,
  PairMemo,
  SPAN_KIND,
  inSpan,
  instruments,
  otelApi,
  secondsSince,
  siteOf,
} from '../common/telemetry';
import { PlacetoPayError, type PlacetoPayOperation } from './errors/placetopay.error';

/** How a call to PlacetoPay ended: `placetopay.outcome` of `placetopay.gateway.duration`. */
export type GatewayOutcome =
  'ok' | 'rejected' | 'refused_auth' | 'unavailable' | 'timeout' | 'network' | 'error';

/** The outcome a client error stands for. */
export function gatewayOutcome(error: unknown): GatewayOutcome {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'placetopay_request_rejected') return 'rejected';
  if (code === 'placetopay_authentication_failed') return 'refused_auth';
  if (code === 'placetopay_unavailable') {
    const kind = (error as { kind?: string }).kind;
    return kind === 'timeout' || kind === 'network' ? kind : 'unavailable';
  }
  return 'error';
}

/** A safe description of a failed call: the error's type, code and kind (never its message). */
function describeFailure(error: unknown): string {
  if (!(error instanceof PlacetoPayError)) return 'error';
  const kind = (error as { kind?: string }).kind;
  return `${error.code}${kind ? ` (${kind})` : ''}`;
}

const durations = new AttributeSets(['placetopay.operation', 'placetopay.outcome']);
const spanOptions = new PairMemo<SpanOptions>((site, operation) => ({
  kind: SPAN_KIND.CLIENT,
  attributes: {
    'placetopay.site': siteOf(site),
    'placetopay.operation': operation,
    'http.request.method': 'POST',
  },
}));

/**
 * One call to PlacetoPay (one attempt), measured (`placetopay.gateway.duration`) and traced
 * (`placetopay.gateway <operation>`, kind CLIENT). No body, URL or identifier is recorded.
 */
export function observeGatewayCall<T>(
  site: string,
  operation: PlacetoPayOperation,
  call: () => Promise<T>,
): Promise<T> {
  if (!otelApi()) return call();
  const started = performance.now();
  return inSpan(
    `placetopay.gateway ${operation}`,
    spanOptions.get(site, operation),
    async (span) => {
      let outcome: GatewayOutcome = 'ok';
      try {
        return await call();
      } catch (error) {
        outcome = gatewayOutcome(error);
        throw error;
      } finally {
        span?.setAttribute('placetopay.outcome', outcome);
        instruments()?.gatewayDuration.record(
          secondsSince(started),
          durations.get(site, operation, outcome),
        );
      }
    },
    describeFailure,
  );
}

/** The HTTP status PlacetoPay answered, on the active gateway span (if one records). */
export function noteHttpStatus(status: number): void {
  const otel = otelApi();
  if (!otel) return;
  const span = otel.trace.getSpan(otel.context.active());
  if (span?.isRecording()) span.setAttribute('http.response.status_code', status);
}
