import { HttpModule } from '@nestjs/axios';
import { UnknownCharges } from './probe/unknown-charges';
import { InstrumentVault } from './instruments/instrument-vault';
import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { EventDeliveries } from './events/event-deliveries.service';
import { PlacetoPayDeadLetters } from './events/dead-letters';
import { EventDispatcher } from './events/event-dispatcher';
import { OutboxGauge } from './events/delivery-telemetry';
import { EventListenerExplorer } from './events/event-listener-explorer';
import { EventListenerRegistry } from './events/event-listener-registry';
import type {
  PlacetoPayForRootOptions,
  PlacetoPayModuleExtras,
  PlacetoPayModuleAsyncOptions,
  PlacetoPayModuleOptions,
  PlacetoPayOptionsFactory,
} from './config/placetopay-options.interface';
import {
  resolveModuleExtras,
  resolvePlacetoPayOptions,
  splitForRootOptions,
} from './config/resolve-options';
import { PlacetoPayClient } from './gateway/placetopay.client';
import { CredentialCheck } from './health/credential-check';
import { NotificationInbox } from './notifications/notification-inbox';
import { NotificationSignatureGuard } from './notifications/notification-signature.guard';
import { createNotificationController } from './notifications/notification.controller';
import { RecurringNotificationGuard } from './notifications/recurring-notification.guard';
import { RecurringNotificationInbox } from './notifications/recurring-notification-inbox';
import { createRecurringNotificationController } from './notifications/recurring-notification.controller';
import { WEBHOOK_ROUTES, WebhookBodyCap } from './notifications/webhook-body-cap';
import { WebhookRefusals } from './notifications/webhook-refusals';
import { PLACETOPAY_ENTITIES } from './persistence/entities';
import { DatabaseClock } from './persistence/database-clock';
import { ProbeLeases } from './probe/probe-leases';
import { ProbeRunner } from './probe/probe-runner';
import { ProbeBacklogGauge } from './probe/probe-telemetry';
import { ReviewGauge } from './payments/payment-telemetry';
import { PROBE_FOLLOW_UPS, type ProbeFollowUps } from './probe/probe-follow-ups';
import { ProbeScheduler } from './probe/probe-scheduler';
import { PaymentLifecycle } from './payments/payment-lifecycle';
import { PaymentChangeEngine } from './payments/payment-change-engine';
import { PaymentEventWriter } from './payments/payment-event-writer';
import { PaymentInstrumentCapture } from './payments/payment-instrument-capture';
import { PaymentCreation } from './payments/payment-creation';
import { PaymentReversals } from './payments/payment-reversals';
import { PaymentReview } from './payments/payment-review';
import { InstrumentCommands } from './instruments/instrument-commands';
import { INSTRUMENT_STORE, PAYMENT_OUTBOX } from './payments/lifecycle-ports';
import { PlacetoPayPaymentRepository } from './payments/payment.repository';
import { PlacetoPayService } from './placetopay.service';
import { TransactionRunner } from './persistence/transaction-runner';
import { PLACETOPAY_MODULE_OPTIONS, PLACETOPAY_OPTIONS } from './config/tokens';
import { PLACETOPAY_CLOCK, systemPlacetoPayClock } from './common/clock';
import { environmentPrefixOf, isDefaultSite, siteOf } from './config/site-name';
import { getPlacetoPayClientToken, getPlacetoPayServiceToken } from './placetopay.tokens';
import { PLACETOPAY_SITE_CLIENT } from './gateway/site-client';
import { siteRegistrationProviders } from './site-registrations';
import { siteDataSourceProviders } from './persistence/site-data-source';

/** The site's options: its explicit ones, then its own variables (`PLACETOPAY_CO_*` for `co`). */
const resolvedOptionsProvider = (site: string): Provider => ({
  provide: PLACETOPAY_OPTIONS,
  useFactory: (options: PlacetoPayModuleOptions) =>
    resolvePlacetoPayOptions(options, process.env, environmentPrefixOf(site), site),
  inject: [PLACETOPAY_MODULE_OPTIONS],
});

const CLIENT_EXPORTS = [PlacetoPayClient, PLACETOPAY_OPTIONS, PLACETOPAY_CLOCK];
/** Both forms (full and `clientOnly`): the clock, the start-up credential check (and the client). */
const CLIENT_PROVIDERS = [
  { provide: PLACETOPAY_CLOCK, useValue: systemPlacetoPayClock },
  CredentialCheck,
];
const PAYMENT_PROVIDERS = [
  TransactionRunner,
  PlacetoPayPaymentRepository,
  EventListenerRegistry,
  EventListenerExplorer,
  EventDispatcher,
  { provide: PAYMENT_OUTBOX, useExisting: EventDispatcher },
  EventDeliveries,
  OutboxGauge,
  PlacetoPayDeadLetters,
  InstrumentVault,
  { provide: INSTRUMENT_STORE, useExisting: InstrumentVault },
  PaymentEventWriter,
  PaymentInstrumentCapture,
  PaymentChangeEngine,
  PaymentLifecycle,
  PaymentCreation,
  PaymentReversals,
  PaymentReview,
  ReviewGauge,
  InstrumentCommands,
  DatabaseClock,
  ProbeLeases,
  ProbeRunner,
  ProbeBacklogGauge,
  {
    provide: PROBE_FOLLOW_UPS,
    useFactory: (inbox: NotificationInbox): ProbeFollowUps => ({
      retryNotifications: () => inbox.retryDue(),
    }),
    inject: [NotificationInbox],
  },
  ProbeScheduler,
  UnknownCharges,
];

