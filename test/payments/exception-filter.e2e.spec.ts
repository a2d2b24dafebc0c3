import { randomBytes } from 'node:crypto';
import { Body, Controller, Get, NotFoundException, Param, Post } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import {
  PlacetoPayConfigError,
  PlacetoPayError,
  PlacetoPayExceptionFilter,
  PlacetoPayService,
  type CreatePaymentInput,
} from 'nestjs-placetopay';
import { PlacetoPaySimulator } from 'nestjs-placetopay/testing';
import { LOGIN, SECRET_KEY } from '../support/fixtures';
import { captureLogs } from '../support/log-capture';
import { startWebhookApp, type AdapterName, type WebhookApp } from '../support/webhook-app';

/** A kind of error the filter has no line for, on an operation that calls PlacetoPay. */
class UnlistedGatewayError extends PlacetoPayError {
  readonly code = 'placetopay_unlisted';
  constructor() {
    super('PlacetoPay getSession: something new went wrong', 'getSession');
  }
}

/** A host's controller: it calls the service and lets every error through. */
@Controller('shop')
class ShopController {
  constructor(private readonly payments: PlacetoPayService) {}

  @Post('pay')
  pay(@Body() input: CreatePaymentInput) {
    return this.payments.createPayment(input);
  }

  @Post('payments/:requestId/sync')
  sync(@Param('requestId') requestId: string) {
    return this.payments.syncPayment(Number(requestId));
  }

  @Post('payments/:requestId/refund')
  refund(@Param('requestId') requestId: string, @Body() body: { amount?: number }) {
    return this.payments.refundPayment(Number(requestId), body.amount);
  }

  @Post('instruments/:id/charge')
  charge(@Param('id') id: string) {
    return this.payments.chargeInstrument(id, {
      reference: 'CHARGE-1',
      description: 'Monthly plan',
      amount: { currency: 'COP', total: 10000 },
    });
  }

  @Post('deliveries/:id/retry')
  retryDelivery(@Param('id') id: string) {
    return this.payments.retryDelivery(id);
  }

  @Get('plain-error')
  plain() {
    throw new Error('not a library error');
  }

  @Get('http-error')
  http() {
    throw new NotFoundException('no such order');
  }

  @Get('config-error')
  config() {
    throw new PlacetoPayConfigError([
      { option: 'instrumentKey', variable: 'PLACETOPAY_INSTRUMENT_KEY', message: 'is required' },
    ]);
  }

  @Get('unlisted-error')
  unlisted() {
    throw new UnlistedGatewayError();
  }
}

type Registration = 'useGlobalFilters' | 'APP_FILTER';

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: Record<string, unknown>;
}

