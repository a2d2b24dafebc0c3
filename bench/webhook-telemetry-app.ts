// A child of bench/webhook-telemetry: the webhook app (webhook-app.ts) in one OpenTelemetry mode
// (otel-mode.ts), set up before the app starts. Input: JSON on argv[2]. It tells the parent it is
// ready (its URL and notifications file), then answers: `idle` (every notification so far recorded
// and settled), `take` (what the SDK exported since the last take), `close`.
import { answerParent } from './child-channel';
import { isOtelMode, setUpOtel } from './otel-mode';
import { startWebhookApp, type WebhookAppOptions } from './webhook-app';

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2]) as WebhookAppOptions & { mode: unknown };
  if (!isOtelMode(options.mode)) throw new Error(`unknown mode ${String(options.mode)}`);
  const otel = await setUpOtel(options.mode);
  const bench = await startWebhookApp(options);
  // What seeding exported is not counted.
  await otel.take();
  answerParent(
    {
      base: bench.base,
      bodiesFile: bench.bodiesFile,
      seededMs: bench.seededMs,
      library: otel.library,
    },
    async (what) => {
      if (what === 'idle') await bench.idle();
      else if (what === 'take') return { ...(await otel.take()) };
      else if (what === 'close') {
        await bench.close();
        await otel.shutdown();
      }
      return {};
    },
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
