import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { createRequire } from 'node:module';
import { PlacetoPayConfigError } from '../config/placetopay-config.error';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { variableFor } from '../config/environment-variables';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import { environmentPrefixOf, siteScoped } from '../config/site-name';
import { ProbeRunner } from './probe-runner';

/**
 * The name of the probe's job in the host's SchedulerRegistry (the default site's); a named site's
 * job is `placetopay-probe:<name>`.
 */
export const PLACETOPAY_PROBE_JOB = 'placetopay-probe';

interface CronJobLike {
  start(): void;
  stop(): unknown;
}
interface ScheduleApi {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  SchedulerRegistry: new (...args: any[]) => {
    addCronJob(name: string, job: unknown): void;
    deleteCronJob(name: string): void;
    doesExist(type: 'cron', name: string): boolean;
  };
  CronJob: {
    from(params: {
      cronTime: string;
      onTick: () => void;
      start: boolean;
      name?: string;
    }): CronJobLike;
  };
}

/**
 * Registers the probe as a cron job in the host's SchedulerRegistry at start-up. Every replica
 * runs it; leases share the work. A tick that finds the previous pass still running is skipped.
 */
@Injectable()
export class ProbeScheduler implements OnApplicationBootstrap, OnApplicationShutdown {
  /** `PlacetoPayProbe`, or `PlacetoPayProbe:<site>` for a named site. */
  private readonly logger: Logger;
  private registry?: InstanceType<ScheduleApi['SchedulerRegistry']>;
  /** This site's job: one per site, each with its own runner (breaker, concurrency). */
  readonly jobName: string;

  constructor(
    private readonly moduleRef: ModuleRef,
    private readonly runner: ProbeRunner,
    @Inject(PLACETOPAY_OPTIONS) private readonly options: ResolvedPlacetoPayOptions,
  ) {
    this.logger = new Logger(siteScoped('PlacetoPayProbe', options.site));
    this.jobName = siteScoped(PLACETOPAY_PROBE_JOB, options.site);
  }

  onApplicationBootstrap(): void {
    if (!this.options.probeEnabled) return;
    const schedule = loadSchedule(this.options.site);
    try {
      this.registry = this.moduleRef.get(schedule.SchedulerRegistry, { strict: false });
    } catch {
      throw problem(
        this.options.site,
        'the probe is on but ScheduleModule.forRoot() is not imported: import it once in your root module (import { ScheduleModule } from "@nestjs/schedule"), or set probeEnabled to false',
      );
    }
    let job: CronJobLike;
    try {
      job = schedule.CronJob.from({
        cronTime: this.options.probeCron,
        onTick: () => this.tick(),
        start: false,
        name: this.jobName,
      });
    } catch (error) {
      throw new PlacetoPayConfigError([
        {
          option: 'probeCron',
          variable: variableFor('probeCron', environmentPrefixOf(this.options.site)),
          message: `is not a valid cron expression (${error instanceof Error ? error.message : 'refused'})`,
        },
      ]);
    }
    this.registry.addCronJob(this.jobName, job);
    job.start();
  }

  onApplicationShutdown(): void {
    if (this.registry?.doesExist('cron', this.jobName)) {
      this.registry.deleteCronJob(this.jobName);
    }
  }

  /** One cron tick: a pass, unless the last one is still running here. */
  tick(): void {
    if (!this.runner.tick()) this.logger.debug('probe pass still running: this tick is skipped');
  }
}

/**
 * @nestjs/schedule is an optional peer: loaded only when the probe is on. CronJob comes from the
 * `cron` that @nestjs/schedule itself depends on, so the job is the kind its registry expects.
 */
function loadSchedule(site: string): ScheduleApi {
  let entry: string;
  try {
    entry = require.resolve('@nestjs/schedule');
  } catch {
    throw problem(
      site,
      'the probe is on but @nestjs/schedule is not installed: npm install @nestjs/schedule, import ScheduleModule.forRoot() once, or set probeEnabled to false',
    );
  }
  const fromSchedule = createRequire(entry);
  return {
    SchedulerRegistry: (fromSchedule(entry) as Pick<ScheduleApi, 'SchedulerRegistry'>)
      .SchedulerRegistry,
    CronJob: (fromSchedule('cron') as Pick<ScheduleApi, 'CronJob'>).CronJob,
  };
}

function problem(site: string, message: string): PlacetoPayConfigError {
  return new PlacetoPayConfigError([
    {
      option: 'probeEnabled',
      variable: variableFor('probeEnabled', environmentPrefixOf(site)),
      message,
    },
  ]);
}
