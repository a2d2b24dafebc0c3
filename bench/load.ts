// One load against a route, run by load-worker in a process of its own (so the load generator
// does not share the app's event loop), and what it measured.
import { runScript } from './processes';

/** How many connections every load of the webhook benchmarks keeps open. */
export const CONNECTIONS = 50;

export interface Load {
  amount: number;
  /** The first body of the bodies file this run sends (runs take disjoint slices). */
  from?: number;
  /** Paced (open loop) at this many requests per second; saturated (autocannon) without. */
  overallRate?: number;
  warmFrom?: number;
}

export interface LoadResult {
  total: number;
  /** Paced runs: the p99 of the requests due in each second of the run. */
  secondsP99?: number[];
  durationS: number;
  p99: number;
  non2xx: number;
  errors: number;
  errorKinds: Record<string, number>;
}

/**
 * Runs `load` against `url` over CONNECTIONS connections; with `from`, the bodies come from
 * `bodiesFile` (a JSON array of strings), else every request sends `{}`.
 */
export async function runLoad(url: string, load: Load, bodiesFile?: string): Promise<LoadResult> {
  const worker = runScript('load-worker', [
    JSON.stringify({
      url,
      connections: CONNECTIONS,
      ...load,
      bodiesFile: load.from === undefined ? undefined : bodiesFile,
    }),
  ]);
  let out = '';
  for await (const chunk of worker.stdout!) out += chunk;
  return JSON.parse(out) as LoadResult;
}

/** Throughput over the whole run (total / duration), steadier than autocannon's per-second average. */
export const throughput = (r: LoadResult): number => r.total / r.durationS;

/** The socket errors of a run by kind, or `none`. */
export const describeErrors = (r: LoadResult): string =>
  r.errors === 0
    ? 'none'
    : Object.entries(r.errorKinds)
        .map(([kind, n]) => `${n} ${kind}`)
        .join(', ');
