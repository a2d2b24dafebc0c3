import type { PaymentOutbox } from '../payments/lifecycle-ports';
import { InjectSiteRepository } from '../persistence/site-data-source';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { EntityManager, Repository } from 'typeorm';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { describeThrown } from '../gateway/errors/describe-thrown';
import { backoffDelay, equalJitter } from '../gateway/retry-policy';
import { PlacetoPayPaymentEvent } from '../persistence/placetopay-payment-event.entity';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import { toEvent } from './event-from-row';
import { observeDelivery } from './delivery-telemetry';
import { DEFAULT_SITE, siteScoped } from '../config/site-name';
import { PLACETOPAY_CLOCK, type PlacetoPayClock } from '../common/clock';
import { TransactionRunner } from '../persistence/transaction-runner';
import { EventListenerRegistry } from './event-listener-registry';
import { PlacetoPayEventDelivery } from '../persistence/placetopay-event-delivery.entity';
import { withDeadline } from '../common/time-limits';
import { WorkerLoop } from '../common/worker-loop';

const BATCH = 50;
const SHUTDOWN_GRACE_MS = 10_000;

class ListenerTimeoutError extends Error {
  override name = 'ListenerTimeoutError';
}

export interface DrainSummary {
  delivered: number;
  failed: number;
  deadLettered: number;
}

/**
 * Delivers outbox events to listeners, at least once. Each (event, listener) pair is a delivery
 * row, claimed with a conditional UPDATE lease so replicas never run the same pair at once; a
 * failure is retried with exponential backoff and jitter, then dead-lettered. For one payment and
 * one listener, events are delivered in order. A process that dies mid-delivery leaves a lease
 * that expires: the delivery is made after restart, by whichever replica gets there first.
 */
