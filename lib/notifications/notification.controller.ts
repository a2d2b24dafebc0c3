import { Controller, HttpCode, Post, Req, UseGuards, type Type } from '@nestjs/common';
import { NotificationInbox, type ReceiveResult } from './notification-inbox';
import {
  NotificationSignatureGuard,
  VERIFIED_NOTIFICATION,
  type VerifiedNotification,
} from './notification-signature.guard';

export const DEFAULT_WEBHOOK_PATH = 'placetopay/notification';

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
    constructor(private readonly inbox: NotificationInbox) {}

    @Post()
    @HttpCode(200)
    @UseGuards(NotificationSignatureGuard)
    receive(@Req() request: Record<symbol, VerifiedNotification>): Promise<ReceiveResult> {
      return this.inbox.receive(request[VERIFIED_NOTIFICATION]);
    }
  }
  const descriptor = Object.getOwnPropertyDescriptor(
    PlacetoPayNotificationController.prototype,
    'receive',
  )!;
  const decorated = Reflect.decorate(
    decorators,
    PlacetoPayNotificationController.prototype,
    'receive',
    descriptor,
  );
  // Decorators that wrap the method (not only set metadata) return a new descriptor.
  if (decorated)
    Object.defineProperty(PlacetoPayNotificationController.prototype, 'receive', decorated);
  return PlacetoPayNotificationController;
}
