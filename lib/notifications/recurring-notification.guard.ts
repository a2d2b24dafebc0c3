import {
  BadRequestException,
  Inject,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type {
  PlacetoPayHashAlgorithm,
  ResolvedPlacetoPayOptions,
} from '../config/placetopay-options.interface';
import {
  checkRecurringNotificationSignature,
  signatureAlgorithm,
  type SignatureCheck,
} from '../gateway/notification-signature';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import { readWebhookBody } from './notification-body';
import { WebhookRefusals } from './webhook-refusals';
import { guardWebhook } from './webhook-telemetry';
import {
  readRecurringNotificationPayload,
  type RecurringNotificationPayload,
} from './recurring-notification-payload';

/** Where the guard leaves the checked notification for the controller. */
export const CHECKED_RECURRING_NOTIFICATION = Symbol('placetopayCheckedRecurringNotification');

export interface CheckedRecurringNotification extends RecurringNotificationPayload {
  /** From the signature's prefix: the one it verified with, or the one it claims. */
  algorithm: PlacetoPayHashAlgorithm;
  verified: boolean;
  /** Why it did not verify. */
  signatureProblem: Exclude<SignatureCheck, { valid: true }>['reason'] | null;
}

/**
 * Reads a recurring-charge notification like the notification route does (JSON or form, at most
 * 16 KB: 413, a malformed one: 400 with a reason code, nothing stored) and checks its signature
 * with the analogue formula. Unlike the notification route, a signature that does not verify is
 * let through marked unverified: the formula is a guess, so a genuine notification may fail it,
 * and PlacetoPay never sends it again. What is unverified is recorded, never applied.
 */
@Injectable()
export class RecurringNotificationGuard implements CanActivate {
  constructor(
    @Inject(PLACETOPAY_OPTIONS) private readonly options: ResolvedPlacetoPayOptions,
    private readonly refusals: WebhookRefusals,
  ) {}

  canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<object>();
    return guardWebhook(request, this.options.site, 'recurring', () => this.check(context));
  }

  private async check(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest();
    const body = await readWebhookBody(
      request,
      http.getResponse(),
      this.refusals,
      'a recurring notification',
    );
    const read = readRecurringNotificationPayload(body);
    if (!read.ok) {
      this.refusals.record(
        'missing_fields',
        `a recurring notification without ${read.missing.join(', ')}`,
      );
      throw new BadRequestException({
        error: 'invalid_notification',
        reason: 'missing_fields',
        fields: read.missing,
      });
    }
    const { payload } = read;
    const check = checkRecurringNotificationSignature(
      payload.signature,
      {
        internalReference: payload.internalReferenceText,
        status: payload.status,
        date: payload.date,
        secretKey: this.options.secretKey,
      },
      this.options.allowLegacySha1,
    );
    const checked: CheckedRecurringNotification = {
      ...payload,
      algorithm: check.valid ? check.algorithm : signatureAlgorithm(payload.signature),
      verified: check.valid,
      signatureProblem: check.valid ? null : check.reason,
    };
    request[CHECKED_RECURRING_NOTIFICATION] = checked;
    return true;
  }
}
