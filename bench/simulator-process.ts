// The simulator in a process of its own, as PlacetoPay is elsewhere: its work does not count
// against what a benchmark measures.
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Runs a script of this repository with ts-node, its stdout piped. */
export function runTs(args: string[]): ChildProcess {
  return spawn(
    process.execPath,
    ['-r', 'ts-node/register', '-r', 'tsconfig-paths/register', ...args],
    {
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
}

/** Starts the command-line simulator for one site on a random port; resolves with its URL. */
export async function startSimulatorProcess(
  login: string,
  secretKey: string,
): Promise<{ url: string; child: ChildProcess }> {
  const child = runTs([
    'lib/testing/cli.ts',
    '--port',
    '0',
    '--login',
    login,
    '--secret-key',
    secretKey,
  ]);
  // However the benchmark ends (an error included), the simulator does not outlive it.
  process.once('exit', () => child.kill());
  for await (const line of createInterface({ input: child.stdout! })) {
    const url = /http:\/\/[\d.:]+/.exec(line)?.[0];
    if (url) return { url, child };
  }
  throw new Error('the simulator process ended before it listened');
}
