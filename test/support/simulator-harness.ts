import { Test, type TestingModule } from '@nestjs/testing';
import {
  PlacetoPayClient,
  PlacetoPayModule,
  type PlacetoPayModuleOptions,
} from 'nestjs-placetopay';
import { PlacetoPaySimulator, type PlacetoPaySimulatorOptions } from 'nestjs-placetopay/testing';
import { LOGIN, SECRET_KEY } from './fixtures';
import type { LogCapture } from './log-capture';

export interface Harness {
  simulator: PlacetoPaySimulator;
  client: PlacetoPayClient;
  moduleRef: TestingModule;
  close(): Promise<void>;
}

/** A simulator with one site and a client configured for it. */
export async function startHarness(
  options: Partial<PlacetoPaySimulatorOptions> = {},
  clientOptions: PlacetoPayModuleOptions = {},
  logs?: LogCapture,
): Promise<Harness> {
  const simulator = await new PlacetoPaySimulator({
    sites: [{ login: LOGIN, secretKey: SECRET_KEY, merchantName: 'Café de Prueba' }],
    tickMs: 0,
    ...options,
  }).start();
  const builder = Test.createTestingModule({
    imports: [
      PlacetoPayModule.forRoot({
        clientOnly: true,
        login: LOGIN,
        secretKey: SECRET_KEY,
        baseUrl: simulator.url,
        retryBaseDelayMs: 1,
        retryMaxDelayMs: 5,
        ...clientOptions,
      }),
    ],
  });
  if (logs) builder.setLogger(logs);
  const moduleRef = await builder.compile();
  return {
    simulator,
    client: moduleRef.get(PlacetoPayClient),
    moduleRef,
    async close() {
      await moduleRef.close();
      await simulator.stop();
    },
  };
}
