import type { Context, SpanOptions } from '@opentelemetry/api';
import type { PlacetoPayClock } from '../common/clock';
import {
  AttributeSets,
  PairMemo,
  SPAN_KIND,
  activeContext,
  failSpan,
  instruments,
  otelApi,
  siteOf,
  startSpan,
  withContext,
  withSpan,
  type Span,
} from '../common/telemetry';
import type { ApplyOutcome } from '../payments/payment-observation';
import { isFinalStatus, type PaymentStatus } from '../payments/payment-status';

/** The webhook's routes: `placetopay.route`. */
export type WebhookRoute = 'session' | 'recurring';

/** What became of a notification: `placetopay.outcome` of `placetopay.notifications`. */
export type NotificationOutcome = 'accepted' | 'duplicate' | 'forged' | 'held' | 'invalid';

/**
 * The answer to a notification the database could not take, held until it can: the same body as
 * any new one, told apart by identity for the metric only.
 */
export const HELD_ANSWER: { readonly received: true; readonly duplicate: false } = Object.freeze({
  received: true,
  duplicate: false,
});

const SPAN = Symbol('placetopayWebhookSpan');
const SITE = Symbol('placetopayWebhookSite');
type Tagged = { [SPAN]?: Span; [SITE]?: string };

const counts = new AttributeSets(['placetopay.route', 'placetopay.outcome']);
const settleTimes = new AttributeSets([]);
const spanOptions = new PairMemo<SpanOptions>((site, route) => ({
  kind: SPAN_KIND.SERVER,
  attributes: { 'placetopay.site': siteOf(site), 'placetopay.route': route },
}));

function count(site: string, route: WebhookRoute, outcome: NotificationOutcome): void {
  instruments()?.notifications.add(1, counts.get(site, route, outcome));
}

function end(span: Span | undefined, outcome: NotificationOutcome, error?: unknown): void {
  if (!span) return;
  span.setAttribute('placetopay.outcome', outcome);
  if (error !== undefined) failSpan(span, error, outcome);
  span.end();
}

/**
 * Around a webhook guard's check: starts the span `placetopay.webhook <route>` (kind SERVER) that
 * `receiveWebhook` ends; a refusal ends it here and counts as `forged` (401) or `invalid`.
 */
export async function guardWebhook(
  request: object,
  site: string,
  route: WebhookRoute,
  check: () => Promise<boolean>,
): Promise<boolean> {
  if (!otelApi()) return check();
  const span = startSpan(`placetopay.webhook ${route}`, spanOptions.get(site, route));
  const tagged = request as Tagged;
  tagged[SITE] = site;
  tagged[SPAN] = span;
  try {
    return await withSpan(span, check);
  } catch (error) {
    const status = (error as { getStatus?: () => number } | null)?.getStatus?.();
    const outcome = status === 401 ? 'forged' : 'invalid';
    count(site, route, outcome);
    end(span, outcome, error);
    tagged[SPAN] = undefined;
    throw error;
  }
}

/**
 * A guarded webhook request's handling, in its span: counts the outcome (`forged` when `forged`
 * says the notification's signature failed but it was taken all the same) and ends the span.
 */
export async function receiveWebhook<R extends { duplicate: boolean }>(
  request: object,
  route: WebhookRoute,
  receive: () => Promise<R>,
  forged = false,
): Promise<R> {
  const { [SPAN]: span, [SITE]: site } = request as Tagged;
  if (site === undefined) return receive();
  try {
    const result = await withSpan(span, receive);
    const outcome: NotificationOutcome = forged
      ? 'forged'
      : (result as unknown) === HELD_ANSWER
        ? 'held'
        : result.duplicate
          ? 'duplicate'
          : 'accepted';
    count(site, route, outcome);
    end(span, outcome);
    return result;
  } catch (error) {
    end(span, 'invalid', error);
    throw error;
  }
}

const traces = new WeakMap<object, Context>();

/** Keeps the trace `row` was received in, for its settlement later (see `inTraceOf`). */
export function keepTrace<T extends object>(row: T): T {
  const otel = otelApi();
  const context = otel ? activeContext() : undefined;
  if (context && otel!.trace.getSpan(context)) traces.set(row, context);
  return row;
}

/** Runs `work` in the trace `row` was received in (its webhook span's), if this process has it. */
export function inTraceOf<T>(row: object, work: () => T): T {
  return withContext(traces.get(row), work);
}

/** `placetopay.notification.settle_time`: when a notification's settlement made its payment final. */
export function recordSettleTime(
  site: string,
  receivedAt: Date,
  outcome: ApplyOutcome,
  clock: PlacetoPayClock,
): void {
  if (outcome.kind !== 'transitioned' || !isFinalStatus(outcome.to as PaymentStatus)) return;
  const seconds = (clock.now().getTime() - receivedAt.getTime()) / 1000;
  instruments()?.settleTime.record(Math.max(0, seconds), settleTimes.get(site));
}
