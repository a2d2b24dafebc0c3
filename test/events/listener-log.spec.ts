import { Injectable } from '@nestjs/common';
import { OnPlacetoPayEvent, type PlacetoPayEvent } from 'nestjs-placetopay';
import { enginesUnderTest } from '../support/databases';
import { captureLogs } from '../support/log-capture';
import { startPaymentsApp, type PaymentsApp } from '../support/payments-app';

@Injectable()
class ShopListener {
  @OnPlacetoPayEvent('payment.approved')
  fulfil(_event: PlacetoPayEvent): void {}

  @OnPlacetoPayEvent(['payment.approved', 'payment.rejected'])
  email(_event: PlacetoPayEvent): void {}
}

@Injectable()
class NotAListener {
  ignored(): void {}
}

const sqlite = enginesUnderTest()[0];

describe('listener discovery at start-up', () => {
  const logs = captureLogs();
  let app: PaymentsApp | undefined;
  afterEach(() => app?.close());

  it('logs one LOG line per listener found: class, method and events', async () => {
    app = await startPaymentsApp(sqlite, { eventPollMs: 0, verifyCredentials: 'off' }, logs, {
      providers: [ShopListener, NotAListener],
    });
    const lines = logs.lines.filter((line) => line.endsWith(' PlacetoPayEvents'));
    expect(lines).toEqual([
      'log listener ShopListener.fulfil receives payment.approved PlacetoPayEvents',
      'log listener ShopListener.email receives payment.approved, payment.rejected PlacetoPayEvents',
    ]);
  });
});
