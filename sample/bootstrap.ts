import { Logger, type INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { PlacetoPaySimulator, type SimulatorSite } from 'nestjs-placetopay/testing';
import { AppModule } from './app.module';
import { metricsWanted, startSampleMetrics } from './metrics';
import { SHOP_SITES, type ShopSiteName } from './shop-catalog';

/**
 * The merchant accounts of the embedded simulators: one per site, each on its own simulator with
 * its own credentials, as PlacetoPay gives each country's site its own.
 */
export const SAMPLE_SITES: Record<ShopSiteName, SimulatorSite> = {
  co: {
    login: 'sample-shop-co-login',
    secretKey: 'sample-shop-co-secret',
    merchantName: 'Sample coffee shop (Colombia)',
  },
  ec: {
    login: 'sample-shop-ec-login',
    secretKey: 'sample-shop-ec-secret',
    merchantName: 'Sample coffee shop (Ecuador)',
  },
};

/** Where the embedded sample keeps its development instrument key, so restarts read saved cards. */
export const DEV_INSTRUMENT_KEY_FILE = '.tmp/sample-instrument-key';

export interface RunningSample {
  app: INestApplication;
  url: string;
  /** The embedded simulator of each site that has no PLACETOPAY_<SITE>_BASE_URL. */
  simulators: Partial<Record<ShopSiteName, PlacetoPaySimulator>>;
  close(): Promise<void>;
}

/** A site's variable: `variable('co', 'BASE_URL')` is PLACETOPAY_CO_BASE_URL. */
export function variable(site: ShopSiteName, suffix: string): string {
  return `PLACETOPAY_${site.toUpperCase()}_${suffix}`;
}

/**
 * Starts the sample shop. Each site without its PLACETOPAY_<SITE>_BASE_URL (PLACETOPAY_CO_BASE_URL,
 * PLACETOPAY_EC_BASE_URL) gets an embedded simulator, and the module is pointed at it through the
 * same environment variables a real deployment uses. An embedded site without its
 * PLACETOPAY_<SITE>_INSTRUMENT_KEY uses a development key kept in DEV_INSTRUMENT_KEY_FILE (or
 * SAMPLE_INSTRUMENT_KEY_FILE). With `withMetrics` (SAMPLE_METRICS=1 or `--metrics`), it serves its
 * OpenTelemetry metrics on `/metrics` for Prometheus.
 */
export async function bootstrapSample(
  port = Number(process.env.PORT ?? 3000),
  withMetrics = metricsWanted(),
): Promise<RunningSample> {
  const simulators: RunningSample['simulators'] = {};
  const variablesSet: string[] = [];
  const set = (name: string, value: string): void => {
    process.env[name] = value;
    variablesSet.push(name);
  };
  const embedded = SHOP_SITES.map(({ name }) => name).filter(
    (site) => !process.env[variable(site, 'BASE_URL')],
  );
  const keyless = embedded.filter((site) => !process.env[variable(site, 'INSTRUMENT_KEY')]);
  const keyFile = keyless.length
    ? process.env.SAMPLE_INSTRUMENT_KEY_FILE || DEV_INSTRUMENT_KEY_FILE
    : undefined;
  const developmentKey = keyFile ? developmentInstrumentKey(keyFile) : undefined;
  try {
    for (const site of embedded) {
      const account = SAMPLE_SITES[site];
      const simulator = await new PlacetoPaySimulator({ sites: [{ ...account }] }).start();
      simulators[site] = simulator;
      set(variable(site, 'BASE_URL'), simulator.url);
      set(variable(site, 'LOGIN'), account.login);
      set(variable(site, 'SECRET_KEY'), account.secretKey);
    }
    for (const site of keyless) set(variable(site, 'INSTRUMENT_KEY'), developmentKey!);
  } catch (error) {
    await stopAll(simulators, variablesSet);
    throw error;
  }
  mkdirSync('.tmp', { recursive: true });
  // Before the app: the module's gauges register with the meter provider when it starts.
  const metrics = withMetrics ? startSampleMetrics() : undefined;
  let app: INestApplication;
  try {
    app = await NestFactory.create(AppModule, { logger: ['log', 'warn', 'error'] });
    metrics?.serve(app);
    await app.listen(port, '127.0.0.1');
  } catch (error) {
    await stopAll(simulators, variablesSet);
    await metrics?.stop();
    throw error;
  }
  if (keyFile)
    new Logger('Sample').log(
      `Saved cards are encrypted with a development instrument key (${keyFile}); production sets ${keyless.map((site) => variable(site, 'INSTRUMENT_KEY')).join(' and ')} from a secret store`,
    );
  const url = (await app.getUrl()).replace('[::1]', 'localhost');
  // Each embedded PlacetoPay notifies its site's webhook, as the real one notifies the URL you
  // register with PlacetoPay for each site (docs/sites.md).
  for (const [site, simulator] of Object.entries(simulators)) {
    simulator.sites[0].notificationUrl = `${url}/placetopay/notification/${site}`;
  }
  return {
    app,
    url,
    simulators,
    async close() {
      await app.close();
      await stopAll(simulators, variablesSet);
      await metrics?.stop();
    },
  };
}

async function stopAll(
  simulators: RunningSample['simulators'],
  variablesSet: string[],
): Promise<void> {
  await Promise.all(Object.values(simulators).map((simulator) => simulator.stop()));
  for (const key of variablesSet.splice(0)) delete process.env[key];
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
    .then(({ url, simulators }) => {
      const logger = new Logger('Sample');
      logger.log(`Sample shop on ${url}`);
      if (metricsWanted()) logger.log(`Metrics for Prometheus on ${url}/metrics`);
      for (const [site, simulator] of Object.entries(simulators))
        logger.log(
          `Embedded PlacetoPay simulator of site ${site} on ${simulator.url} (test card 4110760000000081 approves)`,
        );
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
