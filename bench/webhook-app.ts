// The app the webhook benchmarks load: the module's notification route beside a bare Nest route
// doing one UPDATE on the same table, on PostgreSQL, with pending payments to notify about and a
// file of valid, signed notifications for them.
import 'reflect-metadata';
import { Controller, Module, Post, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  PLACETOPAY_ENTITIES,
  PLACETOPAY_MIGRATIONS,
  PlacetoPayModule,
  PlacetoPayService,
} from 'nestjs-placetopay';
import { signNotification } from 'nestjs-placetopay/testing';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';

// The inbox is internal (not in the public entry): the bench waits on it through the same build
// the public entry loads, so the class is the one the app registered.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { NotificationInbox } = require(
  join(__dirname, '..', '..', 'dist', 'notifications', 'notification-inbox'),
) as {
  NotificationInbox: new (...args: never[]) => { idle(): Promise<void> };
};

export const LOGIN = 'bench-login';
export const SECRET = 'bench-secret-key';

export interface WebhookAppOptions {
  databaseUrl: string;
  simulatorUrl: string;
  /** How many pending payments to seed, each approved at the simulator. */
  payments: number;
  /** Warm-up notifications, for requestIds nobody created, before the payments' own. */
  warmUp: number;
  /** Sets apart the references and warm-up requestIds of apps sharing one database. */
  prefix?: string;
  warmUpFrom?: number;
  /** The pool's size (webhook.ts: 20, as its bare route keeps them all busy). */
  poolMax?: number;
}

export interface WebhookApp {
  app: INestApplication;
  /** The app's base URL, `http://127.0.0.1:port`. */
  base: string;
  dataSource: DataSource;
  /** The notifications: `warmUp` for unknown requestIds, then one per seeded payment. */
  bodiesFile: string;
  seededMs: number;
  /** Resolves when every notification received so far is recorded and settled. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export async function startWebhookApp(options: WebhookAppOptions): Promise<WebhookApp> {
  const prefix = options.prefix ?? 'B';
  let paymentIds: string[] = [];
  @Controller('baseline')
  class BaselineController {
    private next = 0;
    constructor(private readonly dataSource: DataSource) {}

    @Post()
    async touch(): Promise<{ ok: true }> {
      const id = paymentIds[this.next++ % paymentIds.length];
      await this.dataSource.query('UPDATE placetopay_payments SET "updatedAt" = $1 WHERE id = $2', [
        Date.now(),
        id,
      ]);
      return { ok: true };
    }
  }

  @Module({
    imports: [
      TypeOrmModule.forRoot({
        type: 'postgres',
        url: options.databaseUrl,
        entities: PLACETOPAY_ENTITIES,
        migrations: PLACETOPAY_MIGRATIONS,
        migrationsRun: true,
        // Pooled connections stay open between runs. node-postgres closes one idle for 10 s by
        // default: the bare route's runs keep all 20 busy and the webhook's answers take two, so
        // 18 closed together about 10 s into the paced webhook run, and their PostgreSQL
        // backends exiting at once stalled this shared 2-core machine for 100 to 300 ms.
        extra: { max: options.poolMax ?? 20, idleTimeoutMillis: 0 },
      }),
      PlacetoPayModule.forRoot({
        login: LOGIN,
        secretKey: SECRET,
        baseUrl: options.simulatorUrl,
        eventPollMs: 0,
        // Only the webhook is measured here.
        probeEnabled: false,
      }),
    ],
    controllers: [BaselineController],
  })
  class BenchModule {}

  const app = await NestFactory.create(BenchModule, { logger: ['error'] });
  await app.listen(0, '127.0.0.1');
  const base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const service = app.get(PlacetoPayService);
  const dataSource = app.get(DataSource);

  // Distinct pending payments, each with its session at the simulator, approved there.
  const requestIds: number[] = [];
  const seedStarted = performance.now();
  for (let i = 0; i < options.payments; i += 50) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(50, options.payments - i) }, (_, j) =>
        service.createPayment({
          reference: `${prefix}-${i + j}`,
          description: 'bench',
          amount: { currency: 'COP', total: 10000 },
          returnUrl: 'https://shop.example.com/r',
          ipAddress: '127.0.0.1',
          userAgent: 'bench',
        }),
      ),
    );
    requestIds.push(...batch.map((p) => p.requestId));
    await Promise.all(
      batch.map(({ requestId }) =>
        fetch(`${options.simulatorUrl}/__simulator/session/${requestId}/approve`, {
          method: 'POST',
        }),
      ),
    );
  }
  paymentIds = (
    await dataSource.query('SELECT id FROM placetopay_payments WHERE reference LIKE $1', [
      `${prefix}-%`,
    ])
  ).map((r: { id: string }) => r.id);
  const date = '2026-11-27T10:00:00-05:00';
  // The warm-up sends valid notifications for requestIds nobody created (recorded, then settled
  // as unknown), so the webhook route is warm before it is measured, like the baseline.
  const warmUpFrom = options.warmUpFrom ?? 900_000_000;
  const warmUpIds = Array.from({ length: options.warmUp }, (_, i) => warmUpFrom + i);
  const bodies = [...warmUpIds, ...requestIds].map((requestId) =>
    JSON.stringify({
      status: { status: 'APPROVED', reason: '00', message: 'ok', date },
      requestId,
      reference: prefix,
      signature: signNotification({ requestId, status: 'APPROVED', date, secretKey: SECRET }),
    }),
  );
  const bodiesFile = join(tmpdir(), `ptp-bench-${randomBytes(4).toString('hex')}-bodies.json`);
  writeFileSync(bodiesFile, JSON.stringify(bodies));
  const inbox = app.get(NotificationInbox);
  return {
    app,
    base,
    dataSource,
    bodiesFile,
    seededMs: Math.round(performance.now() - seedStarted),
    idle: () => inbox.idle(),
    async close() {
      await app.close();
      rmSync(bodiesFile, { force: true });
    },
  };
}
