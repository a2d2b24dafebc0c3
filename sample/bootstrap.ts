import { Logger, type INestApplication } from '@nestjs/common';
import { mkdirSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { PlacetoPaySimulator } from 'nestjs-placetopay/testing';
import { AppModule } from './app.module';

export const SAMPLE_SITE = {
  login: 'sample-shop-login',
  secretKey: 'sample-shop-secret',
  merchantName: 'Sample coffee shop',
};

export interface RunningSample {
  app: INestApplication;
  url: string;
  simulator?: PlacetoPaySimulator;
  close(): Promise<void>;
}

/**
 * Starts the sample shop. Without PLACETOPAY_BASE_URL it embeds the simulator and points the
 * module at it through the same environment variables a real deployment uses.
 */
export async function bootstrapSample(
  port = Number(process.env.PORT ?? 3000),
): Promise<RunningSample> {
  let simulator: PlacetoPaySimulator | undefined;
  const embedded = !process.env.PLACETOPAY_BASE_URL;
  if (embedded) {
    simulator = await new PlacetoPaySimulator({ sites: [SAMPLE_SITE] }).start();
    process.env.PLACETOPAY_BASE_URL = simulator.url;
    process.env.PLACETOPAY_LOGIN = SAMPLE_SITE.login;
    process.env.PLACETOPAY_SECRET_KEY = SAMPLE_SITE.secretKey;
  }
  mkdirSync('.tmp', { recursive: true });
  const app = await NestFactory.create(AppModule, { logger: ['log', 'warn', 'error'] });
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
      if (embedded) {
        for (const key of ['PLACETOPAY_BASE_URL', 'PLACETOPAY_LOGIN', 'PLACETOPAY_SECRET_KEY'])
          delete process.env[key];
      }
    },
  };
}

if (require.main === module) {
  bootstrapSample()
    .then(({ url, simulator }) => {
      const logger = new Logger('Sample');
      logger.log(`Sample shop on ${url}`);
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
