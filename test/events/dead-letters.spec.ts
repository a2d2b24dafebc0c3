import { Injectable, type INestApplication } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  OnPlacetoPayEvent,
  PLACETOPAY_ENTITIES,
  PLACETOPAY_MIGRATIONS,
  PaymentStatus,
  PlacetoPayModule,
  getPlacetoPayServiceToken,
  type PlacetoPayEvent,
  type PlacetoPayService,
} from 'nestjs-placetopay';
import { PlacetoPaySimulator } from 'nestjs-placetopay/testing';
import { NotificationInbox } from '../../lib/notifications/notification-inbox';
import { captureLogs } from '../support/log-capture';
import { siteProvider } from '../support/site-internals';

const CO = { login: 'dead-co-login', secretKey: 'co-secret-key-0101' };
const EC = { login: 'dead-ec-login', secretKey: 'ec-secret-key-0202' };

/** A listener that throws until it is fixed, and one that never fails. */
@Injectable()
class Listeners {
  broken = true;
  failures = 0;
  readonly fulfilled: PlacetoPayEvent[] = [];
  readonly logged: PlacetoPayEvent[] = [];

  @OnPlacetoPayEvent('payment.approved')
  fulfil(event: PlacetoPayEvent): void {
    if (this.broken) throw new Error(`warehouse down #${++this.failures}`);
    this.fulfilled.push(event);
  }

  @OnPlacetoPayEvent('payment.approved')
  log(event: PlacetoPayEvent): void {
    this.logged.push(event);
  }
}

const siteOptions = (site: { login: string; secretKey: string }, baseUrl: string) => ({
  ...site,
  baseUrl,
  eventPollMs: 0,
  // Dead at the first failure: each retry is one more attempt.
  eventMaxAttempts: 1,
  queryAttempts: 1,
  probeCron: '0 0 1 1 *',
});

describe('dead letters an operator can handle (two sites, SQLite)', () => {
  const logs = captureLogs();
  let simCo: PlacetoPaySimulator;
  let simEc: PlacetoPaySimulator;
  let app: INestApplication;
  let co: PlacetoPayService;
  let ec: PlacetoPayService;
  let listeners: Listeners;

  beforeAll(async () => {
    simCo = await new PlacetoPaySimulator({ sites: [{ ...CO }], tickMs: 0 }).start();
    simEc = await new PlacetoPaySimulator({ sites: [{ ...EC }], tickMs: 0 }).start();
    const moduleRef = await Test.createTestingModule({
      providers: [Listeners],
      imports: [
        ScheduleModule.forRoot(),
        TypeOrmModule.forRoot({
          type: 'better-sqlite3',
          database: ':memory:',
          entities: PLACETOPAY_ENTITIES,
          migrations: PLACETOPAY_MIGRATIONS,
          migrationsRun: true,
        }),
        PlacetoPayModule.forRoot({ name: 'co', ...siteOptions(CO, simCo.url) }),
        PlacetoPayModule.forRoot({ name: 'ec', ...siteOptions(EC, simEc.url) }),
      ],
    })
      .setLogger(logs)
      .compile();
    app = moduleRef.createNestApplication();
    app.useLogger(logs);
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    simCo.sites[0].notificationUrl = `${url}/placetopay/notification/co`;
    simEc.sites[0].notificationUrl = `${url}/placetopay/notification/ec`;
    co = app.get(getPlacetoPayServiceToken('co'));
    ec = app.get(getPlacetoPayServiceToken('ec'));
    listeners = app.get(Listeners);
  });

  afterAll(async () => {
    await app?.close();
    await simCo?.stop();
    await simEc?.stop();
  });

  /** An approved payment of `site`, its events delivered once (the broken listener fails). */
  async function approved(
    service: PlacetoPayService,
    simulator: PlacetoPaySimulator,
    reference: string,
  ) {
    const { requestId, payment } = await service.createPayment({
      reference,
      description: 'Coffee',
      amount: { currency: 'COP', total: 10_000 },
      returnUrl: 'https://shop.example.com/return',
      ipAddress: '127.0.0.1',
      userAgent: 'jest',
    });
    simulator.approve(requestId);
    await simulator.notifications.settled();
    await siteProvider<NotificationInbox>(app, service.site, NotificationInbox).idle();
    expect((await service.findByRequestId(requestId))?.status).toBe(PaymentStatus.APPROVED);
    await service.deliverPendingEvents();
    return payment;
  }

  it('lists a failing listener per site with its last error, retries one and all, and delivers once when fixed', async () => {
    const paid = await approved(co, simCo, 'DL-CO-1');
    const ecPaid = await approved(ec, simEc, 'DL-EC-1');
    expect(listeners.logged.map((e) => e.payment.id)).toEqual([paid.id, ecPaid.id]);
    expect(listeners.fulfilled).toEqual([]);

    // Listed per listener, on its own site only.
    const [group, ...others] = await co.deadLetters.byListener();
    expect(others).toEqual([]);
    expect(group).toEqual({
      listenerId: 'Listeners.fulfil',
      count: 1,
      deliveries: [
        expect.objectContaining({
          listenerId: 'Listeners.fulfil',
          eventType: 'payment.approved',
          paymentId: paid.id,
          attempts: 1,
          lastError: expect.stringContaining('warehouse down #1'),
        }),
      ],
    });
    const [dead] = group.deliveries;
    expect((await ec.deadLetters.list()).map((d) => d.paymentId)).toEqual([ecPaid.id]);
    expect(await co.deadLetters.list('Listeners.log')).toEqual([]);
    // Another site's dead letter is not this site's to retry.
    await expect(ec.deadLetters.retry(dead.id)).rejects.toThrow(/no dead-lettered event delivery/);

    // Retried while still broken: it runs again, fails, and is dead again with its new error.
    await co.deadLetters.retry(dead.id);
    expect((await co.deadLetters.list()).length).toBe(0);
    await co.deliverPendingEvents();
    expect(await co.deadLetters.list()).toEqual([
      expect.objectContaining({
        id: dead.id,
        attempts: 1,
        lastError: expect.stringContaining('warehouse down #3'),
      }),
    ]);

    // Fixed: retry all of co's (one), then each is delivered once; ec's stays dead.
    listeners.broken = false;
    expect(await co.deadLetters.retryAll('Listeners.fulfil')).toBe(1);
    expect(await co.deadLetters.retryAll()).toBe(0);
    await co.deliverPendingEvents();
    await co.deliverPendingEvents();
    expect(listeners.fulfilled.map((e) => e.payment.id)).toEqual([paid.id]);
    expect(await co.deadLetters.byListener()).toEqual([]);
    expect((await ec.deadLetters.list()).map((d) => d.paymentId)).toEqual([ecPaid.id]);
    // The listener that never failed ran once per event, retries or not.
    expect(listeners.logged.map((e) => e.payment.id)).toEqual([paid.id, ecPaid.id]);

    expect(await ec.deadLetters.retryAll()).toBe(1);
    await ec.deliverPendingEvents();
    expect(listeners.fulfilled.map((e) => e.payment.id)).toEqual([paid.id, ecPaid.id]);
    expect(await ec.deadLetters.list()).toEqual([]);
  });
});
