import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { PLACETOPAY_CLOCK, type PlacetoPayClock } from '../common/clock';
import { WindowedLog } from '../common/windowed-log';

/** Why a webhook request was refused before anything was stored. */
export type WebhookRefusal =
  'too_large' | 'unreadable' | 'missing_fields' | 'bad_signature' | 'not_stored';

/** One log line per this window at most, whatever the flood. */
export const WEBHOOK_REFUSAL_WINDOW_MS = 60_000;

const WORDS: Record<WebhookRefusal, string> = {
  too_large: 'larger than 16 KB',
  unreadable: 'unreadable',
  missing_fields: 'missing fields',
  bad_signature: 'bad signature',
  not_stored: 'not stored (503)',
};

/**
 * The log of the webhook's refusals (400, 401, 413, and the 503 of a verified notification that
 * neither the database nor the journal could take), rate-limited: the first of a quiet minute
 * is written at once (`refused a notification for requestId 5: signature mismatch`), the rest of
 * that minute in one line with their count per reason. A flood of forged or oversized posts
 * writes one line a minute; `totals` counts them all.
 */
@Injectable()
export class WebhookRefusals implements OnApplicationShutdown {
  private readonly log: WindowedLog<WebhookRefusal>;

  constructor(@Inject(PLACETOPAY_CLOCK) clock: PlacetoPayClock) {
    const logger = new Logger('PlacetoPayWebhook');
    this.log = new WindowedLog({
      clock,
      windowMs: WEBHOOK_REFUSAL_WINDOW_MS,
      write: ({ total, counts, latest }) => {
        if (total === 1) {
          logger.warn(`refused ${latest}`);
          return;
        }
        const parts = [...counts].map(
          ([why, count]) => `${count.toLocaleString('en-US')} ${WORDS[why]}`,
        );
        logger.warn(
          `refused ${total.toLocaleString('en-US')} webhook requests in the last minute (${parts.join(', ')}; the latest: ${latest})`,
        );
      },
    });
  }

  /** Every refusal since start, per reason. */
  get totals(): ReadonlyMap<WebhookRefusal, number> {
    return this.log.totals;
  }

  /** Counts a refusal; `what` is already escaped for a log line ("a notification for ..."). */
  record(why: WebhookRefusal, what: string): void {
    this.log.record(why, what);
  }

  onApplicationShutdown(): Promise<void> {
    return this.log.stop();
  }
}
