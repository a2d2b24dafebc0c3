import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectSiteClient } from '../gateway/site-client';
import { InjectSiteRepository } from '../persistence/site-data-source';

import { IsNull, MoreThanOrEqual, type Repository } from 'typeorm';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { errorMessage as reason } from '../gateway/errors/describe-thrown';
import { toMinorUnits } from '../gateway/money';
import { PlacetoPayClient } from '../gateway/placetopay.client';
import type { RedirectInformation } from '../gateway/wire/responses.types';
import { PlacetoPayNotification } from '../persistence/placetopay-notification.entity';
import { PaymentLifecycle } from '../payments/payment-lifecycle';
import { PaymentStatus } from '../payments/payment-status';
import { PlacetoPayPayment } from '../persistence/placetopay-payment.entity';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import { DEFAULT_SITE } from '../config/site-name';
import { PLACETOPAY_CLOCK, type PlacetoPayClock } from '../common/clock';

const BATCH = 50;
/** How long after a lost charge its notification is looked for. */
const MATCH_WINDOW_MS = 2 * 86_400_000;
/** A notification this much older than the charge cannot be its. */
const CLOCK_SLACK_MS = 5 * 60_000;

/**
 * A collect whose answer was lost (a timeout) left an UNKNOWN payment with no requestId: there is
 * nothing to query and collect is never sent twice. PlacetoPay still notifies the charge's own
 * session; the webhook records it under a requestId nobody knows. This matches the two: a
 * notification with the payment's reference, received after the charge began, whose session
 * (queried) was created for the same reference, amount and currency. The payment takes that
 * requestId and settles from the session like any other.
 */
@Injectable()
export class UnknownCharges {
  private readonly logger = new Logger('PlacetoPayProbe');

  constructor(
    @InjectSiteRepository(PlacetoPayPayment)
    private readonly payments: Repository<PlacetoPayPayment>,
    @InjectSiteRepository(PlacetoPayNotification)
    private readonly notifications: Repository<PlacetoPayNotification>,
    @InjectSiteClient() private readonly client: PlacetoPayClient,
    private readonly lifecycle: PaymentLifecycle,
    @Inject(PLACETOPAY_OPTIONS) private readonly options: ResolvedPlacetoPayOptions,
    @Inject(PLACETOPAY_CLOCK) private readonly clock: PlacetoPayClock,
  ) {}

  private get site(): string {
    return this.options.site ?? DEFAULT_SITE;
  }

  /** Matches what it can; returns how many payments found their session. */
  async match(): Promise<number> {
    // Newest first, and only recent ones: PlacetoPay notifies within minutes, and charges that
    // never reached it (no notification will come) must not crowd out the ones that did.
    const unknown = await this.payments.find({
      where: {
        site: this.site,
        kind: 'collect',
        status: PaymentStatus.UNKNOWN,
        requestId: IsNull(),
        createdAt: MoreThanOrEqual(new Date(this.clock.now().getTime() - MATCH_WINDOW_MS)),
      },
      order: { createdAt: 'DESC' },
      take: BATCH,
    });
    let matched = 0;
    for (const payment of unknown) {
      const candidates = await this.notifications.find({
        where: {
          site: this.site,
          reference: payment.reference,
          state: 'unknown_payment',
          receivedAt: MoreThanOrEqual(new Date(payment.createdAt.getTime() - CLOCK_SLACK_MS)),
        },
        order: { receivedAt: 'ASC' },
      });
      for (const notification of candidates) {
        try {
          if (await this.adopt(payment, notification.requestId)) {
            matched += 1;
            break;
          }
        } catch (error) {
          this.logger.warn(
            `unknown charge ${payment.id}: session ${notification.requestId} could not be checked: ${reason(error)}`,
          );
        }
      }
    }
    return matched;
  }

  private async adopt(payment: PlacetoPayPayment, requestId: number): Promise<boolean> {
    if (await this.payments.existsBy({ site: this.site, requestId })) return false;
    const session = await this.client.getSession(requestId);
    if (!sameCharge(session, payment)) return false;
    this.logger.log(
      `unknown charge ${payment.id} (reference ${payment.reference}) is session ${requestId}: settling it from there`,
    );
    await this.lifecycle.recordCreated(
      payment.id,
      { requestId, processUrl: null },
      new Date(this.clock.now().getTime() + this.options.probeFirstCheckMs),
    );
    await this.lifecycle.apply({ source: 'probe', session });
    return true;
  }
}

function sameCharge(session: RedirectInformation, payment: PlacetoPayPayment): boolean {
  const requested = session.request?.payment as
    { reference?: unknown; amount?: { currency?: unknown; total?: unknown } } | undefined;
  if (!requested || requested.reference !== payment.reference) return false;
  const currency = requested.amount?.currency;
  const total = Number(requested.amount?.total);
  if (currency !== payment.currency || !Number.isFinite(total)) return false;
  try {
    return toMinorUnits(total, currency) === payment.amountMinor;
  } catch {
    return false;
  }
}
