import { context, trace } from '@opentelemetry/api';
import {
  AttributeSets,
  activeTraceparent,
  instruments,
  linksTo,
  startSpan,
  withSpan,
} from '../../lib/common/telemetry';
import { gatewayOutcome } from '../../lib/gateway/gateway-telemetry';
import { PlacetoPayUnavailableError } from '../../lib/gateway/errors/placetopay-unavailable.error';
import { PlacetoPayAuthenticationError } from '../../lib/gateway/errors/placetopay-authentication.error';
import { PlacetoPayRequestRejectedError } from '../../lib/gateway/errors/placetopay-request-rejected.error';
import { installTelemetry } from '../support/telemetry';

describe('the telemetry helpers', () => {
  it('build each attribute set once: the same object for the same values', () => {
    const sets = new AttributeSets(['placetopay.route', 'placetopay.outcome']);
    const first = sets.get('co', 'session', 'accepted');
    expect(first).toEqual({
      'placetopay.site': 'co',
      'placetopay.route': 'session',
      'placetopay.outcome': 'accepted',
    });
    expect(sets.get('co', 'session', 'accepted')).toBe(first);
    expect(sets.get('ec', 'session', 'accepted')).not.toBe(first);
    expect(sets.get(undefined, 'session', 'held')).toMatchObject({ 'placetopay.site': 'default' });
  });

  it("name a gateway call's outcome from the client's typed errors", () => {
    expect(gatewayOutcome(new PlacetoPayRequestRejectedError('collect', 'XN', 'no', 400))).toBe(
      'rejected',
    );
    expect(gatewayOutcome(new PlacetoPayAuthenticationError('getSession', 102, 'x'))).toBe(
      'refused_auth',
    );
    const unavailable = (kind: 'timeout' | 'network' | 'server_error' | 'rate_limited') =>
      gatewayOutcome(new PlacetoPayUnavailableError('getSession', kind, 'x', true));
    expect(unavailable('timeout')).toBe('timeout');
    expect(unavailable('network')).toBe('network');
    expect(unavailable('server_error')).toBe('unavailable');
    expect(unavailable('rate_limited')).toBe('unavailable');
    expect(gatewayOutcome(new TypeError('x'))).toBe('error');
  });

  it('turn a stored traceparent into a link, and nothing else', () => {
    const valid = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    expect(linksTo(valid)).toEqual([
      {
        context: {
          traceId: '0af7651916cd43dd8448eb211c80319c',
          spanId: 'b7ad6b7169203331',
          traceFlags: 1,
          isRemote: true,
        },
      },
    ]);
    for (const bad of [null, undefined, '', 'garbage', valid.replace('0af7', 'XYZ1')]) {
      expect(linksTo(bad)).toEqual([]);
    }
    // All-zero ids are invalid in W3C trace context.
    expect(linksTo(`00-${'0'.repeat(32)}-b7ad6b7169203331-01`)).toEqual([]);
  });

  describe('without an SDK', () => {
    it('record nothing: no span, no traceparent, no-op instruments', () => {
      expect(startSpan('x', {})).toBeUndefined();
      expect(withSpan(undefined, () => activeTraceparent())).toBeNull();
      expect(() => instruments()!.notifications.add(1)).not.toThrow();
    });
  });

  describe('with the SDK', () => {
    it("write the active span's context as a W3C traceparent", async () => {
      const telemetry = installTelemetry();
      try {
        const span = startSpan('placetopay.test', {})!;
        const { traceId, spanId } = span.spanContext();
        expect(withSpan(span, () => activeTraceparent())).toBe(`00-${traceId}-${spanId}-01`);
        expect(trace.getSpan(context.active())).toBeUndefined();
        span.end();
      } finally {
        await telemetry.stop();
      }
    });
  });
});
