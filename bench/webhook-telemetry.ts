// bench/webhook-telemetry: what OpenTelemetry costs the notification webhook. The webhook's
// throughput, measured as bench/webhook.ts measures it (saturated, 50 connections, autocannon in a
// load process, valid signed notifications for distinct pending payments), in three modes
// (otel-mode.ts), each app in a process of its own so that nothing of one mode leaks into
// another: `absent` (the API cannot be required), `api` (the API, no SDK), `sdk` (the real SDK,
// in-memory exporters). The modes alternate over rounds, each round in a new order (absent, api,
// sdk; api, sdk, absent; ...), so a drift of the shared machine's speed falls on all of them.
// Targets: api / absent >= 0.97 (within 3%), sdk / absent >= 0.90 (within 10%), each ratio the
// median over the rounds of that round's ratio: one run disturbed by the shared machine moves it
// less than it moves a ratio of totals (printed beside it).
import { createBenchDatabase } from './bench-database';
import { reportResult } from './bench-result';
import { childChannel } from './child-channel';
import { cpuMarkerMs } from './cpu-marker';
import { describeErrors, type LoadResult, runLoad, throughput } from './load';
import { OTEL_MODES, otelNodeFlags, type Exported, type OtelMode } from './otel-mode';
import { runScript, startSimulatorProcess } from './processes';
import { LOGIN, SECRET } from './webhook-app';

const REQUESTS = Number(process.env.BENCH_OTEL_REQUESTS ?? 3000);
// A multiple of 3: each mode runs first, second and third equally often.
const ROUNDS = Number(process.env.BENCH_OTEL_ROUNDS ?? 6);
const WARM_UP = Math.min(1000, REQUESTS);
const TARGETS: Record<Exclude<OtelMode, 'absent'>, number> = { api: 0.97, sdk: 0.9 };

interface Ready {
  ready: { base: string; bodiesFile: string; seededMs: number; library: string };
}

async function startApp(mode: OtelMode, index: number, databaseUrl: string, simulatorUrl: string) {
  const child = runScript(
    'webhook-telemetry-app',
    [
      JSON.stringify({
        mode,
        databaseUrl,
        simulatorUrl,
        payments: ROUNDS * REQUESTS,
        warmUp: WARM_UP,
        prefix: `T${mode}`,
        warmUpFrom: 900_000_000 + index * 10_000_000,
        // Three apps share the database server with whatever else runs; the webhook's answers
        // need two connections (notifications arriving together share one INSERT).
        poolMax: 10,
      }),
    ],
    otelNodeFlags(mode),
    { ipc: true },
  );
  child.stdout!.pipe(process.stderr);
  process.once('exit', () => child.kill());
  const channel = childChannel(child);
  const { ready } = await channel.ready<Ready>();
  process.stderr.write(
    `${mode}: seeded ${ROUNDS * REQUESTS} pending payments in ${ready.seededMs} ms; ${ready.library}\n`,
  );
  const url = `${ready.base}/placetopay/notification`;
  return {
    mode,
    child,
    instrumented: !ready.library.startsWith('dist/ has no telemetry'),
    run: (from: number, amount: number) => runLoad(url, { amount, from }, ready.bodiesFile),
    idle: () => channel.ask('idle'),
    take: () => channel.ask<Exported>('take'),
    close: () => channel.ask('close'),
  };
}

async function main(): Promise<void> {
  const database = await createBenchDatabase();
  const simulator = await startSimulatorProcess(LOGIN, SECRET);
  // One after the other: each runs the migrations on start.
  const apps: Array<Awaited<ReturnType<typeof startApp>>> = [];
  for (const [index, mode] of OTEL_MODES.entries()) {
    apps.push(await startApp(mode, index, database.url, simulator.url));
  }
  for (const app of apps) {
    await app.run(0, WARM_UP);
    await app.idle();
    await app.take();
  }

  const results = new Map<OtelMode, LoadResult[]>(OTEL_MODES.map((mode) => [mode, []]));
  const exported = new Map<OtelMode, Exported>();
  const markers = [cpuMarkerMs()];
  for (let round = 0; round < ROUNDS; round++) {
    const order = apps.map((_, i) => apps[(i + round) % apps.length]);
    const line: string[] = [];
    for (const app of order) {
      const result = await app.run(WARM_UP + round * REQUESTS, REQUESTS);
      // Its settling done before the next mode runs, and what its SDK exported counted.
      await app.idle();
      const { spans, metricPoints } = await app.take();
      const sum = exported.get(app.mode) ?? { spans: 0, metricPoints: 0 };
      exported.set(app.mode, {
        spans: sum.spans + spans,
        metricPoints: sum.metricPoints + metricPoints,
      });
      results.get(app.mode)!.push(result);
      line.push(`${app.mode} ${throughput(result).toFixed(0)}/s`);
    }
    markers.push(cpuMarkerMs());
    process.stderr.write(`round ${round + 1}: ${line.join(', ')}\n`);
  }

  // Each mode's throughput over all its rounds: every request / the time they all took.
  const rate = (mode: OtelMode) => {
    const runs = results.get(mode)!;
    return (
      runs.reduce((sum, r) => sum + r.total, 0) / runs.reduce((sum, r) => sum + r.durationS, 0)
    );
  };
  for (const mode of OTEL_MODES) {
    const runs = results.get(mode)!;
    const { spans, metricPoints } = exported.get(mode)!;
    process.stderr.write(
      `${mode.padEnd(6)} ${rate(mode).toFixed(0)} req/s over ${ROUNDS} × ${REQUESTS}; p99 ${runs.map((r) => r.p99).join(' / ')} ms; ` +
        `exported ${spans} spans, ${metricPoints} metric points; socket errors ${runs.map(describeErrors).join(' / ')}\n`,
    );
  }
  process.stderr.write(`CPU marker ms, before and after each round: ${markers.join(' / ')}\n`);

  // Without telemetry in dist/ (before issue 24's instrumentation) the modes differ only by noise.
  const note = apps.every((app) => app.instrumented) ? '' : ' (dist/ has no telemetry)';
  let met = true;
  for (const mode of ['api', 'sdk'] as const) {
    const perRound = results
      .get(mode)!
      .map((r, round) => throughput(r) / throughput(results.get('absent')![round]))
      .sort((a, b) => a - b);
    const middle = perRound.length / 2;
    const ratio =
      perRound.length % 2
        ? perRound[Math.floor(middle)]
        : (perRound[middle - 1] + perRound[middle]) / 2;
    process.stderr.write(
      `${mode} / absent: per round ${perRound.map((r) => r.toFixed(2)).join(', ')} (sorted); ` +
        `median ${ratio.toFixed(3)}; all requests / all time ${(rate(mode) / rate('absent')).toFixed(3)}\n`,
    );
    met &&= ratio >= TARGETS[mode];
    reportResult({
      bench: 'webhook-otel',
      measure: `throughput ${mode === 'api' ? 'API, no SDK' : 'SDK, in-memory exporters'} / API absent, median of rounds${note}`,
      value: ratio,
      unit: '',
      target: `>= ${TARGETS[mode]}`,
      met: ratio >= TARGETS[mode],
    });
  }
  const unanswered = [...results.values()].flat().reduce((sum, r) => sum + r.non2xx + r.errors, 0);
  reportResult({
    bench: 'webhook-otel',
    measure: 'non-2xx answers or no answer, all modes',
    value: unanswered,
    unit: '',
    target: '0',
    met: unanswered === 0,
  });

  for (const app of apps) await app.close();
  simulator.child.kill();
  await database.drop();
  process.exitCode = met && unanswered === 0 ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
