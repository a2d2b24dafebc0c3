import { Controller, HttpCode, Post, Req, UseGuards, type Type } from '@nestjs/common';
import { NotificationInbox, type ReceiveResult } from './notification-inbox';
import { answerUnlessNotHeld } from './notification-not-held';
import { WebhookRefusals } from './webhook-refusals';
import {
  NotificationSignatureGuard,
  VERIFIED_NOTIFICATION,
  type VerifiedNotification,
} from './notification-signature.guard';
import { receiveWebhook } from './webhook-telemetry';

/**
 * Builds the notification controller for a path known when the module is created, with the
 * host's own decorators on its route.
 */
export function createNotificationController(
  path: string,
  decorators: MethodDecorator[] = [],
): Type<unknown> {
  @Controller(path)
  class PlacetoPayNotificationController {
    constructor(
      private readonly inbox: NotificationInbox,
      private readonly refusals: WebhookRefusals,
    ) {}

    @Post()
    @HttpCode(200)
    @UseGuards(NotificationSignatureGuard)
    receive(@Req() request: Record<symbol, VerifiedNotification>): Promise<ReceiveResult> {
      return receiveWebhook(request, 'session', () =>
        answerUnlessNotHeld(this.inbox.receive(request[VERIFIED_NOTIFICATION]), this.refusals),
      );
    }
  }
  decorateRoute(PlacetoPayNotificationController, 'receive', decorators);
  return PlacetoPayNotificationController;
}

/** Applies the host's decorators to a webhook controller's route handler. */
export function decorateRoute(
  controller: Type<unknown>,
  method: string,
  decorators: MethodDecorator[],
): void {
  const { prototype } = controller;
  const descriptor = Object.getOwnPropertyDescriptor(prototype, method)!;
  // Decorators that wrap the method (not only set metadata) return a new descriptor.
  const decorated = Reflect.decorate(decorators, prototype, method, descriptor);
  if (decorated) Object.defineProperty(prototype, method, decorated);
}
