// npm run bench: every benchmark, one after the other (each alone on the machine), then one table
// of what each measured against its target. Exits 1 when a target is missed, 2 when a benchmark
// failed to report (it crashed).
import { createInterface } from 'node:readline';
import { RESULT_PREFIX, type BenchResult } from './bench-result';
import { runScript } from './processes';

const BENCHES = ['webhook', 'webhook-telemetry', 'probe', 'create'];

async function run(script: string): Promise<{ results: BenchResult[]; code: number | null }> {
  const child = runScript(script);
  const results: BenchResult[] = [];
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  for await (const line of createInterface({ input: child.stdout! })) {
    if (line.startsWith(RESULT_PREFIX)) results.push(JSON.parse(line.slice(RESULT_PREFIX.length)));
    else process.stderr.write(`${line}\n`);
  }
  return { results, code: await exited };
}

async function main(): Promise<void> {
  const rows: BenchResult[] = [];
  let failed = false;
  for (const script of BENCHES) {
    process.stderr.write(`== ${script}\n`);
    const { results, code } = await run(script);
    rows.push(...results);
    if (results.length === 0) {
      failed = true;
      process.stderr.write(`${script} reported nothing (exit ${code})\n`);
    }
  }
  const header = ['bench', 'measure', 'value', 'target', 'met'];
  const table = rows.map((r) => [
    r.bench,
    r.measure,
    `${Number.isInteger(r.value) ? r.value : r.value.toFixed(2)} ${r.unit}`.trim(),
    r.target,
    r.met ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  process.stdout.write(
    [line(header), line(widths.map((w) => '-'.repeat(w))), ...table.map(line)].join('\n') + '\n',
  );
  process.exitCode = failed ? 2 : rows.some((r) => !r.met) ? 1 : 0;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
