export { PlacetoPayModule } from './placetopay.module';
export {
  PLACETOPAY_CLOCK,
  PLACETOPAY_MODULE_OPTIONS,
  PLACETOPAY_OPTIONS,
  systemPlacetoPayClock,
  type PlacetoPayClock,
} from './placetopay.constants';

export type {
  PlacetoPayForRootOptions,
  PlacetoPayHashAlgorithm,
  PlacetoPayModuleAsyncOptions,
  PlacetoPayModuleExtras,
  PlacetoPayModuleOptions,
  PlacetoPayOptionsFactory,
  PlacetoPayWebhookOptions,
  ResolvedPlacetoPayOptions,
} from './config/placetopay-options.interface';
export {
  PLACETOPAY_ENVIRONMENT_VARIABLES,
  readOptionsFromEnvironment,
} from './config/environment-variables';
export { PLACETOPAY_DEFAULTS, resolvePlacetoPayOptions } from './config/resolve-options';
export {
  PlacetoPayConfigError,
  type PlacetoPayConfigProblem,
} from './config/placetopay-config.error';

export { PlacetoPayClient } from './gateway/placetopay.client';
export {
  computeTranKey,
  createAuth,
  type AuthInput,
  type PlacetoPayAuth,
} from './gateway/authentication';
export {
  checkNotificationSignature,
  computeNotificationSignature,
  type NotificationSignatureInput,
  type SignatureCheck,
} from './gateway/notification-signature';
export { currencyMinorUnits, fromMinorUnits, toMinorUnits } from './gateway/money';
export { PlacetoPayError, type PlacetoPayOperation } from './gateway/errors/placetopay.error';
export { PlacetoPayAuthenticationError } from './gateway/errors/placetopay-authentication.error';
export { PlacetoPayRequestRejectedError } from './gateway/errors/placetopay-request-rejected.error';
export {
  PlacetoPayUnavailableError,
  type UnavailableKind,
} from './gateway/errors/placetopay-unavailable.error';
export {
  PlacetoPayValidationError,
  type FieldProblem,
} from './gateway/errors/placetopay-validation.error';
export type * from './gateway/wire/common.types';
export type * from './gateway/wire/person.types';
export type * from './gateway/wire/requests.types';
export type * from './gateway/wire/responses.types';

export { PLACETOPAY_ENTITIES } from './payments/entities';
export { PLACETOPAY_MIGRATIONS } from './payments/migrations';
export { PlacetoPayPayment, type PaymentKind } from './payments/placetopay-payment.entity';
export { PlacetoPayPaymentEvent } from './payments/placetopay-payment-event.entity';
export {
  ALL_PAYMENT_STATUSES,
  PaymentStatus,
  canTransition,
  fromGatewayStatus,
  isFinalStatus,
  statusRank,
} from './payments/payment-status';
export { PaymentLifecycle, paymentSnapshot } from './payments/payment-lifecycle';
export type { ApplyOutcome, SessionObservation } from './payments/payment-observation';
export { PlacetoPayPaymentRepository } from './payments/payment.repository';
export { PlacetoPayService } from './payments/placetopay.service';
export type { CreatePaymentInput, CreatePaymentResult } from './payments/create-payment-input';
export { PlacetoPayPaymentNotFoundError } from './payments/errors/placetopay-payment-not-found.error';
export { PlacetoPayDuplicatePaymentError } from './payments/errors/placetopay-duplicate-payment.error';
export { PlacetoPayPaymentStateError } from './payments/errors/placetopay-payment-state.error';
export type { PaymentSource, PlacetoPayEventType } from './events/placetopay-event-type';
export { OnPlacetoPayEvent } from './events/on-placetopay-event.decorator';
export type { PlacetoPayEvent } from './events/placetopay-event';
export {
  PlacetoPayEventDelivery,
  type DeliveryStatus,
} from './events/placetopay-event-delivery.entity';
export { EventDispatcher, type DrainSummary } from './events/event-dispatcher';
export { PlacetoPayDeliveryNotFoundError } from './events/event-deliveries.service';
export {
  PlacetoPayNotification,
  type NotificationState,
} from './notifications/placetopay-notification.entity';
export { NotificationInbox, type ReceiveResult } from './notifications/notification-inbox';
export {
  NotificationSignatureGuard,
  type VerifiedNotification,
} from './notifications/notification-signature.guard';
export { DEFAULT_WEBHOOK_PATH } from './notifications/notification.controller';
export { NOTIFICATION_BODY_LIMIT } from './notifications/notification-body';
export type { ProbeSummary } from './probe/probe-summary';
export { ProbeRunner } from './probe/probe-runner';
export { PLACETOPAY_PROBE_JOB, ProbeScheduler } from './probe/probe-scheduler';
export { DatabaseClock } from './probe/database-clock';
export {
  EXPIRY_GRACE_MS,
  MAX_CHECK_INTERVAL_MS,
  nextCheckAfterCheck,
  nextCheckAfterFailure,
} from './probe/check-schedule';
export {
  PlacetoPayInstrument,
  type InstrumentStatus,
  type InstrumentType,
} from './instruments/placetopay-instrument.entity';
export type {
  ChargeInstrumentInput,
  CreateSubscriptionInput,
} from './instruments/instrument-inputs';
export { InstrumentVault } from './instruments/instrument-vault';
export { TokenCipher, TokenDecryptionError } from './instruments/token-cipher';
export { parseInstrumentKey } from './instruments/instrument-key';
export { PlacetoPayInstrumentNotFoundError } from './instruments/errors/placetopay-instrument-not-found.error';
export { PlacetoPayInstrumentRevokedError } from './instruments/errors/placetopay-instrument-revoked.error';
export { UnknownCharges } from './probe/unknown-charges';
export {
  checkRecurringNotificationSignature,
  computeRecurringNotificationSignature,
  type RecurringNotificationSignatureInput,
} from './gateway/notification-signature';
export {
  PlacetoPayRecurringNotification,
  type RecurringChargeEventState,
} from './notifications/placetopay-recurring-notification.entity';
export { RecurringNotificationInbox } from './notifications/recurring-notification-inbox';
export {
  RecurringNotificationGuard,
  type CheckedRecurringNotification,
} from './notifications/recurring-notification.guard';
export { DEFAULT_RECURRING_WEBHOOK_PATH } from './notifications/recurring-notification.controller';
export { PlacetoPayHealthModule } from './health/placetopay-health.module';
export {
  HEALTH_PROBE_REQUEST_ID,
  PlacetoPayHealthIndicator,
  type PlacetoPayHealthDetails,
  type PlacetoPayHealthResult,
} from './health/placetopay-health.indicator';
export {
  DEFAULT_HEALTH_TIMEOUT_MS,
  PLACETOPAY_HEALTH_OPTIONS,
  type PlacetoPayHealthOptions,
} from './health/placetopay-health-options';
export { loadTerminus } from './health/terminus-loader';
