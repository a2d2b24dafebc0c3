// Processes of a benchmark. Benchmarks run compiled (`npm run bench:build`: the library to dist/,
// these scripts to .tmp/bench/), as a host's app runs: no TypeScript compiler in any heap.
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * Runs another benchmark script (`load-worker`, `probe-pass`, ...) from the same compiled folder,
 * with node flags before it; its stdout piped, and with `ipc` a channel for `send` / `message`.
 */
export function runScript(
  name: string,
  args: string[] = [],
  nodeFlags: string[] = [],
  { ipc = false }: { ipc?: boolean } = {},
): ChildProcess {
  return spawn(process.execPath, [...nodeFlags, join(__dirname, `${name}.js`), ...args], {
    stdio: ipc ? ['ignore', 'pipe', 'inherit', 'ipc'] : ['ignore', 'pipe', 'inherit'],
  });
}

/**
 * Starts the packaged command-line simulator (dist/testing/cli.js) for one site on a random port,
 * in a process of its own as PlacetoPay is elsewhere; resolves with its URL.
 */
export async function startSimulatorProcess(
  login: string,
  secretKey: string,
): Promise<{ url: string; child: ChildProcess }> {
  const cli = join(dirname(require.resolve('nestjs-placetopay/testing')), 'cli.js');
  const child = spawn(
    process.execPath,
    [cli, '--port', '0', '--login', login, '--secret-key', secretKey],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  // However the benchmark ends (an error included), the simulator does not outlive it.
  process.once('exit', () => child.kill());
  for await (const line of createInterface({ input: child.stdout! })) {
    const url = /http:\/\/[\d.:]+/.exec(line)?.[0];
    if (url) return { url, child };
  }
  throw new Error('the simulator process ended before it listened');
}
