// Runs autocannon in its own process (so the load generator does not share the app's event
// loop) and prints the result as JSON. Input: JSON on argv[2] ({ url, connections, bodiesFile? }).
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';

async function main(): Promise<void> {
  const { url, connections, amount, bodiesFile } = JSON.parse(process.argv[2]) as {
    url: string;
    connections: number;
    amount: number;
    bodiesFile?: string;
  };
  const bodies: string[] = bodiesFile ? JSON.parse(readFileSync(bodiesFile, 'utf8')) : ['{}'];
  let i = 0;
  const result = await autocannon({
    url,
    connections,
    amount,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (request) => ({ ...request, body: bodies[i++ % bodies.length] }) }],
  });
  process.stdout.write(
    JSON.stringify({
      rps: result.requests.average,
      total: result.requests.total,
      durationS: result.duration,
      p99: result.latency.p99,
      p50: result.latency.p50,
      non2xx: result.non2xx,
      errors: result.errors,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
