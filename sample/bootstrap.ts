import { Logger, type INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { PlacetoPaySimulator } from 'nestjs-placetopay/testing';
import { AppModule } from './app.module';
import { metricsWanted, startSampleMetrics } from './metrics';

export const SAMPLE_SITE = {
  login: 'sample-shop-login',
  secretKey: 'sample-shop-secret',
  merchantName: 'Sample coffee shop',
};

/** Where the embedded sample keeps its development instrument key, so restarts read saved cards. */
export const DEV_INSTRUMENT_KEY_FILE = '.tmp/sample-instrument-key';

export interface RunningSample {
  app: INestApplication;
  url: string;
  simulator?: PlacetoPaySimulator;
  close(): Promise<void>;
}

/**
 * Starts the sample shop. Without PLACETOPAY_BASE_URL it embeds the simulator and points the
 * module at it through the same environment variables a real deployment uses; without
 * PLACETOPAY_INSTRUMENT_KEY too, it uses a development key kept in DEV_INSTRUMENT_KEY_FILE (or
 * SAMPLE_INSTRUMENT_KEY_FILE). With `withMetrics` (SAMPLE_METRICS=1 or `--metrics`), it serves its
 * OpenTelemetry metrics on `/metrics` for Prometheus.
 */
export async function bootstrapSample(
  port = Number(process.env.PORT ?? 3000),
  withMetrics = metricsWanted(),
): Promise<RunningSample> {
  let simulator: PlacetoPaySimulator | undefined;
  const embedded = !process.env.PLACETOPAY_BASE_URL;
  const keyFile =
    embedded && !process.env.PLACETOPAY_INSTRUMENT_KEY
      ? process.env.SAMPLE_INSTRUMENT_KEY_FILE || DEV_INSTRUMENT_KEY_FILE
      : undefined;
  const developmentKey = keyFile ? developmentInstrumentKey(keyFile) : undefined;
  const variablesSet: string[] = [];
  if (embedded) {
    simulator = await new PlacetoPaySimulator({ sites: [SAMPLE_SITE] }).start();
    process.env.PLACETOPAY_BASE_URL = simulator.url;
    process.env.PLACETOPAY_LOGIN = SAMPLE_SITE.login;
    process.env.PLACETOPAY_SECRET_KEY = SAMPLE_SITE.secretKey;
    variablesSet.push('PLACETOPAY_BASE_URL', 'PLACETOPAY_LOGIN', 'PLACETOPAY_SECRET_KEY');
  }
  if (developmentKey) {
    process.env.PLACETOPAY_INSTRUMENT_KEY = developmentKey;
    variablesSet.push('PLACETOPAY_INSTRUMENT_KEY');
  }
  mkdirSync('.tmp', { recursive: true });
  // Before the app: the module's gauges register with the meter provider when it starts.
  const metrics = withMetrics ? startSampleMetrics() : undefined;
  const app = await NestFactory.create(AppModule, { logger: ['log', 'warn', 'error'] });
  metrics?.serve(app);
  if (keyFile)
    new Logger('Sample').log(
      `Saved cards are encrypted with a development instrument key (${keyFile}); production sets PLACETOPAY_INSTRUMENT_KEY from a secret store`,
    );
  await app.listen(port, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', 'localhost');
  // The embedded PlacetoPay notifies the shop's webhook, as the real one notifies the URL you
  // register with PlacetoPay for your site.
  if (simulator) simulator.sites[0].notificationUrl = `${url}/placetopay/notification`;
  return {
    app,
    url,
    simulator,
    async close() {
      await app.close();
      await simulator?.stop();
      await metrics?.stop();
      for (const key of variablesSet) delete process.env[key];
    },
  };
}

/**
 * The development key in `file`, made on first use (32 random bytes, hex, mode 0600). Deleting the
 * file makes the cards saved under it unusable.
 */
function developmentInstrumentKey(file: string): string {
  mkdirSync(dirname(file), { recursive: true });
  try {
    // 'wx': never overwrite a key another start made meanwhile.
    writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const key = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/i.test(key)) {
    throw new Error(
      `${file} holds no valid instrument key (64 hex characters); delete it to make a new one (cards saved under the old one become unusable) or set PLACETOPAY_INSTRUMENT_KEY`,
    );
  }
  return key;
}

if (require.main === module) {
  bootstrapSample()
    .then(({ url, simulator }) => {
      const logger = new Logger('Sample');
      logger.log(`Sample shop on ${url}`);
      if (metricsWanted()) logger.log(`Metrics for Prometheus on ${url}/metrics`);
      if (simulator)
        logger.log(
          `Embedded PlacetoPay simulator on ${simulator.url} (test card 4110760000000081 approves)`,
        );
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
