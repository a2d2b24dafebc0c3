import { Controller, HttpCode, Post, Req, UseGuards, type Type } from '@nestjs/common';
import type { ReceiveResult } from './inbox';
import { decorateRoute } from './notification.controller';
import { answerUnlessNotHeld } from './notification-not-held';
import { WebhookRefusals } from './webhook-refusals';
import { RecurringNotificationInbox } from './recurring-notification-inbox';
import {
  CHECKED_RECURRING_NOTIFICATION,
  RecurringNotificationGuard,
  type CheckedRecurringNotification,
} from './recurring-notification.guard';
import { receiveWebhook } from './webhook-telemetry';

/**
 * Builds the controller of the recurring-charge notification route (the URL sent as
 * `payment.recurring.notificationUrl`), like the notification route's: a path known when the
 * module is created, and the host's own decorators on its handler.
 */
export function createRecurringNotificationController(
  path: string,
  decorators: MethodDecorator[] = [],
): Type<unknown> {
  @Controller(path)
  class PlacetoPayRecurringNotificationController {
    constructor(
      private readonly inbox: RecurringNotificationInbox,
      private readonly refusals: WebhookRefusals,
    ) {}

    @Post()
    @HttpCode(200)
    @UseGuards(RecurringNotificationGuard)
    receive(@Req() request: Record<symbol, CheckedRecurringNotification>): Promise<ReceiveResult> {
      const checked = request[CHECKED_RECURRING_NOTIFICATION];
      return receiveWebhook(
        request,
        'recurring',
        () => answerUnlessNotHeld(this.inbox.receive(checked), this.refusals),
        !checked.verified,
      );
    }
  }
  decorateRoute(PlacetoPayRecurringNotificationController, 'receive', decorators);
  return PlacetoPayRecurringNotificationController;
}
