import type { Logger } from '@nestjs/common';
import { Mutex } from 'async-mutex';
import { MoreThan, type Repository } from 'typeorm';
import type { PlacetoPayClock } from '../common/clock';
import { logText } from '../common/log-text';
import { WindowedLog } from '../common/windowed-log';
import type { PlacetoPayRecurringNotification } from '../persistence/placetopay-recurring-notification.entity';
import type { TransactionRunner } from '../persistence/transaction-runner';

/** Unverified recurring notifications stored per payment in any 24 hours, at most. */
export const UNVERIFIED_PER_PAYMENT_PER_DAY = 10;
/** Unverified recurring notifications a process stores per minute, at most, all payments together. */
export const UNVERIFIED_PER_MINUTE = 100;
/** Refusals are logged in one line per this window, with their count. */
export const REFUSAL_LOG_WINDOW_MS = 60_000;
const DAY_MS = 24 * 60 * 60 * 1000;

export type UnsignedRefusal = 'unknown_reference' | 'over_payment_bound' | 'over_rate';

const REFUSAL_WORDS: Record<UnsignedRefusal, string> = {
  unknown_reference: 'for references of no approved payment',
  over_payment_bound: `over ${UNVERIFIED_PER_PAYMENT_PER_DAY} a day for one payment`,
  over_rate: `over ${UNVERIFIED_PER_MINUTE} a minute`,
};

/**
 * What an unsigned (unverified) recurring notification may store, bounded: at most
 * UNVERIFIED_PER_PAYMENT_PER_DAY per payment (counted in the table, so across replicas and
 * restarts) and UNVERIFIED_PER_MINUTE per process. Verified ones are never counted nor refused.
 * Refusals are logged at most once a window, with how many there were, so a flood of unsigned
 * posts costs neither rows nor log lines.
 */
export class UnsignedRecurringBound {
  /** Admissions one at a time in this process: a burst cannot all pass the same count. */
  private readonly admitting = new Mutex();
  private minuteStart = -Infinity;
  private storedThisMinute = 0;
  private readonly refusals: WindowedLog<UnsignedRefusal>;

  constructor(
    private readonly notifications: Repository<PlacetoPayRecurringNotification>,
    private readonly transactions: TransactionRunner,
    private readonly clock: PlacetoPayClock,
    logger: Logger,
  ) {
    this.refusals = new WindowedLog({
      clock,
      windowMs: REFUSAL_LOG_WINDOW_MS,
      write: ({ total, counts, latest }) => {
        const parts = [...counts].map(
          ([why, count]) => `${count.toLocaleString('en-US')} ${REFUSAL_WORDS[why]}`,
        );
        logger.warn(
          `refused ${total.toLocaleString('en-US')} unsigned recurring notification(s) in the last minute, nothing stored (${parts.join(', ')}; the latest: ${latest})`,
        );
      },
    });
  }

  /**
   * Runs `store` if an unverified notification of `paymentId` may still be stored; resolves with
   * its result, or with the reason it was refused (logged, counted).
   */
  async admit<T>(
    paymentId: string,
    label: string,
    store: () => Promise<T>,
  ): Promise<{ stored: T } | { refused: UnsignedRefusal }> {
    return this.admitting.runExclusive(async () => {
      const now = this.clock.now().getTime();
      if (now - this.minuteStart >= 60_000) {
        this.minuteStart = now;
        this.storedThisMinute = 0;
      }
      let refusal: UnsignedRefusal | undefined;
      if (this.storedThisMinute >= UNVERIFIED_PER_MINUTE) refusal = 'over_rate';
      else if ((await this.storedToday(paymentId, now)) >= UNVERIFIED_PER_PAYMENT_PER_DAY)
        refusal = 'over_payment_bound';
      if (refusal) {
        this.refuse(refusal, label);
        return { refused: refusal };
      }
      this.storedThisMinute += 1;
      return { stored: await store() };
    });
  }

  /** Counts a refused unsigned notification; logs the window's count once per window. */
  refuse(why: UnsignedRefusal, label: string): void {
    this.refusals.record(why, logText(label));
  }

  /** Logs the refusals not logged yet (at shutdown). */
  stop(): Promise<void> {
    return this.refusals.stop();
  }

  private storedToday(paymentId: string, now: number): Promise<number> {
    return this.transactions.exclusive(() =>
      this.notifications.count({
        where: { paymentId, verified: false, receivedAt: MoreThan(new Date(now - DAY_MS)) },
      }),
    );
  }
}