const WEBHOOK_PROVIDERS = [
  WebhookRefusals,
  NotificationSignatureGuard,
  NotificationInbox,
  RecurringNotificationGuard,
  RecurringNotificationInbox,
];

/**
 * `forRoot()` reads everything from environment variables; `forRoot(options)` and
 * `forRootAsync(...)` take options, and whatever they leave out still comes from the environment.
 * Module-shaping settings (`name`, `dataSource`, `isGlobal`, `clientOnly`, `webhook`) are read
 * only from the synchronous argument. Each call with its own `name` is one site (docs/sites.md):
 * its own options, routes, probe job, listeners' deliveries and rows.
 */
@Module({})
export class PlacetoPayModule {
  static forRoot(options: PlacetoPayForRootOptions = {}): DynamicModule {
    const [extras, moduleOptions] = splitForRootOptions(options);
    return this.assemble(
      extras,
      [],
      [{ provide: PLACETOPAY_MODULE_OPTIONS, useValue: moduleOptions }],
    );
  }

  static forRootAsync(options: PlacetoPayModuleAsyncOptions): DynamicModule {
    return this.assemble(
      splitForRootOptions(options)[0],
      options.imports ?? [],
      this.createAsyncProviders(options),
    );
  }

  /** Shapes the module from the synchronous extras only (never from async options). */
  private static assemble(
    extras: PlacetoPayModuleExtras,
    imports: NonNullable<DynamicModule['imports']>,
    optionProviders: Provider[],
  ): DynamicModule {
    const site = siteOf(extras.name);
    const { clientOnly, isGlobal, webhook, dataSource } = resolveModuleExtras(
      extras,
      process.env,
      environmentPrefixOf(site),
      site,
    );
    const payments = !clientOnly;
    const named = !isDefaultSite(site);
    // A named site's client and service exist only under its tokens, never as the classes (which
    // a host's plain injection or `app.get(PlacetoPayClient)` would find): two sites never clash,
    // global or not. The module's own providers take the client through PLACETOPAY_SITE_CLIENT.
    const siteTokens: Provider[] = named
      ? [
          { provide: PLACETOPAY_SITE_CLIENT, useClass: PlacetoPayClient },
          { provide: getPlacetoPayClientToken(site), useExisting: PLACETOPAY_SITE_CLIENT },
          ...(payments
            ? [{ provide: getPlacetoPayServiceToken(site), useClass: PlacetoPayService }]
            : []),
        ]
      : [PlacetoPayClient, { provide: PLACETOPAY_SITE_CLIENT, useExisting: PlacetoPayClient }];
    const defaultExports = [
      ...CLIENT_EXPORTS,
      ...(payments
        ? [
            PlacetoPayService,
            PaymentLifecycle,
            PlacetoPayPaymentRepository,
            NotificationInbox,
            RecurringNotificationInbox,
          ]
        : []),
    ];
    return {
      module: PlacetoPayModule,
      global: isGlobal,
      controllers:
        payments && webhook.enabled
          ? [
              createNotificationController(webhook.path, webhook.decorators),
              createRecurringNotificationController(webhook.recurringPath, webhook.decorators),
            ]
          : [],
      imports: [
        ...imports,
        // A private axios instance: host interceptors on the global axios never see our bodies.
        HttpModule.register({}),
        ...(payments
          ? [DiscoveryModule, TypeOrmModule.forFeature(PLACETOPAY_ENTITIES, dataSource)]
          : []),
      ],
      providers: [
        ...siteRegistrationProviders(site),
        ...optionProviders,
        resolvedOptionsProvider(site),
        ...CLIENT_PROVIDERS,
        ...(payments
          ? [
              ...siteDataSourceProviders(dataSource),
              ...PAYMENT_PROVIDERS,
              ...(named ? [] : [PlacetoPayService]),
              ...WEBHOOK_PROVIDERS,
            ]
          : []),
        ...(payments && webhook.enabled
          ? [
              { provide: WEBHOOK_ROUTES, useValue: [webhook.path, webhook.recurringPath] },
              WebhookBodyCap,
            ]
          : []),
        ...siteTokens,
      ],
      exports: named
        ? [getPlacetoPayClientToken(site), ...(payments ? [getPlacetoPayServiceToken(site)] : [])]
        : defaultExports,
    };
  }

  private static createAsyncProviders(options: PlacetoPayModuleAsyncOptions): Provider[] {
    if (options.useFactory) {
      return [
        {
          provide: PLACETOPAY_MODULE_OPTIONS,
          useFactory: options.useFactory,
          inject: options.inject ?? [],
        },
      ];
    }
    const factoryClass = options.useExisting ?? options.useClass;
    if (!factoryClass) {
      throw new Error('PlacetoPayModule.forRootAsync() needs useFactory, useClass or useExisting');
    }
    const providers: Provider[] = [
      {
        provide: PLACETOPAY_MODULE_OPTIONS,
        useFactory: (factory: PlacetoPayOptionsFactory) => factory.createPlacetoPayOptions(),
        inject: [factoryClass],
      },
    ];
    if (options.useClass) providers.push({ provide: options.useClass, useClass: options.useClass });
    return providers;
  }
}
