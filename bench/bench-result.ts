// One measured target of a benchmark, printed as a line `bench/all.ts` collects into its table.

export interface BenchResult {
  bench: string;
  measure: string;
  value: number;
  unit: string;
  target: string;
  met: boolean;
}

export const RESULT_PREFIX = 'BENCH_RESULT ';

export function reportResult(result: BenchResult): void {
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}
