import { Inject, Injectable } from '@nestjs/common';
import { InjectSiteClient } from '../gateway/site-client';
import { InjectSiteRepository } from '../persistence/site-data-source';

import { randomUUID } from 'node:crypto';
import type { Repository } from 'typeorm';
import { PLACETOPAY_CLOCK, type PlacetoPayClock } from '../common/clock';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import { DEFAULT_SITE } from '../config/site-name';
import { PlacetoPayClient } from '../gateway/placetopay.client';
import { PaymentLifecycle } from '../payments/payment-lifecycle';
import { PlacetoPayPaymentRepository } from '../payments/payment.repository';
import { PlacetoPayNotification } from '../persistence/placetopay-notification.entity';
import { TransactionRunner } from '../persistence/transaction-runner';
import { Inbox, type ReceiveResult } from './inbox';
import { InboxRows } from './inbox-rows';
import { inTraceOf, keepTrace } from './webhook-telemetry';
import { CLAIM_MS, NotificationSettlement } from './notification-settlement';
import type { VerifiedNotification } from './notification-signature.guard';

export type { ReceiveResult } from './inbox';

/**
 * Settlements running at once per process: the answer path (one INSERT) must always find a free
 * database connection, whatever the backlog.
 */
const SETTLE_CONCURRENCY = 2;

/**
 * The webhook's inbox. A verified notification is recorded (deduplicated on requestId + status +
 * date) before the answer, then settled in the background: its session is queried and applied
 * through the lifecycle. A failure leaves the row pending and it is retried with backoff until it
 * is settled: a notification is never lost.
 */
@Injectable()
export class NotificationInbox extends Inbox<PlacetoPayNotification, PlacetoPayNotification> {
  private readonly settlement: NotificationSettlement;
  /** This registration's site: its rows, its dedup key. */
  private readonly site: string;

  constructor(
    @InjectSiteRepository(PlacetoPayNotification)
    private readonly notifications: Repository<PlacetoPayNotification>,
    payments: PlacetoPayPaymentRepository,
    lifecycle: PaymentLifecycle,
    private readonly transactions: TransactionRunner,
    @InjectSiteClient() client: PlacetoPayClient,
    @Inject(PLACETOPAY_OPTIONS) options: ResolvedPlacetoPayOptions,
    @Inject(PLACETOPAY_CLOCK) private readonly clock: PlacetoPayClock,
  ) {
    const site = options.site ?? DEFAULT_SITE;
    super({
      rows: new InboxRows(notifications, transactions, (row) => ({
        site,
        requestId: row.requestId,
        status: row.status,
        statusDate: row.statusDate,
      })),
      clock,
      pollMs: options.eventPollMs,
      concurrency: SETTLE_CONCURRENCY,
      queue: { receivedAt: (row) => row.receivedAt },
      journal: {
        dir: options.journalDir,
        site,
        route: 'notification',
        decode: (data) => {
          const row = data as PlacetoPayNotification & {
            receivedAt: string;
            nextAttemptAt: string;
          };
          return notifications.create({
            ...row,
            receivedAt: new Date(row.receivedAt),
            nextAttemptAt: new Date(row.nextAttemptAt),
          });
        },
      },
      says: {
        subject: 'notification for requestId',
        heldWritten: 'held notifications written to the database',
        heldLost: (count) =>
          `${count} verified notification(s) could not be stored before shutdown`,
        retryFailed: 'notification settlement failed',
      },
    });
    this.site = site;
    this.settlement = new NotificationSettlement({
      notifications,
      payments,
      lifecycle,
      transactions,
      client,
      options,
      clock,
      logger: this.logger,
    });
  }

  /** Records a verified notification; settles it in the background. */
  receive(notification: VerifiedNotification): Promise<ReceiveResult> {
    const now = this.clock.now();
    return this.accept(
      this.notifications.create({
        id: randomUUID(),
        site: this.site,
        requestId: notification.requestId,
        status: notification.status,
        statusDate: notification.date,
        reference: notification.reference,
        signatureAlgorithm: notification.algorithm,
        state: 'pending',
        attempts: 0,
        // This process's queue settles it (yielding to the answers); the poll, the probe or
        // another replica take it only if it is not settled within CLAIM_MS (this process
        // stopped).
        nextAttemptAt: new Date(now.getTime() + CLAIM_MS),
        lastError: null,
        receivedAt: now,
        settledAt: null,
      }),
    );
  }

  protected key(row: PlacetoPayNotification): string {
    return `${row.requestId}|${row.status}|${row.statusDate}`;
  }

  protected label(row: PlacetoPayNotification): string {
    return `${row.requestId} (${row.status})`;
  }

  protected async record(row: PlacetoPayNotification): Promise<ReceiveResult> {
    try {
      await this.rows.add(row);
    } catch (error) {
      // Lost a race against the same notification: the unique key says it is a duplicate.
      if (await this.rows.exists(row)) return { received: true, duplicate: true };
      throw error;
    }
    // Settled in the webhook's trace: its events link their deliveries to it.
    this.enqueue(keepTrace(row));
    return { received: true, duplicate: false };
  }

  /** Writes a held row; a copy stored meanwhile counts as written. */
  protected async recordHeld(row: PlacetoPayNotification): Promise<void> {
    try {
      await this.rows.addAlone(row);
    } catch (error) {
      if (await this.rows.exists(row)) return;
      throw error;
    }
    this.enqueue(row);
  }

  protected settle(row: PlacetoPayNotification): Promise<boolean> {
    return inTraceOf(row, () => this.settlement.settle(row));
  }

  protected due(now: Date, limit: number): Promise<PlacetoPayNotification[]> {
    const escape = (name: string) => this.notifications.manager.connection.driver.escape(name);
    return this.notifications
      .createQueryBuilder('n')
      .where(`n.${escape('state')} = 'pending'`)
      .andWhere(`n.${escape('site')} = :site`, { site: this.site })
      .andWhere(`n.${escape('nextAttemptAt')} <= :now`, { now: now.getTime() })
      .orderBy(`n.${escape('receivedAt')}`, 'ASC')
      .limit(limit)
      .getMany();
  }

  protected override unclaimed(limit: number): Promise<PlacetoPayNotification[]> {
    return this.transactions.exclusive(() =>
      this.notifications.find({
        where: { site: this.site, state: 'pending', attempts: 0 },
        // Fresh rows' nextAttemptAt is receivedAt + CLAIM_MS: the same order, on an index.
        order: { nextAttemptAt: 'ASC' },
        take: limit,
      }),
    );
  }
}
