// Runs a load in its own process (so the load generator does not share the app's event loop) and
// prints the result as JSON. Input: JSON on argv[2] ({ url, connections, amount, bodiesFile?,
// from?, overallRate? }).
// - Without overallRate: autocannon, as fast as the server answers (closed loop).
// - With overallRate: an open loop over `connections` keep-alive sockets, one request every
//   1 / overallRate s, each latency measured from when it was due (so a stall counts against
//   every request it delays), once every connection is open. autocannon's own rate limit sends each second's quota in a burst,
//   which measures queueing, not the route.
import autocannon from 'autocannon';
import { Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';

interface Load {
  url: string;
  connections: number;
  amount: number;
  bodiesFile?: string;
  /** The first body this run sends (runs take disjoint slices of the file). */
  from?: number;
  overallRate?: number;
  /**
   * Paced runs first open every connection with one request each, not measured: a body from here
   * (one the server has had already, so a duplicate), or `{}` without a bodies file.
   */
  warmFrom?: number;
}

async function main(): Promise<void> {
  const load = JSON.parse(process.argv[2]) as Load;
  const bodies: string[] = load.bodiesFile
    ? JSON.parse(readFileSync(load.bodiesFile, 'utf8'))
    : ['{}'];
  const result = load.overallRate ? await paced(load, bodies) : await saturated(load, bodies);
  process.stdout.write(JSON.stringify(result));
}

/** Counts errors by kind (`ECONNRESET`, `request timed out`, ...): a socket error is a request lost. */
function errorKinds() {
  const kinds: Record<string, number> = {};
  return {
    kinds,
    add(error: Error & { code?: string }) {
      const kind = error.code ?? error.message;
      kinds[kind] = (kinds[kind] ?? 0) + 1;
    },
    get total() {
      return Object.values(kinds).reduce((sum, n) => sum + n, 0);
    },
  };
}

async function saturated(load: Load, bodies: string[]) {
  let i = load.from ?? 0;
  const started = performance.now();
  // autocannon notices that `amount` is reached only at its next sample tick (every second), so
  // its end, and a duration timed around it, comes up to a second after the last answer: 5,000
  // answers in 3.1 s timed as 4 s. The run ends at its last answer.
  let lastAnswer = started;
  const failures = errorKinds();
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const run = autocannon(
      {
        url: load.url,
        connections: load.connections,
        amount: load.amount,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        requests: [{ setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }) }],
      },
      (error, done) => (error ? reject(error) : resolve(done)),
    );
    run.on('reqError', (error: Error) => failures.add(error));
    run.on('response', () => (lastAnswer = performance.now()));
  });
  return {
    total: result.requests.total,
    durationS: (lastAnswer - started) / 1000,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    errorKinds: failures.kinds,
  };
}

const percentile99 = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length * 0.99)] ?? 0);
};

async function paced(load: Load, bodies: string[]) {
  // fifo: every request takes the socket idle longest, so all the connections stay in use. With
  // Node's default (lifo) a slow pace kept a few busy and left the rest idle past the server's
  // keep-alive timeout (5 s): closed, then reopened mid-run for a burst (a handshake in the
  // latency), or reused as the server closed them (ECONNRESET, a request lost).
  const agent = new Agent({ keepAlive: true, maxSockets: load.connections, scheduling: 'fifo' });
  const interval = 1000 / load.overallRate!;
  const latencies: number[] = [];
  /** Each request's latency under the second of the run it was due in. */
  let bySecond: number[][] = [];
  let non2xx = 0;
  let failures = errorKinds();
  let started = performance.now();
  const send = (body: string, due: number) =>
    new Promise<void>((resolve) => {
      const req = request(
        load.url,
        { method: 'POST', agent, headers: { 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          res.on('end', () => {
            const latency = performance.now() - due;
            latencies.push(latency);
            (bySecond[Math.floor((due - started) / 1000)] ??= []).push(latency);
            if (res.statusCode! < 200 || res.statusCode! >= 300) non2xx += 1;
            resolve();
          });
        },
      );
      req.on('error', (error) => {
        failures.add(error);
        resolve();
      });
      req.end(body);
    });
  // Every connection open before the clock starts: the handshakes are not what is measured.
  await Promise.all(
    Array.from({ length: load.connections }, (_, n) =>
      send(bodies[((load.warmFrom ?? 0) + n) % bodies.length], performance.now()),
    ),
  );
  // Let the server finish that burst's work (and its garbage) before the clock starts.
  await new Promise((resolve) => setTimeout(resolve, 250));
  latencies.length = 0;
  bySecond = [];
  non2xx = 0;
  failures = errorKinds();
  started = performance.now();
  const inFlight: Array<Promise<void>> = [];
  for (let n = 0; n < load.amount; n += 1) {
    const due = started + n * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(send(bodies[((load.from ?? 0) + n) % bodies.length], due));
  }
  await Promise.all(inFlight);
  agent.destroy();
  return {
    total: latencies.length,
    secondsP99: Array.from(bySecond, (second) => percentile99(second ?? [])),
    durationS: (performance.now() - started) / 1000,
    p99: percentile99(latencies),
    non2xx,
    errors: failures.total,
    errorKinds: failures.kinds,
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
