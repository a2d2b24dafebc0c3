import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { ObservableResult } from '@opentelemetry/api';
import type { Repository } from 'typeorm';
import {
  AttributeSets,
  SPAN_KIND,
  inSpan,
  linksTo,
  observeGauge,
  otelApi,
} from '../common/telemetry';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import { PlacetoPayEventDelivery } from '../persistence/placetopay-event-delivery.entity';
import type { PlacetoPayPaymentEvent } from '../persistence/placetopay-payment-event.entity';
import { InjectSiteRepository } from '../persistence/site-data-source';
import { EventListenerRegistry } from './event-listener-registry';

/**
 * One delivery of an event to a listener, traced: `placetopay.deliver <listener>` (kind
 * CONSUMER), linked to the trace the event was written in (its `traceparent`: the webhook's,
 * the probe pass's, the host request's). A listener's error is recorded by its type only.
 */
export function observeDelivery<T>(
  event: PlacetoPayPaymentEvent,
  listener: string,
  deliver: () => Promise<T>,
): Promise<T> {
  if (!otelApi()) return deliver();
  return inSpan(
    `placetopay.deliver ${listener}`,
    {
      kind: SPAN_KIND.CONSUMER,
      // A trace of its own: a pass started by one change delivers others' events too.
      root: true,
      attributes: {
        'placetopay.site': event.site,
        'placetopay.listener': listener,
        'placetopay.event_type': event.type,
      },
      links: linksTo(event.traceparent),
    },
    deliver,
    () => 'listener failed',
  );
}

type DeliveryState = 'pending' | 'retrying' | 'dead';
const STATES: readonly DeliveryState[] = ['pending', 'retrying', 'dead'];
const deliveries = new AttributeSets(['placetopay.listener', 'placetopay.state']);

/**
 * `placetopay.outbox.deliveries`: this site's deliveries not delivered, per listener and state
 * (`pending`: not tried yet; `retrying`: failed, to be tried again; `dead`: dead-lettered). One
 * query, only when a metric reader collects; every listener of this process reports each state,
 * zero included.
 */
@Injectable()
export class OutboxGauge implements OnApplicationBootstrap, OnApplicationShutdown {
  private unobserve = (): void => undefined;

  constructor(
    @InjectSiteRepository(PlacetoPayEventDelivery)
    private readonly rows: Repository<PlacetoPayEventDelivery>,
    private readonly registry: EventListenerRegistry,
    @Inject(PLACETOPAY_OPTIONS) private readonly options: ResolvedPlacetoPayOptions,
  ) {}

  onApplicationBootstrap(): void {
    this.unobserve = observeGauge(
      (instruments) => instruments.outboxDeliveries,
      (result) => this.observe(result),
    );
  }

  onApplicationShutdown(): void {
    this.unobserve();
  }

  private async observe(result: ObservableResult): Promise<void> {
    const escape = (name: string) => this.rows.manager.connection.driver.escape(name);
    const failed = `CASE WHEN d.${escape('lastError')} IS NULL THEN 0 ELSE 1 END`;
    const counted = await this.rows
      .createQueryBuilder('d')
      .select(`d.${escape('listenerId')}`, 'listener')
      .addSelect(`d.${escape('status')}`, 'status')
      .addSelect(failed, 'failed')
      .addSelect('COUNT(*)', 'count')
      .where(`d.${escape('site')} = :site`, { site: this.options.site })
      .andWhere(`d.${escape('status')} IN ('pending', 'dead')`)
      .groupBy(`d.${escape('listenerId')}`)
      .addGroupBy(`d.${escape('status')}`)
      .addGroupBy(failed)
      .getRawMany<{
        listener: string;
        status: string;
        failed: number | string;
        count: number | string;
      }>();
    const counts = new Map<string, number>();
    for (const listener of this.registry.all()) {
      for (const state of STATES) counts.set(`${listener.id}\u0000${state}`, 0);
    }
    for (const row of counted) {
      const state: DeliveryState =
        row.status === 'dead' ? 'dead' : Number(row.failed) === 1 ? 'retrying' : 'pending';
      const key = `${row.listener}\u0000${state}`;
      counts.set(key, (counts.get(key) ?? 0) + Number(row.count));
    }
    for (const [key, count] of counts) {
      const [listener, state] = key.split('\u0000');
      result.observe(count, deliveries.get(this.options.site, listener, state));
    }
  }
}
