// The public surface: what a host needs, and nothing else. test/architecture/public-api.spec.ts
// compares these names with a checked-in list, so an export added by accident fails CI.
// PlacetoPay's wire types live in 'nestjs-placetopay/wire'; the simulator and signing helpers in
// 'nestjs-placetopay/testing'.

// The module, its options and the clock it runs on
export { PlacetoPayModule } from './placetopay.module';
// (the types of the option groups, PlacetoPayModuleExtras, PlacetoPayWebhookOptions and
// PlacetoPayHashAlgorithm, are in 'nestjs-placetopay/config')
export type {
  PlacetoPayForRootOptions,
  PlacetoPayModuleAsyncOptions,
  PlacetoPayModuleOptions,
  PlacetoPayOptionsFactory,
} from './config/placetopay-options.interface';
export { PLACETOPAY_CLOCK, type PlacetoPayClock } from './common/clock';

// The service, the client, and what they take and give
export { PlacetoPayService } from './placetopay.service';
export { PlacetoPayClient } from './gateway/placetopay.client';
// Several sites in one app: a named registration's service and client (docs/sites.md)
export {
  InjectPlacetoPay,
  InjectPlacetoPayClient,
  getPlacetoPayClientToken,
  getPlacetoPayServiceToken,
} from './placetopay.tokens';
export type { CreatePaymentInput, CreatePaymentResult } from './payments/create-payment-input';
export type {
  ChargeInstrumentInput,
  CreateSubscriptionInput,
} from './instruments/instrument-inputs';
export type { ProbeSummary } from './probe/probe-summary';
export type { DrainSummary } from './events/event-dispatcher';
export { PLACETOPAY_PROBE_JOB } from './probe/probe-scheduler';

// Stored rows (read them; every write goes through the service)
export { PLACETOPAY_ENTITIES } from './persistence/entities';
export { PLACETOPAY_MIGRATIONS } from './persistence/migrations';
export { PlacetoPayPayment, type PaymentKind } from './persistence/placetopay-payment.entity';
export { PlacetoPayPaymentEvent } from './persistence/placetopay-payment-event.entity';
export {
  PlacetoPayInstrument,
  type InstrumentStatus,
  type InstrumentType,
} from './persistence/placetopay-instrument.entity';
export {
  PlacetoPayEventDelivery,
  type DeliveryStatus,
} from './persistence/placetopay-event-delivery.entity';
export { PlacetoPayPaymentRepository } from './payments/payment.repository';
export { PaymentStatus } from './payments/payment-status';

// Events and listeners
export { OnPlacetoPayEvent } from './events/on-placetopay-event.decorator';
export type { PlacetoPayEvent } from './events/placetopay-event';
export type { PaymentSource, PlacetoPayEventType } from './payments/placetopay-event-type';

// Errors
export {
  PlacetoPayConfigError,
  type PlacetoPayConfigProblem,
} from './config/placetopay-config.error';
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
export { PlacetoPayPaymentNotFoundError } from './payments/errors/placetopay-payment-not-found.error';
export { PlacetoPayDuplicatePaymentError } from './payments/errors/placetopay-duplicate-payment.error';
export { PlacetoPayPaymentStateError } from './payments/errors/placetopay-payment-state.error';
export { PlacetoPayInstrumentNotFoundError } from './instruments/errors/placetopay-instrument-not-found.error';
export { PlacetoPayInstrumentRevokedError } from './instruments/errors/placetopay-instrument-revoked.error';
export { TokenDecryptionError } from './instruments/token-cipher';
export { PlacetoPayDeliveryNotFoundError } from './events/event-deliveries.service';
export { PlacetoPayExceptionFilter } from './placetopay-exception.filter';

// Health (needs @nestjs/terminus)
export { PlacetoPayHealthModule } from './health/placetopay-health.module';
export {
  PlacetoPayHealthIndicator,
  type PlacetoPayHealthDetails,
  type PlacetoPayHealthResult,
} from './health/placetopay-health.indicator';
export type { PlacetoPayHealthOptions } from './health/placetopay-health-options';
