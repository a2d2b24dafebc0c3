import type { PlacetoPayModuleOptions } from 'nestjs-placetopay';
import { PlacetoPaySimulator } from 'nestjs-placetopay/testing';
import type { Engine } from './databases';
import { LOGIN, SECRET_KEY } from './fixtures';
import type { LogCapture } from './log-capture';
import { startPaymentsApp, type PaymentsApp, type PaymentsAppExtras } from './payments-app';

export interface SimulatedPayments {
  app: PaymentsApp;
  simulator: PlacetoPaySimulator;
  close(): Promise<void>;
}

/**
 * A payments app on `engine` in front of a simulator (one site, no ticking): short timeouts, one
 * query attempt, no event polling, so tests drive every step themselves.
 */
export async function startSimulatedPayments(
  engine: Engine,
  logs: LogCapture,
  extras: PaymentsAppExtras = {},
): Promise<SimulatedPayments> {
  const sites = [{ login: LOGIN, secretKey: SECRET_KEY }];
  const simulator = await new PlacetoPaySimulator({ sites, tickMs: 0 }).start();
  const options: PlacetoPayModuleOptions = {
    baseUrl: simulator.url,
    timeoutMs: 300,
    queryAttempts: 1,
    eventPollMs: 0,
  };
  const app = await startPaymentsApp(engine, options, logs, extras);
  return {
    app,
    simulator,
    async close() {
      await app.close();
      await simulator.stop();
    },
  };
}
