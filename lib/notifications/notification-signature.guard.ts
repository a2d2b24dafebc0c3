import {
  BadRequestException,
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { checkNotificationSignature } from '../gateway/notification-signature';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import { logText } from '../common/log-text';
import { readWebhookBody } from './notification-body';
import { WebhookRefusals } from './webhook-refusals';
import { guardWebhook } from './webhook-telemetry';
import { readNotificationPayload, type NotificationPayload } from './notification-payload';

/** Where the guard leaves the verified notification for the controller. */
export const VERIFIED_NOTIFICATION = Symbol('placetopayVerifiedNotification');

export interface VerifiedNotification extends NotificationPayload {
  algorithm: 'sha256' | 'sha1';
}

/**
 * Verifies PlacetoPay's signature (docs/protocol.md §7.3) over requestId, status.status and status.date as
 * received: algorithm from the prefix, lowercase hex, length check, constant-time comparison.
 * A malformed notification gets 400, a bad signature 401 with a reason code; nothing is stored.
 */
@Injectable()
export class NotificationSignatureGuard implements CanActivate {
  constructor(
    @Inject(PLACETOPAY_OPTIONS) private readonly options: ResolvedPlacetoPayOptions,
    private readonly refusals: WebhookRefusals,
  ) {}

  canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<object>();
    return guardWebhook(request, this.options.site, 'session', () => this.verify(context));
  }

  private async verify(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest();
    const body = await readWebhookBody(
      request,
      http.getResponse(),
      this.refusals,
      'a notification',
    );
    const read = readNotificationPayload(body);
    if (!read.ok) {
      this.refusals.record(
        'missing_fields',
        `a notification without ${logText(read.missing.join(', '))}`,
      );
      throw new BadRequestException({
        error: 'invalid_notification',
        reason: 'missing_fields',
        fields: read.missing,
      });
    }
    const { payload } = read;
    const check = checkNotificationSignature(
      payload.signature,
      {
        requestId: payload.requestIdText,
        status: payload.status,
        date: payload.date,
        secretKey: this.options.secretKey,
      },
      this.options.allowLegacySha1,
    );
    if (!check.valid) {
      this.refusals.record(
        'bad_signature',
        `a notification for requestId ${logText(payload.requestId)}: signature ${check.reason}`,
      );
      throw new UnauthorizedException({ error: 'invalid_signature', reason: check.reason });
    }
    const verified: VerifiedNotification = { ...payload, algorithm: check.algorithm };
    request[VERIFIED_NOTIFICATION] = verified;
    return true;
  }
}
