import { ServiceUnavailableException } from '@nestjs/common';
import type { WebhookRefusals } from './webhook-refusals';

/**
 * A verified notification that neither the database nor the journal could take: answered 503,
 * a refusal PlacetoPay's dashboard shows, rather than a 200 for a notification that a crash would
 * lose. The message says what (`notification for requestId 5 (APPROVED)`) and why, already
 * escaped for a log line.
 */
export class NotificationNotHeld extends Error {
  constructor(
    message: string,
    /** `journal_unwritable` (the journal could not be written) or `held_full`. */
    readonly reason: 'journal_unwritable' | 'held_full',
  ) {
    super(message);
    this.name = 'NotificationNotHeld';
  }
}

/**
 * A webhook route's answer: a notification not held is refused with 503
 * `{ error: 'not_stored', reason }` and logged with the webhook's other refusals (rate-limited).
 */
export async function answerUnlessNotHeld<T>(
  answer: Promise<T>,
  refusals: WebhookRefusals,
): Promise<T> {
  try {
    return await answer;
  } catch (error) {
    if (!(error instanceof NotificationNotHeld)) throw error;
    refusals.record('not_stored', `a ${error.message}`);
    throw new ServiceUnavailableException({ error: 'not_stored', reason: error.reason });
  }
}