@Injectable()
export class EventDispatcher
  implements PaymentOutbox, OnApplicationBootstrap, OnApplicationShutdown
{
  /** `PlacetoPayEvents`, or `PlacetoPayEvents:<site>` for a named site. */
  private readonly logger: Logger;
  /** This replica's lease owner id. */
  readonly owner = `${hostname().slice(0, 40)}:${process.pid}:${randomUUID().slice(0, 8)}`;
  /** Jitter source; replaceable in tests. */
  random: () => number = Math.random;
  /** Delivery passes: on the poll, on a kick after a commit, or drained by a caller. */
  private readonly passes: WorkerLoop<DrainSummary>;

  constructor(
    private readonly registry: EventListenerRegistry,
    @InjectSiteRepository(PlacetoPayEventDelivery)
    private readonly deliveries: Repository<PlacetoPayEventDelivery>,
    @InjectSiteRepository(PlacetoPayPaymentEvent)
    private readonly events: Repository<PlacetoPayPaymentEvent>,
    @Inject(PLACETOPAY_OPTIONS) private readonly options: ResolvedPlacetoPayOptions,
    @Inject(PLACETOPAY_CLOCK) private readonly clock: PlacetoPayClock,
    private readonly transactions: TransactionRunner,
  ) {
    this.logger = new Logger(siteScoped('PlacetoPayEvents', options.site));
    this.passes = new WorkerLoop({
      pass: () => this.deliverDue(),
      everyMs: options.eventPollMs,
      // A poll during a pass asks for one more after it, like a kick.
      pollWhileBusy: 'again',
      // A listener that hangs must not hold the shutdown: give the pass a grace period.
      graceMs: SHUTDOWN_GRACE_MS,
      onError: (error) =>
        this.logger.error(
          `event delivery pass failed: ${error instanceof Error ? error.message : String(error)}`,
        ),
    });
  }

  onApplicationBootstrap(): void {
    if (this.options.eventPollMs > 0) {
      this.passes.start();
      // Deliveries left behind by a previous run are picked up at once.
      this.passes.kick();
    }
  }

  onApplicationShutdown(): Promise<void> {
    return this.passes.stop();
  }

  /**
   * Creates the delivery rows of new events, in the transaction that wrote them: one per listener
   * that hears the event.
   */
  async fanOut(manager: EntityManager, events: PlacetoPayPaymentEvent[]): Promise<void> {
    const now = this.clock.now();
    const rows = events.flatMap((event) =>
      this.registry.listenersFor(event.type, event.fromStatus !== event.toStatus).map((listener) =>
        manager.create(PlacetoPayEventDelivery, {
          id: randomUUID(),
          site: event.site,
          eventId: event.id,
          listenerId: listener.id,
          paymentId: event.paymentId,
          sequence: event.sequence,
          status: 'pending',
          attempts: 0,
          nextAttemptAt: now,
          leaseOwner: null,
          leaseUntil: null,
          lastError: null,
          deliveredAt: null,
          createdAt: now,
        }),
      ),
    );
    if (rows.length) {
      // Every column is given: nothing to read back (SQLite would re-select the defaulted `site`).
      await manager
        .createQueryBuilder()
        .insert()
        .into(PlacetoPayEventDelivery)
        .values(rows)
        .updateEntity(false)
        .execute();
    }
  }

  /** Starts a delivery pass in the background, now. Never throws, never blocks the caller. */
  kick(): void {
    this.passes.kick();
  }

  /** Resolves when no delivery pass is running (without starting one). */
  idle(): Promise<void> {
    return this.passes.idle();
  }

  /** Delivers everything due now; concurrent calls share one pass (and run one more after it). */
  async drain(): Promise<DrainSummary> {
    const total: DrainSummary = { delivered: 0, failed: 0, deadLettered: 0 };
    for (const pass of await this.passes.drain()) addTo(total, pass);
    return total;
  }

  /** One pass: batch after batch, until one claims nothing. */
  private async deliverDue(): Promise<DrainSummary> {
    const total: DrainSummary = { delivered: 0, failed: 0, deadLettered: 0 };
    for (;;) {
      const batch = await this.deliverBatch();
      addTo(total, batch);
      if (batch.claimed === 0 || this.passes.stopped) return total;
    }
  }

  private async deliverBatch(): Promise<DrainSummary & { claimed: number }> {
    const listeners = this.registry.all().map((l) => l.id);
    if (listeners.length === 0) return { delivered: 0, failed: 0, deadLettered: 0, claimed: 0 };
    const now = this.clock.now();
    const escape = (name: string) => this.deliveries.manager.connection.driver.escape(name);
    const d = (name: string) => `d.${escape(name)}`;
    const e = (name: string) => `e.${escape(name)}`;
    // Due, not leased by someone alive, and no earlier pending event of the same payment for the
    // same listener (order per payment).
    const due = await this.deliveries
      .createQueryBuilder('d')
      .where(`${d('status')} = 'pending'`)
      // Only this site's: each site's dispatcher delivers its own outbox.
      .andWhere(`${d('site')} = :site`, { site: this.options.site ?? DEFAULT_SITE })
      // Only listeners this process has: a replica without one (mid-deploy) leaves its pairs alone.
      .andWhere(`${d('listenerId')} IN (:...listeners)`, { listeners })
      .andWhere(`${d('nextAttemptAt')} <= :now`, { now: now.getTime() })
      .andWhere(`(${d('leaseUntil')} IS NULL OR ${d('leaseUntil')} < :now)`)
      .andWhere(
        `NOT EXISTS (SELECT 1 FROM ${escape(this.deliveries.metadata.tableName)} e WHERE ${e('paymentId')} = ${d('paymentId')} ` +
          `AND ${e('listenerId')} = ${d('listenerId')} AND ${e('sequence')} < ${d('sequence')} AND ${e('status')} = 'pending')`,
      )
      .orderBy(d('createdAt'), 'ASC')
      .addOrderBy(d('sequence'), 'ASC')
      .limit(BATCH)
      .getMany();

    const summary = { delivered: 0, failed: 0, deadLettered: 0, claimed: 0 };
    for (const delivery of due) {
      if (this.passes.stopped) break;
      if (!(await this.claim(delivery))) continue;
      summary.claimed++;
      const outcome = await this.run(delivery);
      summary[outcome]++;
    }
    return summary;
  }

  /** Leases a delivery from now (not from the start of the batch). */
  private async claim(delivery: PlacetoPayEventDelivery): Promise<boolean> {
    const now = this.clock.now();
    const escape = (name: string) => this.deliveries.manager.connection.driver.escape(name);
    const result = await this.transactions.exclusive(() =>
      this.deliveries
        .createQueryBuilder()
        .update()
        .set({
          leaseOwner: this.owner,
          leaseUntil: new Date(now.getTime() + this.options.eventLeaseMs),
          attempts: () => `${escape('attempts')} + 1`,
        })
        .where(`${escape('id')} = :id`, { id: delivery.id })
        .andWhere(`${escape('status')} = 'pending'`)
        .andWhere(`${escape('attempts')} = :attempts`, { attempts: delivery.attempts })
        .andWhere(`(${escape('leaseUntil')} IS NULL OR ${escape('leaseUntil')} < :now)`, {
          now: now.getTime(),
        })
        .execute(),
    );
    if (result.affected !== 1) return false;
    delivery.attempts += 1;
    return true;
  }

  private async run(
    delivery: PlacetoPayEventDelivery,
  ): Promise<'delivered' | 'failed' | 'deadLettered'> {
    const listener = this.registry.get(delivery.listenerId);
    let error: unknown;
    if (!listener) {
      error = new Error(`no listener ${delivery.listenerId} in this process`);
    } else {
      try {
        const row = await this.events.findOneByOrFail({ id: delivery.eventId });
        await observeDelivery(row, delivery.listenerId, () =>
          this.withDeadline(listener.handle(toEvent(row)), delivery.listenerId),
        );
      } catch (caught) {
        error = caught ?? new Error('listener failed');
      }
    }
    const now = this.clock.now();

    if (error === undefined) {
      await this.settle(delivery, {
        status: 'delivered',
        deliveredAt: now,
        leaseOwner: null,
        leaseUntil: null,
        lastError: null,
      });
      return 'delivered';
    }
    const message = describeThrown(error).slice(0, 1000);
    if (delivery.attempts >= this.options.eventMaxAttempts) {
      await this.settle(delivery, {
        status: 'dead',
        leaseOwner: null,
        leaseUntil: null,
        lastError: message,
      });
      this.logger.warn(
        `delivery of event ${delivery.eventId} to ${delivery.listenerId} dead-lettered after ${delivery.attempts} attempts: ${message}`,
      );
      return 'deadLettered';
    }
    const delay = backoffDelay(
      delivery.attempts,
      {
        baseDelayMs: this.options.eventRetryBaseDelayMs,
        maxDelayMs: this.options.eventRetryMaxDelayMs,
      },
      equalJitter(this.random),
    );
    await this.settle(delivery, {
      nextAttemptAt: new Date(now.getTime() + delay),
      leaseOwner: null,
      leaseUntil: null,
      lastError: message,
    });
    this.logger.warn(
      `listener ${delivery.listenerId} failed on event ${delivery.eventId} (attempt ${delivery.attempts}); retrying in ${delay} ms`,
    );
    return 'failed';
  }

  /**
   * A listener gets 80% of the lease: past that it counts as failed, so no other replica can be
   * running the same pair while this one still is.
   */
  private async withDeadline(work: unknown, listenerId: string): Promise<void> {
    const limit = Math.floor(this.options.eventLeaseMs * 0.8);
    await withDeadline(
      work,
      limit,
      () => new ListenerTimeoutError(`${listenerId} did not finish within ${limit} ms`),
    );
  }

  /** Ends this replica's hold on a delivery; a lease lost meanwhile changes nothing. */
  private async settle(
    delivery: PlacetoPayEventDelivery,
    changes: Partial<PlacetoPayEventDelivery>,
  ): Promise<void> {
    const escape = (name: string) => this.deliveries.manager.connection.driver.escape(name);
    await this.transactions.exclusive(() =>
      this.deliveries
        .createQueryBuilder()
        .update()
        .set(changes)
        .where(`${escape('id')} = :id`, { id: delivery.id })
        .andWhere(`${escape('leaseOwner')} = :owner`, { owner: this.owner })
        .execute(),
    );
  }
}

function addTo(total: DrainSummary, part: DrainSummary): void {
  total.delivered += part.delivered;
  total.failed += part.failed;
  total.deadLettered += part.deadLettered;
}
