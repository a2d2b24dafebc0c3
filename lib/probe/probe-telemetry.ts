import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { ResolvedPlacetoPayOptions } from '../config/placetopay-options.interface';
import { PLACETOPAY_OPTIONS } from '../config/tokens';
import {
  AttributeSets,
  SPAN_KIND,
  inSpan,
  instruments,
  observeGauge,
  otelApi,
  secondsSince,
} from '../common/telemetry';
import { DatabaseClock } from '../persistence/database-clock';
import { ProbeLeases } from './probe-leases';

const sites = new AttributeSets([]);

/** A probe pass, traced (`placetopay.probe pass`) and measured (`placetopay.probe.pass.duration`). */
export function observeProbePass<T>(site: string, pass: () => Promise<T>): Promise<T> {
  if (!otelApi()) return pass();
  const started = performance.now();
  const attributes = sites.get(site);
  return inSpan('placetopay.probe pass', { kind: SPAN_KIND.INTERNAL, attributes }, async () => {
    try {
      return await pass();
    } finally {
      instruments()?.probePassDuration.record(secondsSince(started), attributes);
    }
  });
}

/**
 * `placetopay.probe.backlog`: the payments of this site due for a check, counted (one query on
 * the database's clock) only when a metric reader collects, never on the probe's own path.
 */
@Injectable()
export class ProbeBacklogGauge implements OnApplicationBootstrap, OnApplicationShutdown {
  private unobserve = (): void => undefined;

  constructor(
    private readonly leases: ProbeLeases,
    private readonly clock: DatabaseClock,
    @Inject(PLACETOPAY_OPTIONS) private readonly options: ResolvedPlacetoPayOptions,
  ) {}

  onApplicationBootstrap(): void {
    const attributes = sites.get(this.options.site);
    this.unobserve = observeGauge(
      (instruments) => instruments.probeBacklog,
      async (result) => {
        result.observe(await this.leases.countDue(await this.clock.now()), attributes);
      },
    );
  }

  onApplicationShutdown(): void {
    this.unobserve();
  }
}
