import {
  computeNotificationSignature,
  computeRecurringNotificationSignature,
} from '../../gateway/notification-signature';
import type { SimulatedSession, SimulatedTransaction, WireStatus } from './simulated-session';

export interface NotificationBehaviour {
  /** Wait this long (real time) before sending. */
  delayMs?: number;
  /** Drop notifications: never sent, as when the merchant's endpoint was unreachable. */
  drop?: boolean;
  /** Send each notification twice. */
  duplicate?: boolean;
  /** Hold notifications until `releaseHeld()`, which can send them in reverse order. */
  hold?: boolean;
  /** Sign with a wrong secret. */
  badSignature?: boolean;
}

export interface NotificationBody {
  status: WireStatus;
  requestId: number;
  reference: string;
  signature: string;
}

/**
 * A recurring charge's notification (docs/protocol.md §7.2), posted to `payment.recurring.notificationUrl`:
 * no requestId. PlacetoPay does not document its signature; the simulator signs it with the
 * documented formula's analogue (internalReference in place of requestId).
 */
export interface RecurringNotificationBody {
  status: WireStatus;
  internalReference: number;
  reference: string;
  signature: string;
  recurring: { tries: number; enabled: boolean };
}

export interface SentNotification {
  url: string;
  body: NotificationBody | RecurringNotificationBody;
  /** HTTP status the merchant answered, or undefined when the request failed. */
  responseStatus?: number;
  error?: string;
  dropped?: boolean;
}

/** Posts PlacetoPay's signed notification once, never retried, like the real gateway (docs/protocol.md §7). */
export class Notifier {
  behaviour: NotificationBehaviour = {};
  readonly sent: SentNotification[] = [];
  private held: Array<{ url: string; body: SentNotification['body'] }> = [];
  private readonly inFlight = new Set<Promise<void>>();

  build(session: SimulatedSession, overrides: Partial<NotificationBody> = {}): NotificationBody {
    const secretKey = this.behaviour.badSignature
      ? `${session.site.secretKey}-wrong`
      : session.site.secretKey;
    const status = overrides.status ?? session.status;
    const requestId = overrides.requestId ?? session.requestId;
    return {
      status,
      requestId,
      reference: overrides.reference ?? session.reference,
      signature:
        overrides.signature ??
        computeNotificationSignature({
          requestId,
          status: status.status,
          date: status.date,
          secretKey,
          algorithm: session.site.signatureAlgorithm ?? 'sha256',
        }),
    };
  }

  notify(session: SimulatedSession, overrides: Partial<NotificationBody> = {}): void {
    const url = session.site.notificationUrl;
    if (!url) return;
    this.send(url, this.build(session, overrides));
  }

  /** Notifies a recurring charge `tx` of `session` to the recurrence's own notification URL. */
  notifyRecurring(
    session: SimulatedSession,
    tx: SimulatedTransaction,
    url: string,
    recurring: RecurringNotificationBody['recurring'],
  ): void {
    const secretKey = this.behaviour.badSignature
      ? `${session.site.secretKey}-wrong`
      : session.site.secretKey;
    this.send(url, {
      status: { ...tx.status },
      internalReference: tx.internalReference,
      reference: tx.reference,
      signature: computeRecurringNotificationSignature({
        internalReference: tx.internalReference,
        status: tx.status.status,
        date: tx.status.date,
        secretKey,
        algorithm: session.site.signatureAlgorithm ?? 'sha256',
      }),
      recurring,
    });
  }

  /** Once, never retried; subject to the behaviour knobs. */
  private send(url: string, body: SentNotification['body']): void {
    if (this.behaviour.drop) {
      this.sent.push({ url, body, dropped: true });
      return;
    }
    if (this.behaviour.hold) {
      this.held.push({ url, body });
      return;
    }
    this.dispatch(url, body);
    if (this.behaviour.duplicate) this.dispatch(url, body);
  }

  releaseHeld(options: { reverse?: boolean } = {}): void {
    const batch = options.reverse ? [...this.held].reverse() : this.held;
    this.held = [];
    for (const { url, body } of batch) this.dispatch(url, body);
  }

  get heldCount(): number {
    return this.held.length;
  }

  /** Resolves when every notification under way has been answered or failed. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  private dispatch(url: string, body: SentNotification['body']): void {
    const record: SentNotification = { url, body };
    const delivery = (async () => {
      if (this.behaviour.delayMs)
        await new Promise((resolve) => setTimeout(resolve, this.behaviour.delayMs));
      try {
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(10_000),
        });
        record.responseStatus = response.status;
        await response.arrayBuffer();
      } catch (error) {
        record.error = error instanceof Error ? error.message : String(error);
      }
      this.sent.push(record);
    })();
    this.inFlight.add(delivery);
    void delivery.finally(() => this.inFlight.delete(delivery));
  }
}
