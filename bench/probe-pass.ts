// One probe pass in its own process, so its memory is measured alone. Input: JSON on argv[2]
// ({ databaseUrl, simulatorUrl, login, secretKey, concurrency, batchSize }). Prints JSON: the
// pass's summary, its wall time, how busy its event loop was, the RSS before it, the process's
// peak RSS and the heap before and after it (after a full collection), in MB.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { PLACETOPAY_ENTITIES, PlacetoPayModule, PlacetoPayService } from 'nestjs-placetopay';

const MB = 1024 * 1024;

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2]) as {
    databaseUrl: string;
    simulatorUrl: string;
    login: string;
    secretKey: string;
    concurrency: number;
    batchSize: number;
  };
  @Module({
    imports: [
      TypeOrmModule.forRoot({
        type: 'postgres',
        url: settings.databaseUrl,
        entities: PLACETOPAY_ENTITIES,
        extra: { max: 10 },
      }),
      PlacetoPayModule.forRoot({
        login: settings.login,
        secretKey: settings.secretKey,
        baseUrl: settings.simulatorUrl,
        eventPollMs: 0,
        probeEnabled: false,
        probeConcurrency: settings.concurrency,
        probeBatchSize: settings.batchSize,
      }),
    ],
  })
  class PassModule {}

  const app = await NestFactory.createApplicationContext(PassModule, { logger: ['error'] });
  global.gc?.();
  const rssBeforeMb = process.memoryUsage().rss / MB;
  const heapBefore = process.memoryUsage().heapUsed;
  const loopBefore = performance.eventLoopUtilization();
  const started = performance.now();
  const summary = await app.get(PlacetoPayService).runProbe();
  const wallMs = performance.now() - started;
  // The share of the pass this process's event loop was busy (near 1: CPU-bound here).
  const loopBusy = performance.eventLoopUtilization(loopBefore).utilization;
  // maxRSS is in kilobytes: the peak over the process's life, the pass included.
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  // What the pass left behind: the heap after a full collection.
  global.gc?.();
  const heapAfterMb = process.memoryUsage().heapUsed / MB;
  const heapBeforeMb = heapBefore / MB;
  await app.close();
  process.stdout.write(
    JSON.stringify({
      summary,
      wallMs,
      loopBusy,
      rssBeforeMb,
      peakRssMb,
      heapBeforeMb,
      heapAfterMb,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
