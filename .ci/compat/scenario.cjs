// The scenario every consumer of the compatibility matrix runs (.ci/compat.sh): a Nest HTTP app
// with the packed module on TypeORM + SQLite, the simulator notifying its webhook, and a listener.
// create → pay on the simulator → notification → listener, then one line `nest X typeorm Y ok`.
// The entry points (esm.mjs, cjs.cjs) import the packages the way their kind of consumer does and
// hand them over, so this file loads nothing itself.
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { setTimeout: sleep } = require('node:timers/promises');

const SITE = { login: 'compat-login', secretKey: 'compat-secret' };
const DEADLINE_MS = 15_000;

/** The version installed in this consumer (read from disk: not every package exports package.json). */
function installed(name) {
  return JSON.parse(readFileSync(join(__dirname, 'node_modules', name, 'package.json'), 'utf8'))
    .version;
}

module.exports = async function runScenario(deps) {
  const { Injectable, Module } = deps.common;
  const { NestFactory } = deps.core;
  const { TypeOrmModule, getDataSourceToken } = deps.nestTypeorm;
  const {
    OnPlacetoPayEvent,
    PLACETOPAY_ENTITIES,
    PLACETOPAY_MIGRATIONS,
    PlacetoPayModule,
    PlacetoPayPaymentEvent,
    PlacetoPayService,
  } = deps.placetopay;
  const { PlacetoPaySimulator } = deps.testing;
  const label = `nest ${installed('@nestjs/core')} typeorm ${installed('typeorm')}`;
  const check = (condition, message) => {
    if (!condition) throw new Error(`${label}: ${message}`);
  };

  class ApprovalListener {
    constructor() {
      this.events = [];
    }
    onApproved(event) {
      this.events.push(event);
    }
  }
  Injectable()(ApprovalListener);
  OnPlacetoPayEvent('payment.approved')(
    ApprovalListener.prototype,
    'onApproved',
    Object.getOwnPropertyDescriptor(ApprovalListener.prototype, 'onApproved'),
  );

  const simulator = await new PlacetoPaySimulator({ sites: [{ ...SITE }] }).start();
  let app;
  try {
    class AppModule {}
    Module({
      imports: [
        TypeOrmModule.forRoot({
          type: 'better-sqlite3',
          database: ':memory:',
          entities: PLACETOPAY_ENTITIES,
          migrations: PLACETOPAY_MIGRATIONS,
          migrationsRun: true,
        }),
        PlacetoPayModule.forRoot({ ...SITE, baseUrl: simulator.url, probeEnabled: false }),
      ],
      providers: [ApprovalListener],
    })(AppModule);

    app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] });
    await app.listen(0, '127.0.0.1');
    const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    // PlacetoPay notifies the URL registered for the site: here, the module's webhook.
    simulator.sites[0].notificationUrl = `${url}/placetopay/notification`;

    const service = app.get(PlacetoPayService);
    const listener = app.get(ApprovalListener);
    const { payment, requestId } = await service.createPayment({
      reference: `COMPAT-${process.pid}`,
      description: 'compatibility matrix',
      amount: { currency: 'COP', total: 32000 },
      returnUrl: 'https://shop.example/return',
      ipAddress: '127.0.0.1',
      userAgent: 'ci-compat',
    });
    check(payment.status === 'PENDING', `createPayment left the payment ${payment.status}`);

    simulator.approve(requestId);

    // The webhook answers, then settles the payment and its listeners run: wait for both, bounded.
    const deadline = Date.now() + DEADLINE_MS;
    let current = payment;
    const approvals = () =>
      listener.events.filter((e) => e.type === 'payment.approved' && e.payment.id === payment.id);
    while (current.status !== 'APPROVED' || approvals().length === 0) {
      if (Date.now() > deadline) {
        const sent = simulator.notifications.sent.map((n) => n.responseStatus ?? n.error);
        check(
          false,
          `no approval within ${DEADLINE_MS / 1000} s: payment ${current.status}, ` +
            `listener got ${approvals().length} payment.approved, notifications answered ${JSON.stringify(sent)}`,
        );
      }
      await simulator.notifications.settled();
      await service.deliverPendingEvents();
      current = (await service.findByRequestId(requestId)) ?? current;
      if (current.status !== 'APPROVED' || approvals().length === 0) await sleep(100);
    }
    // Anything still due would be a second delivery: run it before counting.
    await service.deliverPendingEvents();

    const sent = simulator.notifications.sent.filter((n) => n.body.requestId === requestId);
    check(
      sent.length === 1 && sent[0].responseStatus >= 200 && sent[0].responseStatus < 300,
      `the notification was not accepted: ${JSON.stringify(sent.map((n) => n.responseStatus ?? n.error))}`,
    );
    const history = await app
      .get(getDataSourceToken())
      .getRepository(PlacetoPayPaymentEvent)
      .find({ where: { paymentId: payment.id, type: 'payment.approved' } });
    check(
      history.length === 1 && history[0].source === 'notification',
      `expected one payment.approved from the notification, history has ${JSON.stringify(history.map((e) => e.source))}`,
    );
    const received = approvals();
    check(
      received.length === 1,
      `the listener got ${received.length} payment.approved events, expected 1`,
    );
    check(
      received[0].source === 'notification' && received[0].payment.status === 'APPROVED',
      `the listener got source ${received[0].source}, status ${received[0].payment.status}`,
    );
    console.log(`${label} ok`);
  } finally {
    await app?.close();
    await simulator.stop();
  }
};
