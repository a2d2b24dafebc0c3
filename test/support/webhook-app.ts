import type { INestApplication, Provider, Type } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  PLACETOPAY_CLOCK,
  PLACETOPAY_ENTITIES,
  PLACETOPAY_MIGRATIONS,
  PlacetoPayModule,
  PlacetoPayPaymentRepository,
  PlacetoPayService,
  type PlacetoPayClock,
  type PlacetoPayForRootOptions,
} from 'nestjs-placetopay';
import { NotificationInbox } from '../../lib/notifications/notification-inbox';
import { DataSource } from 'typeorm';
import { LOGIN, SECRET_KEY } from './fixtures';
import type { LogCapture } from './log-capture';

export type AdapterName = 'express' | 'fastify';

export interface WebhookApp {
  app: INestApplication;
  url: string;
  service: PlacetoPayService;
  inbox: NotificationInbox;
  repository: PlacetoPayPaymentRepository;
  dataSource: DataSource;
  close(): Promise<void>;
}

/** A real Nest HTTP app (Express or Fastify) with the module, SQLite, on a random loopback port. */
export async function startWebhookApp(
  adapter: AdapterName,
  baseUrl: string,
  options: PlacetoPayForRootOptions = {},
  extras: {
    logs?: LogCapture;
    clock?: PlacetoPayClock;
    providers?: Provider[];
    controllers?: Type[];
    database?: string;
    /** Runs on the app before it listens (global filters, pipes, ...). */
    configure?: (app: INestApplication) => void;
  } = {},
): Promise<WebhookApp> {
  const builder = Test.createTestingModule({
    controllers: extras.controllers ?? [],
    providers: extras.providers ?? [],
    imports: [
      TypeOrmModule.forRoot({
        type: 'better-sqlite3',
        database: extras.database ?? ':memory:',
        entities: PLACETOPAY_ENTITIES,
        migrations: PLACETOPAY_MIGRATIONS,
        migrationsRun: true,
      }),
      PlacetoPayModule.forRoot({
        login: LOGIN,
        secretKey: SECRET_KEY,
        baseUrl,
        eventPollMs: 0,
        queryAttempts: 1,
        timeoutMs: 2000,
        probeEnabled: false,
        ...options,
      }),
    ],
  });
  if (extras.logs) builder.setLogger(extras.logs);
  if (extras.clock) builder.overrideProvider(PLACETOPAY_CLOCK).useValue(extras.clock);
  const moduleRef = await builder.compile();
  const app: INestApplication =
    adapter === 'fastify'
      ? moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter())
      : moduleRef.createNestApplication();
  if (extras.logs) app.useLogger(extras.logs);
  extras.configure?.(app);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  return {
    app,
    url,
    service: app.get(PlacetoPayService),
    inbox: app.get(NotificationInbox),
    repository: app.get(PlacetoPayPaymentRepository),
    dataSource: app.get(DataSource),
    close: () => app.close(),
  };
}

/** POSTs a body (a string as is, anything else as JSON); the status and the parsed answer. */
export async function postBody(
  url: string,
  body: unknown,
  contentType = 'application/json',
): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': contentType },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  try {
    return { status: response.status, json: JSON.parse(text) };
  } catch {
    return { status: response.status, json: { text } };
  }
}
