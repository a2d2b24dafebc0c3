import { Inject, Injectable } from '@nestjs/common';
import { In, type FindOptionsWhere, type Repository } from 'typeorm';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { DEFAULT_SITE } from '../config/site-name';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import type { PlacetoPayEventType } from '../payments/placetopay-event-type';
import { PlacetoPayEventDelivery } from '../persistence/placetopay-event-delivery.entity';
import { PlacetoPayPaymentEvent } from '../persistence/placetopay-payment-event.entity';
import { InjectSiteRepository } from '../persistence/site-data-source';
import { EventDeliveries } from './event-deliveries.service';

/** A delivery that ran out of attempts, as an operator reads it. */
export interface PlacetoPayDeadLetter {
  /** What `retry` takes. */
  id: string;
  /** `ClassName.method` of the listener that failed. */
  listenerId: string;
  eventId: string;
  eventType: PlacetoPayEventType | null;
  paymentId: string;
  /** Attempts made in its last round (`eventMaxAttempts` unless retried meanwhile). */
  attempts: number;
  /** What the listener threw the last time. */
  lastError: string | null;
  /** When the event was written. */
  createdAt: Date;
}

/** One listener's dead letters: how many, and the newest ones. */
export interface PlacetoPayDeadLetterGroup {
  listenerId: string;
  count: number;
  /** Newest first, at most the `limit` asked for. */
  deliveries: PlacetoPayDeadLetter[];
}

/**
 * Dead-lettered event deliveries for an operator: listed per listener with their last error and
 * attempts, retried one at a time or all at once (each goes back to the outbox with a fresh set of
 * attempts; one that fails them all again is dead again, with its new error). Only this site's.
 */
@Injectable()
export class PlacetoPayDeadLetters {
  constructor(
    @InjectSiteRepository(PlacetoPayEventDelivery)
    private readonly deliveries: Repository<PlacetoPayEventDelivery>,
    @InjectSiteRepository(PlacetoPayPaymentEvent)
    private readonly events: Repository<PlacetoPayPaymentEvent>,
    private readonly operations: EventDeliveries,
    @Inject(PLACETOPAY_OPTIONS) private readonly options: ResolvedPlacetoPayOptions,
  ) {}

  private get site(): string {
    return this.options.site ?? DEFAULT_SITE;
  }

  /** Every listener with dead letters, by listener id, each with its newest `limit` (20). */
  async byListener(limit = 20): Promise<PlacetoPayDeadLetterGroup[]> {
    const counts = await this.deliveries
      .createQueryBuilder('d')
      .select('d.listenerId', 'listenerId')
      .addSelect('COUNT(*)', 'count')
      .where('d.site = :site AND d.status = :status', { site: this.site, status: 'dead' })
      .groupBy('d.listenerId')
      .orderBy('d.listenerId', 'ASC')
      .getRawMany<{ listenerId: string; count: number | string }>();
    return Promise.all(
      counts.map(async ({ listenerId, count }) => ({
        listenerId,
        count: Number(count),
        deliveries: await this.list(listenerId, limit),
      })),
    );
  }

  /** Dead letters, newest first: one listener's, or all of them (at most `limit`, 100). */
  async list(listenerId?: string, limit = 100): Promise<PlacetoPayDeadLetter[]> {
    const rows = await this.deliveries.find({
      where: this.dead(listenerId),
      order: { createdAt: 'DESC', sequence: 'DESC', id: 'ASC' },
      take: limit,
    });
    const ids = [...new Set(rows.map((row) => row.eventId))];
    const events = ids.length
      ? await this.events.find({
          select: { id: true, type: true },
          where: { site: this.site, id: In(ids) },
        })
      : [];
    const types = new Map(events.map((event) => [event.id, event.type]));
    return rows.map((row) => ({
      id: row.id,
      listenerId: row.listenerId,
      eventId: row.eventId,
      eventType: (types.get(row.eventId) as PlacetoPayEventType | undefined) ?? null,
      paymentId: row.paymentId,
      attempts: row.attempts,
      lastError: row.lastError,
      createdAt: row.createdAt,
    }));
  }

  /**
   * Re-queues one dead letter through the outbox, due now (`PlacetoPayDeliveryNotFoundError` for
   * an id that is not a dead letter of this site).
   */
  retry(deliveryId: string): Promise<void> {
    return this.operations.retry(deliveryId);
  }

  /** Re-queues every dead letter (of one listener, or all), due now; resolves with how many. */
  retryAll(listenerId?: string): Promise<number> {
    return this.operations.requeue(listenerId ? { listenerId } : {});
  }

  private dead(listenerId?: string): FindOptionsWhere<PlacetoPayEventDelivery> {
    return { site: this.site, status: 'dead', ...(listenerId ? { listenerId } : {}) };
  }
}
