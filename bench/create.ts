// bench/create: createPayment against the simulator, divided by the bare work it stands on (one
// HTTP POST of the same session request to the simulator, with axios as the module uses it, plus
// one INSERT of a payment row of the same width), same run, same PostgreSQL, 50 in flight; without
// an OpenTelemetry SDK (the API installed, nothing registered; target <= 1.2) and with the real SDK
// and in-memory exporters (target <= 1.3), each in a process of its own (create-run.ts) so the
// registered SDK cannot reach the other. Each process divides by its own bare work, measured in
// rounds alternating with its creates.
import { createBenchDatabase } from './bench-database';
import { reportResult } from './bench-result';
import type { CreateMeasure } from './create-run';
import { otelNodeFlags, type OtelMode } from './otel-mode';
import { runScript, startSimulatorProcess } from './processes';

const LOGIN = 'bench-login';
const SECRET = 'bench-secret-key';
const MODES: Array<{ mode: OtelMode; target: number; label: string }> = [
  { mode: 'api', target: 1.2, label: 'no OpenTelemetry SDK' },
  { mode: 'sdk', target: 1.3, label: 'OpenTelemetry SDK, in-memory exporters' },
];

async function measure(mode: OtelMode, databaseUrl: string, simulatorUrl: string) {
  const child = runScript(
    'create-run',
    [JSON.stringify({ mode, databaseUrl, simulatorUrl })],
    otelNodeFlags(mode),
  );
  process.once('exit', () => child.kill());
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  let out = '';
  for await (const chunk of child.stdout!) out += chunk;
  const code = await exited;
  if (code !== 0) throw new Error(`create-run (${mode}) exited ${code}`);
  return JSON.parse(out) as CreateMeasure;
}

async function main(): Promise<void> {
  const database = await createBenchDatabase();
  const simulator = await startSimulatorProcess(LOGIN, SECRET);
  let met = true;
  for (const { mode, target, label } of MODES) {
    const { count, createMs, bareMs, spans, library } = await measure(
      mode,
      database.url,
      simulator.url,
    );
    const ratio = createMs / bareMs;
    const rate = (ms: number) => Math.round((count * 1000) / ms);
    process.stderr.write(
      `create (${label}): ${count} createPayment in ${Math.round(createMs)} ms (${rate(createMs)}/s); ` +
        `bare POST + INSERT in ${Math.round(bareMs)} ms (${rate(bareMs)}/s); 50 in flight; ` +
        `${spans} spans exported; ${library}\n`,
    );
    met &&= ratio <= target;
    reportResult({
      bench: 'create',
      // Without telemetry in dist/ (before issue 24's instrumentation) both modes run the same code.
      measure: `createPayment / bare POST + INSERT (${label}${library.startsWith('dist/ has no') ? '; dist/ has no telemetry' : ''})`,
      value: ratio,
      unit: 'x',
      target: `<= ${target}`,
      met: ratio <= target,
    });
  }
  simulator.child.kill();
  await database.drop();
  process.exitCode = met ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
