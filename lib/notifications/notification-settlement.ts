import type { Logger } from '@nestjs/common';
import type { EntityManager, Repository } from 'typeorm';
import type { PlacetoPayClock } from '../common/clock';
import { logText } from '../common/log-text';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { errorMessage as reason } from '../gateway/errors/describe-thrown';
import type { PlacetoPayClient } from '../gateway/placetopay.client';
import { backoffDelay, equalJitter } from '../gateway/retry-policy';
import type { PaymentLifecycle } from '../payments/payment-lifecycle';
import { isFinalStatus, type PaymentStatus } from '../payments/payment-status';
import type { PlacetoPayPaymentRepository } from '../payments/payment.repository';
import { PlacetoPayNotification } from '../persistence/placetopay-notification.entity';
import type { TransactionRunner } from '../persistence/transaction-runner';
import { recordSettleTime } from './webhook-telemetry';

const RETRY = { baseDelayMs: 5_000, maxDelayMs: 10 * 60_000 };
/** How long a replica owns a notification it is settling (or has just recorded). */
export const CLAIM_MS = 60_000;
const FINAL_GATEWAY_STATUSES = new Set(['APPROVED', 'REJECTED', 'PARTIAL_EXPIRED']);

export interface NotificationSettlementDeps {
  notifications: Repository<PlacetoPayNotification>;
  payments: PlacetoPayPaymentRepository;
  lifecycle: PaymentLifecycle;
  transactions: TransactionRunner;
  client: PlacetoPayClient;
  options: ResolvedPlacetoPayOptions;
  clock: PlacetoPayClock;
  logger: Logger;
}

/**
 * Settles one recorded notification: claims its row (a conditional UPDATE), queries the session
 * and applies it through the lifecycle; a change with events marks the row settled in its own
 * transaction. A failure leaves the row pending, due again after a backoff.
 */
export class NotificationSettlement {
  constructor(private readonly deps: NotificationSettlementDeps) {}

  /** True when this call settled the row. */
  async settle(row: PlacetoPayNotification): Promise<boolean> {
    if (!(await this.claim(row))) return false;
    const { lifecycle, options, client, payments, logger } = this.deps;
    try {
      const payment = await lifecycle.findForChange({ requestId: row.requestId });
      if (!payment) {
        logger.warn(
          `notification for unknown requestId ${row.requestId} (reference ${logText(row.reference ?? '-')}) recorded`,
        );
        await this.finish(row, 'unknown_payment');
        return true;
      }
      if (!isFinalStatus(payment.status) && options.notificationQuery) {
        const session = await client.getSession(row.requestId);
        const { outcome, alongside } = await lifecycle.applyWith(
          { source: 'notification', session },
          {
            current: payment,
            // A change with events settles the row in its own transaction: one round trip less.
            alongside: (manager, written) => this.settledAlongside(manager, row, written.status),
          },
        );
        recordSettleTime(options.site, row.receivedAt, outcome, this.deps.clock);
        if (alongside) return true;
        if (outcome.kind === 'unknown_payment') {
          await this.finish(row, 'unknown_payment');
          return true;
        }
        // PlacetoPay signed a final status its own query does not show yet: ask again later.
        const after =
          outcome.kind === 'transitioned'
            ? outcome.to
            : outcome.kind === 'unchanged'
              ? outcome.status
              : (await payments.findByRequestId(row.requestId))?.status;
        if (
          FINAL_GATEWAY_STATUSES.has(row.status) &&
          after &&
          !isFinalStatus(after as PaymentStatus)
        ) {
          throw new Error(
            `the session is ${session.status.status}, the notification said ${row.status}`,
          );
        }
      }
      await this.finish(row, 'settled');
      return true;
    } catch (error) {
      await this.retryLater(row, error);
      return false;
    }
  }

  private async retryLater(row: PlacetoPayNotification, error: unknown): Promise<void> {
    const { transactions, notifications, clock, logger } = this.deps;
    const delay = backoffDelay(row.attempts, RETRY, equalJitter());
    await transactions.exclusive(() =>
      notifications.update(
        { id: row.id, state: 'pending' },
        {
          nextAttemptAt: new Date(clock.now().getTime() + delay),
          lastError: reason(error).slice(0, 500),
        },
      ),
    );
    logger.warn(
      `notification for requestId ${row.requestId} not settled yet (attempt ${row.attempts}); retrying in ${delay} ms: ${logText(reason(error))}`,
    );
  }

  private async claim(row: PlacetoPayNotification): Promise<boolean> {
    const { transactions, notifications, clock } = this.deps;
    const escape = (name: string) => notifications.manager.connection.driver.escape(name);
    const now = clock.now();
    const result = await transactions.exclusive(() =>
      notifications
        .createQueryBuilder()
        .update()
        .set({
          attempts: () => `${escape('attempts')} + 1`,
          nextAttemptAt: new Date(now.getTime() + CLAIM_MS),
        })
        .where(`${escape('id')} = :id`, { id: row.id })
        .andWhere(`${escape('state')} = 'pending'`)
        .andWhere(`${escape('attempts')} = :attempts`, { attempts: row.attempts })
        .execute(),
    );
    if (result.affected !== 1) return false;
    row.attempts += 1;
    return true;
  }

  /** Ends the row's settlement; with a manager, inside that transaction. */
  private async finish(
    row: PlacetoPayNotification,
    state: 'settled' | 'unknown_payment',
    manager?: EntityManager,
  ): Promise<void> {
    const { transactions, notifications, clock } = this.deps;
    const write = (m: EntityManager) =>
      m.update(
        PlacetoPayNotification,
        { id: row.id },
        { state, settledAt: clock.now(), lastError: null },
      );
    await (manager ? write(manager) : transactions.exclusive(() => write(notifications.manager)));
  }

  /**
   * Inside the transaction that applies the queried session: marks the row settled, unless the
   * notification said final and the payment is not (then it is asked again later). False when
   * it did not write.
   */
  private async settledAlongside(
    manager: EntityManager,
    row: PlacetoPayNotification,
    status: PaymentStatus,
  ): Promise<boolean> {
    if (FINAL_GATEWAY_STATUSES.has(row.status) && !isFinalStatus(status)) return false;
    await this.finish(row, 'settled', manager);
    return true;
  }
}
