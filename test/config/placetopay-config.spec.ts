import { Test } from '@nestjs/testing';
import { ConfigModule, ConfigService, type ConfigType } from '@nestjs/config';
import { PlacetoPayConfigError, PlacetoPayModule } from 'nestjs-placetopay';
import { placetopayConfig } from 'nestjs-placetopay/config';
import { PLACETOPAY_OPTIONS } from '../../lib/config/tokens';
import type { ResolvedPlacetoPayOptions } from '../../lib/config/placetopay-options.interface';
import { captureLogs } from '../support/log-capture';

const SECRET = 'Sup3r-S3cret-Value';
const ENV: Record<string, string> = {
  PLACETOPAY_LOGIN: 'site-login',
  PLACETOPAY_SECRET_KEY: SECRET,
  PLACETOPAY_BASE_URL: 'https://checkout-test.placetopay.com',
  PLACETOPAY_TIMEOUT_MS: '2000',
};

function notFound(id: string): Error {
  return Object.assign(new Error(`Cannot find module '${id}'`), { code: 'MODULE_NOT_FOUND' });
}

describe('nestjs-placetopay/config: the placetopay namespace for @nestjs/config', () => {
  const saved: Record<string, string | undefined> = {};
  const logs = captureLogs();

  beforeEach(() => {
    for (const [key, value] of Object.entries(ENV)) {
      saved[key] = process.env[key];
      process.env[key] = value;
    }
  });

  afterEach(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  // The brief's form: a global ConfigModule, the namespace's key injected into forRootAsync.
  const compile = () =>
    Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [placetopayConfig] }),
        PlacetoPayModule.forRootAsync({
          clientOnly: true,
          useFactory: (options: ConfigType<typeof placetopayConfig>) => options,
          inject: [placetopayConfig.KEY],
        }),
      ],
    })
      .setLogger(logs)
      .compile();

  it('is a registerAs namespace under the key placetopay', () => {
    expect(placetopayConfig.KEY).toBe('CONFIGURATION(placetopay)');
  });

  it('feeds forRootAsync with the variables read and validated as forRoot() reads them', async () => {
    const moduleRef = await compile();
    const options = moduleRef.get<ResolvedPlacetoPayOptions>(PLACETOPAY_OPTIONS);
    expect(options).toMatchObject({ login: 'site-login', timeoutMs: 2000, queryAttempts: 3 });
    expect(options.secretKey).toBe(SECRET);
    const namespace = moduleRef.get(ConfigService).get<ResolvedPlacetoPayOptions>('placetopay');
    expect(namespace?.login).toBe('site-login');
    expect(JSON.stringify(namespace)).not.toContain(SECRET);
    await moduleRef.close();
  });

  it('also plugs in through asProvider(), without a global ConfigModule', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({ ignoreEnvFile: true }),
        PlacetoPayModule.forRootAsync({ clientOnly: true, ...placetopayConfig.asProvider() }),
      ],
    })
      .setLogger(logs)
      .compile();
    expect(moduleRef.get<ResolvedPlacetoPayOptions>(PLACETOPAY_OPTIONS).timeoutMs).toBe(2000);
    await moduleRef.close();
  });

  it('stops start-up naming every bad variable, never a value', async () => {
    process.env.PLACETOPAY_BASE_URL = 'ftp://nowhere';
    process.env.PLACETOPAY_TIMEOUT_MS = 'soon';
    const error = await compile().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PlacetoPayConfigError);
    const message = (error as Error).message;
    expect(message).toContain('PLACETOPAY_BASE_URL');
    expect(message).toContain('PLACETOPAY_TIMEOUT_MS');
    expect(message).not.toContain(SECRET);
  });

  it('says to install @nestjs/config when it is missing; the root entry never needs it', () => {
    jest.isolateModules(() => {
      jest.doMock('@nestjs/config', () => {
        throw notFound('@nestjs/config');
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      expect(require('../../lib/index').PlacetoPayModule).toBeDefined();
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      expect(() => require('../../lib/placetopay-config')).toThrow(
        'install @nestjs/config to use placetopayConfig (npm install @nestjs/config)',
      );
    });
    jest.dontMock('@nestjs/config');
  });
});
