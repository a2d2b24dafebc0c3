import { Inject, Injectable } from '@nestjs/common';
import { InjectSiteClient } from '../gateway/site-client';
import { InjectSiteRepository } from '../persistence/site-data-source';

import { randomUUID } from 'node:crypto';
import type { Repository } from 'typeorm';
import { PLACETOPAY_CLOCK, type PlacetoPayClock } from '../common/clock';
import { logText } from '../common/log-text';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import { DEFAULT_SITE } from '../config/site-name';
import { PlacetoPayClient } from '../gateway/placetopay.client';
import { PlacetoPayPayment } from '../persistence/placetopay-payment.entity';
import { PaymentLifecycle } from '../payments/payment-lifecycle';
import { PaymentStatus } from '../payments/payment-status';
import { PlacetoPayRecurringNotification } from '../persistence/placetopay-recurring-notification.entity';
import { TransactionRunner } from '../persistence/transaction-runner';
import { Inbox, type HeldRoom, type ReceiveResult } from './inbox';
import { InboxRows } from './inbox-rows';
import { CLAIM_MS, RecurringChargeSettlement } from './recurring-charge-settlement';
import { UnsignedRecurringBound } from './unsigned-recurring-bound';
import type { CheckedRecurringNotification } from './recurring-notification.guard';

interface ReceivedRecurringNotification {
  notification: CheckedRecurringNotification;
  receivedAt: Date;
}

/**
 * Records recurring-charge notifications (deduplicated on internalReference + status + date) and
 * settles a verified one in the background, like a session notification: the charge becomes a
 * payment of its own once a queried session lists it (RecurringChargeSettlement). An unverified
 * one is recorded with a warning and never applied. A settlement that failed leaves the row
 * `pending`, settled by a later poll, once.
 */
@Injectable()
export class RecurringNotificationInbox extends Inbox<
  ReceivedRecurringNotification,
  PlacetoPayRecurringNotification
