import { Test } from '@nestjs/testing';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  PLACETOPAY_ENTITIES,
  PLACETOPAY_MIGRATIONS,
  PLACETOPAY_PROBE_JOB,
  PlacetoPayConfigError,
  PlacetoPayModule,
  type PlacetoPayModuleOptions,
} from 'nestjs-placetopay';
import { ProbeRunner } from '../../lib/probe/probe-runner';
import { LOGIN, SECRET_KEY } from '../support/fixtures';
import { captureLogs } from '../support/log-capture';

const logs = captureLogs();

function appModule(options: PlacetoPayModuleOptions, withSchedule: boolean) {
  return Test.createTestingModule({
    imports: [
      ...(withSchedule ? [ScheduleModule.forRoot()] : []),
      TypeOrmModule.forRoot({
        type: 'better-sqlite3',
        database: ':memory:',
        entities: PLACETOPAY_ENTITIES,
        migrations: PLACETOPAY_MIGRATIONS,
        migrationsRun: true,
      }),
      PlacetoPayModule.forRoot({
        login: LOGIN,
        secretKey: SECRET_KEY,
        baseUrl: 'https://checkout-test.placetopay.com',
        eventPollMs: 0,
        ...options,
      }),
    ],
  })
    .setLogger(logs)
    .compile();
}

describe('probe scheduling', () => {
  it('registers a cron job in the host SchedulerRegistry, and removes it on shutdown', async () => {
    const moduleRef = await appModule({ probeCron: '*/5 * * * *' }, true);
    await moduleRef.init();
    const registry = moduleRef.get(SchedulerRegistry);
    const job = registry.getCronJob(PLACETOPAY_PROBE_JOB);
    expect(job.cronTime.source).toBe('*/5 * * * *');
    expect(job.isActive).toBe(true);
    // A tick runs a pass (joined here to wait for it); a tick during a pass does not start another.
    const before = logs.lines.filter((line) => line.includes('probe pass:')).length;
    await job.fireOnTick();
    await job.fireOnTick();
    await moduleRef.get(ProbeRunner).run();
    const passes = logs.lines.filter((line) => line.includes('probe pass:')).length - before;
    expect(passes).toBe(1);
    await moduleRef.close();
    expect(registry.doesExist('cron', PLACETOPAY_PROBE_JOB)).toBe(false);
  });

  it('refuses to start without ScheduleModule.forRoot(), saying so', async () => {
    const moduleRef = await appModule({}, false);
    const started = moduleRef.init().then(
      () => undefined,
      (error: unknown) => error,
    );
    const error = await started;
    expect(error).toBeInstanceOf(PlacetoPayConfigError);
    expect((error as Error).message).toMatch(
      /probeEnabled \(PLACETOPAY_PROBE_ENABLED\): the probe is on but ScheduleModule\.forRoot\(\) is not imported/,
    );
    // close() retries the failed start-up, which fails the same way.
    await moduleRef.close().catch(() => undefined);
  });

  it('starts without ScheduleModule when the probe is off', async () => {
    const moduleRef = await appModule({ probeEnabled: false }, false);
    await moduleRef.init();
    await moduleRef.close();
  });

  it('refuses a cron expression the scheduler does not accept', async () => {
    const moduleRef = await appModule({ probeCron: '99 * * * *' }, true);
    await expect(moduleRef.init()).rejects.toThrow(
      /probeCron \(PLACETOPAY_PROBE_CRON\): is not a valid cron expression/,
    );
    await moduleRef.close().catch(() => undefined);
  });
});