describe.each<[AdapterName, Registration]>([
  ['express', 'useGlobalFilters'],
  ['express', 'APP_FILTER'],
  ['fastify', 'useGlobalFilters'],
  ['fastify', 'APP_FILTER'],
])('PlacetoPayExceptionFilter on %s, registered with %s', (adapter, registration) => {
  const logs = captureLogs();
  let simulator: PlacetoPaySimulator;
  let web: WebhookApp;
  let url: string;
  let counter = 0;

  beforeAll(async () => {
    simulator = await new PlacetoPaySimulator({
      sites: [{ login: LOGIN, secretKey: SECRET_KEY }],
      tickMs: 0,
    }).start();
    const filter = new PlacetoPayExceptionFilter();
    web = await startWebhookApp(
      adapter,
      simulator.url,
      { instrumentKey: randomBytes(32).toString('hex') },
      {
        logs,
        controllers: [ShopController],
        providers:
          registration === 'APP_FILTER'
            ? [{ provide: APP_FILTER, useClass: PlacetoPayExceptionFilter }]
            : [],
        configure: (app) => {
          if (registration === 'useGlobalFilters') app.useGlobalFilters(filter);
        },
      },
    );
    url = web.url;
  });
  afterEach(() => simulator.faults.clear());
  afterAll(async () => {
    await web.close();
    await simulator.stop();
    expect(logs.text()).not.toContain(SECRET_KEY);
  });

  async function call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Answer> {
    const response = await fetch(`${url}/shop/${path}`, {
      method,
      headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = {};
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  /** Every answer of the filter: JSON, the documented keys, no secret and no stack. */
  function expectShape(answer: Answer): void {
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(Object.keys(answer.json).sort()).toEqual(
      [
        'code',
        'error',
        'message',
        'statusCode',
        ...('problems' in answer.json ? ['problems'] : []),
      ].sort(),
    );
    expect(answer.json.statusCode).toBe(answer.status);
    expect(answer.text).not.toContain(SECRET_KEY);
    expect(answer.text).not.toMatch(/tranKey|nonce|\.ts:\d+|at [A-Z]\w+\./);
  }

  const order = (overrides: Partial<CreatePaymentInput> = {}): CreatePaymentInput => ({
    reference: `FILTER-${adapter}-${registration.slice(0, 3)}-${++counter}`,
    description: 'Coffee',
    amount: { currency: 'COP', total: 32000 },
    returnUrl: 'https://shop.example.com/return',
    ipAddress: '127.0.0.1',
    userAgent: 'jest',
    ...overrides,
  });

  it('answers invalid input 400 with every field problem, and stores nothing', async () => {
    const input = order({ amount: { currency: 'XXX', total: 0 } });
    const answer = await call('POST', 'pay', input);
    expect(answer.status).toBe(400);
    expect(await web.service.findByReference(input.reference)).toBeNull();
    expectShape(answer);
    expect(answer.json).toMatchObject({
      statusCode: 400,
      error: 'Bad Request',
      code: 'placetopay_validation_failed',
      message: expect.stringMatching(/^PlacetoPay createSession: invalid request \(2 problems\)/),
      problems: [
        {
          field: 'payment.amount.currency',
          message: expect.stringContaining('must be a currency with minor units'),
        },
        { field: 'payment.amount.total', message: 'must be greater than 0' },
      ],
    });
  });

  it('answers a refund amount it cannot take 400, naming refundPayment', async () => {
    const { json } = await call('POST', 'pay', order());
    simulator.approve(json.requestId as number);
    await call('POST', `payments/${json.requestId}/sync`);
    const answer = await call('POST', `payments/${json.requestId}/refund`, { amount: 0.001 });
    expect(answer.status).toBe(400);
    expectShape(answer);
    expect(answer.json).toMatchObject({
      code: 'placetopay_validation_failed',
      message: expect.stringMatching(/^PlacetoPay refundPayment: invalid request/),
      problems: [{ field: 'amount', message: 'must be an amount in COP' }],
    });
  });

  it('answers a reference with an open payment 409', async () => {
    const input = order();
    const first = await call('POST', 'pay', input);
    expect(first.status).toBe(201);
    const answer = await call('POST', 'pay', input);
    expect(answer.status).toBe(409);
    expectShape(answer);
    expect(answer.json).toMatchObject({
      error: 'Conflict',
      code: 'placetopay_duplicate_payment',
      message: `PlacetoPay createPayment: reference ${input.reference} already has payment ${(first.json.payment as { id: string }).id} in status PENDING; use another reference, or set allowDuplicateReferences`,
    });
  });

  it('answers a refund of a payment that is not approved 409', async () => {
    const { json } = await call('POST', 'pay', order());
    const answer = await call('POST', `payments/${json.requestId}/refund`, {});
    expect(answer.status).toBe(409);
    expectShape(answer);
    expect(answer.json).toMatchObject({
      code: 'placetopay_payment_state',
      message: expect.stringMatching(
        /^PlacetoPay refundPayment: payment \S+ is PENDING; only an APPROVED payment can be refunded$/,
      ),
    });
  });

  it('answers 404 for an unknown payment, stored method and delivery', async () => {
    const payment = await call('POST', 'payments/999999/sync');
    expect(payment.status).toBe(404);
    expectShape(payment);
    expect(payment.json).toEqual({
      statusCode: 404,
      error: 'Not Found',
      code: 'placetopay_payment_not_found',
      message: 'PlacetoPay syncPayment: no stored PlacetoPay payment with requestId 999999',
    });
    const instrument = await call(
      'POST',
      'instruments/00000000-0000-4000-8000-000000000000/charge',
    );
    expect(instrument.status).toBe(404);
    expect(instrument.json).toMatchObject({
      code: 'placetopay_instrument_not_found',
      message: expect.stringMatching(/^PlacetoPay chargeInstrument: no stored payment method/),
    });
    const delivery = await call('POST', 'deliveries/00000000-0000-4000-8000-000000000000/retry');
    expect(delivery.status).toBe(404);
    expect(delivery.json).toMatchObject({
      code: 'placetopay_delivery_not_found',
      message: expect.stringMatching(/^PlacetoPay retryDelivery: no dead-lettered event delivery/),
    });
  });

  it('answers 502 when PlacetoPay refuses the credentials, and keeps the hint for the log', async () => {
    simulator.faults.inject('createSession', { type: 'status', status: 401 }, { times: 1 });
    const answer = await call('POST', 'pay', order());
    expect(answer.status).toBe(502);
    expectShape(answer);
    expect(answer.json).toEqual({
      statusCode: 502,
      error: 'Bad Gateway',
      code: 'placetopay_authentication_failed',
      message:
        "PlacetoPay createSession: PlacetoPay refused this site's credentials (the server log says why)",
    });
    expect(logs.text()).toMatch(
      /error PlacetoPayAuthenticationError \(placetopay_authentication_failed\): PlacetoPay createSession: authentication failed/,
    );
  });

  it('answers 503 with Retry-After when PlacetoPay sent one, and without it otherwise', async () => {
    simulator.faults.inject(
      'createSession',
      { type: 'status', status: 503, retryAfterSeconds: 42 },
      { times: 1 },
    );
    const busy = await call('POST', 'pay', order());
    expect(busy.status).toBe(503);
    expectShape(busy);
    expect(busy.headers.get('retry-after')).toBe('42');
    expect(busy.json).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      code: 'placetopay_unavailable',
      message: 'PlacetoPay createSession: PlacetoPay is unavailable; try again later',
    });

    simulator.faults.inject('createSession', { type: 'reset' }, { times: 1 });
    const reset = await call('POST', 'pay', order());
    expect(reset.status).toBe(503);
    expect(reset.headers.get('retry-after')).toBeNull();
    // The transport's detail (hosts, ports) stays in the log.
    expect(reset.text).not.toContain('127.0.0.1');
  });

  it('answers 500 for a configuration error and 502 for an unlisted gateway error', async () => {
    const config = await call('GET', 'config-error');
    expect(config.status).toBe(500);
    expectShape(config);
    expect(config.json).toMatchObject({
      code: 'placetopay_config_invalid',
      error: 'Internal Server Error',
    });
    expect(config.text).not.toContain('PLACETOPAY_INSTRUMENT_KEY');
    const unlisted = await call('GET', 'unlisted-error');
    expect(unlisted.status).toBe(502);
    expect(unlisted.json).toMatchObject({ code: 'placetopay_unlisted', statusCode: 502 });
  });

  it('leaves errors that are not the library’s to Nest', async () => {
    const plain = await call('GET', 'plain-error');
    expect(plain.status).toBe(500);
    expect(plain.json).toEqual({ statusCode: 500, message: 'Internal server error' });
    const http = await call('GET', 'http-error');
    expect(http.status).toBe(404);
    expect(http.json).toEqual({ statusCode: 404, error: 'Not Found', message: 'no such order' });
  });
});