> {
  private readonly charges: RecurringChargeSettlement;
  private readonly bound: UnsignedRecurringBound;
  /** This registration's site: its rows, its dedup key, its payments. */
  private readonly site: string;

  constructor(
    @InjectSiteRepository(PlacetoPayRecurringNotification)
    private readonly notifications: Repository<PlacetoPayRecurringNotification>,
    @InjectSiteRepository(PlacetoPayPayment)
    private readonly payments: Repository<PlacetoPayPayment>,
    lifecycle: PaymentLifecycle,
    private readonly transactions: TransactionRunner,
    @Inject(PLACETOPAY_CLOCK) private readonly clock: PlacetoPayClock,
    @Inject(PLACETOPAY_OPTIONS) options: ResolvedPlacetoPayOptions,
    @InjectSiteClient() client: PlacetoPayClient,
  ) {
    const site = options.site ?? DEFAULT_SITE;
    super({
      rows: new InboxRows(notifications, transactions, (row) => ({
        site,
        internalReference: row.internalReference,
        status: row.status,
        statusDate: row.statusDate,
      })),
      clock,
      pollMs: options.eventPollMs,
      // One at a time: a retry pass stops at the first claim the database refuses.
      concurrency: 1,
      queue: { receivedAt: (row) => row.receivedAt },
      journal: {
        dir: options.journalDir,
        site,
        route: 'recurring-notification',
        decode: (data) => {
          const held = data as { notification: CheckedRecurringNotification; receivedAt: string };
          return { notification: held.notification, receivedAt: new Date(held.receivedAt) };
        },
      },
      says: {
        subject: 'recurring notification for internalReference',
        heldWritten: 'held recurring notifications written to the database',
        heldLost: (count) =>
          `${count} recurring notification(s) could not be stored before shutdown`,
        retryFailed: 'could not look for unsettled recurring charges',
      },
    });
    this.site = site;
    this.charges = new RecurringChargeSettlement(
      site,
      notifications,
      payments,
      lifecycle,
      client,
      transactions,
      clock,
      this.logger,
    );
    this.bound = new UnsignedRecurringBound(notifications, transactions, clock, this.logger);
  }

  override async onApplicationShutdown(): Promise<void> {
    await super.onApplicationShutdown();
    await this.bound.stop();
  }

  receive(notification: CheckedRecurringNotification): Promise<ReceiveResult> {
    return this.accept({ notification, receivedAt: this.clock.now() });
  }

  protected key({ notification: n }: ReceivedRecurringNotification): string {
    return `${n.internalReference}|${n.status}|${n.date}`;
  }

  protected label({ notification: n }: ReceivedRecurringNotification): string {
    return `${n.internalReference} (${n.status}, reference ${n.reference})`;
  }

  /** Only a verified copy replaces one held (a forgery sent ahead cannot silence it). */
  protected override replaceHeld(
    held: ReceivedRecurringNotification,
    incoming: ReceivedRecurringNotification,
  ): ReceivedRecurringNotification | undefined {
    if (!incoming.notification.verified || held.notification.verified) return undefined;
    return { notification: incoming.notification, receivedAt: held.receivedAt };
  }

  /**
   * Full: a verified one takes the place of the oldest unverified one (unsigned posts during an
   * outage must not crowd out a genuine charge).
   */
  protected override makeRoom(
    incoming: ReceivedRecurringNotification,
  ): HeldRoom<ReceivedRecurringNotification> | undefined {
    if (!incoming.notification.verified) return undefined;
    return {
      matches: (held) => !held.notification.verified,
      warning: (dropped) =>
        `held recurring notification for internalReference ${dropped.notification.internalReference} (unverified) dropped to make room for a verified one`,
    };
  }

  protected async recordHeld(entry: ReceivedRecurringNotification): Promise<void> {
    await this.record(entry);
  }

  protected due(now: Date, limit: number): Promise<PlacetoPayRecurringNotification[]> {
    return this.charges.due(now, limit);
  }

  protected settle(row: PlacetoPayRecurringNotification): Promise<boolean | 'halt'> {
    return this.charges.retry(row);
  }

  protected async record({
    notification,
    receivedAt,
  }: ReceivedRecurringNotification): Promise<ReceiveResult> {
    const origin = await this.originOf(notification.reference);
    // The guessed formula is the session notification's with internalReference for requestId, so
    // a genuine session notification reposted here would verify: one whose number is a session
    // we know is taken for what it is, a replay, and not trusted.
    const replay =
      notification.verified && (await this.isKnownSession(notification.internalReference));
    const verified = notification.verified && !replay;
    const signature = replay ? 'replayed from a session' : notification.signatureProblem;
    const about = `internalReference ${notification.internalReference} (reference ${notification.reference}, signature ${signature})`;
    if (!verified && !origin) {
      // Unsigned noise about a payment we do not have: counted, not stored (the table would
      // otherwise grow with whatever anyone posts), logged once a minute at most.
      this.bound.refuse('unknown_reference', about);
      return { received: true, duplicate: false };
    }
    const row = this.rowOf(notification, verified, origin, receivedAt);
    if (verified) return this.store(row, notification, null);
    // Unsigned: stored within the bound only (docs/webhook.md); a refusal is counted and answered 200.
    const admitted = await this.bound.admit(origin!, about, () =>
      this.store(row, notification, signature),
    );
    return 'stored' in admitted ? admitted.stored : { received: true, duplicate: false };
  }

  private rowOf(
    notification: CheckedRecurringNotification,
    verified: boolean,
    origin: string | null,
    receivedAt: Date,
  ): PlacetoPayRecurringNotification {
    const pending = verified && origin !== null;
    return this.notifications.create({
      id: randomUUID(),
      site: this.site,
      internalReference: notification.internalReference,
      status: notification.status,
      statusDate: notification.date,
      reference: notification.reference,
      reason: notification.reason,
      message: notification.message,
      tries: notification.tries,
      enabled: notification.enabled,
      signatureAlgorithm: notification.algorithm,
      verified,
      paymentId: origin,
      receivedAt,
      eventState: pending ? 'pending' : 'none',
      nextEventAt: pending ? new Date(this.clock.now().getTime() + CLAIM_MS) : null,
    });
  }

  /** Inserts the row (a duplicate is answered as one); `unverified`: why it did not verify. */
  private async store(
    row: PlacetoPayRecurringNotification,
    notification: CheckedRecurringNotification,
    unverified: string | null,
  ): Promise<ReceiveResult> {
    const verified = unverified === null;
    try {
      await this.rows.addAlone(row);
    } catch (error) {
      // Lost a race against the same notification: the unique key says it is a duplicate.
      const existing = await this.rows.findStored(row);
      if (!existing) throw error;
      if (!(verified && (await this.supersede(existing, row)))) {
        return { received: true, duplicate: true };
      }
      row.id = existing.id;
    }
    const reference = logText(notification.reference);
    if (!verified) {
      this.logger.warn(
        `recurring notification for internalReference ${notification.internalReference} (reference ${reference}) recorded unverified (signature ${unverified}): nothing applied`,
      );
    } else if (!row.paymentId) {
      this.logger.warn(
        `recurring notification for unknown reference ${reference} (internalReference ${notification.internalReference}) recorded`,
      );
    } else {
      // Settled in the background: the answer never waits for PlacetoPay.
      this.enqueue(row);
    }
    return { received: true, duplicate: false };
  }

  private async isKnownSession(internalReference: number): Promise<boolean> {
    return this.transactions.exclusive(() =>
      this.payments.existsBy({ site: this.site, requestId: internalReference }),
    );
  }

  /**
   * Whether the reference has an approved payment, and its newest: what bounds unverified rows and
   * says a verified one is worth settling. The charge's own original is found when it is settled,
   * by the session that lists it.
   */
  private async originOf(reference: string): Promise<string | null> {
    const payment = await this.transactions.exclusive(() =>
      this.payments.findOne({
        select: { id: true },
        where: { site: this.site, reference, status: PaymentStatus.APPROVED, kind: 'payment' },
        order: { createdAt: 'DESC', id: 'DESC' },
      }),
    );
    return payment?.id ?? null;
  }

  /**
   * A verified copy of a notification recorded unverified (someone sent one with the same key
   * first): it replaces the unverified row's content, once (a conditional UPDATE), so a forgery
   * sent ahead cannot silence the genuine notification.
   */
  private async supersede(
    existing: PlacetoPayRecurringNotification,
    row: PlacetoPayRecurringNotification,
  ): Promise<boolean> {
    if (existing.verified) return false;
    const { id: _id, receivedAt: _receivedAt, ...content } = row;
    const result = await this.transactions.exclusive(() =>
      this.notifications.update({ id: existing.id, verified: false }, content),
    );
    return result.affected === 1;
  }
}
