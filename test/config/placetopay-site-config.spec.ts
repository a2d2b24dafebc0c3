import { ConfigModule, ConfigService, type ConfigType } from '@nestjs/config';
import { Test } from '@nestjs/testing';
import {
  PlacetoPayClient,
  PlacetoPayConfigError,
  PlacetoPayModule,
  getPlacetoPayClientToken,
} from 'nestjs-placetopay';
import { placetopayConfig, placetopaySiteConfig } from 'nestjs-placetopay/config';
import type { ResolvedPlacetoPayOptions } from '../../lib/config/placetopay-options.interface';
import { captureLogs } from '../support/log-capture';

const CO_SECRET = 'Co-S3cret-Value';
const EC_SECRET = 'Ec-S3cret-Value';
const DEFAULT_SECRET = 'Default-S3cret-Value';
const ENV: Record<string, string> = {
  PLACETOPAY_LOGIN: 'default-login',
  PLACETOPAY_SECRET_KEY: DEFAULT_SECRET,
  PLACETOPAY_BASE_URL: 'https://checkout-test.placetopay.com',
  PLACETOPAY_TIMEOUT_MS: '2000',
  PLACETOPAY_CO_LOGIN: 'co-login',
  PLACETOPAY_CO_SECRET_KEY: CO_SECRET,
  PLACETOPAY_CO_BASE_URL: 'http://127.0.0.1:2',
  PLACETOPAY_CO_TIMEOUT_MS: '4321',
  PLACETOPAY_EC_LOGIN: 'ec-login',
  PLACETOPAY_EC_SECRET_KEY: EC_SECRET,
  PLACETOPAY_EC_BASE_URL: 'http://127.0.0.1:3',
};

/** The options a client was built with (private to it). */
const optionsOf = (client: PlacetoPayClient) =>
  (client as unknown as { options: ResolvedPlacetoPayOptions }).options;

describe('nestjs-placetopay/config: placetopaySiteConfig(name), a named site namespace', () => {
  const logs = captureLogs();
  const saved = { ...process.env };

  beforeEach(() => Object.assign(process.env, ENV));
  afterEach(() => {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  it("registers the namespace placetopay:<name>; 'default' is placetopayConfig", () => {
    expect(placetopaySiteConfig('co').KEY).toBe('CONFIGURATION(placetopay:co)');
    expect(placetopaySiteConfig('default')).toBe(placetopayConfig);
  });

  it.each(['CO', 'co-ec', ''])('refuses the site name %p at once, as forRoot does', (name) => {
    expect(() => placetopaySiteConfig(name)).toThrow(/name: must be a lowercase site name/);
  });

  it("feeds each site's forRootAsync with its own PLACETOPAY_<NAME>_* variables", async () => {
    const coConfig = placetopaySiteConfig('co');
    const ecConfig = placetopaySiteConfig('ec');
    const moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({
          isGlobal: true,
          ignoreEnvFile: true,
          load: [placetopayConfig, coConfig, ecConfig],
        }),
        PlacetoPayModule.forRootAsync({ name: 'co', clientOnly: true, ...coConfig.asProvider() }),
        PlacetoPayModule.forRootAsync({
          name: 'ec',
          clientOnly: true,
          inject: [ecConfig.KEY],
          useFactory: (options: ConfigType<typeof ecConfig>) => options,
        }),
        PlacetoPayModule.forRootAsync({ clientOnly: true, ...placetopayConfig.asProvider() }),
      ],
    })
      .setLogger(logs)
      .compile();
    const co = optionsOf(moduleRef.get(getPlacetoPayClientToken('co')));
    const ec = optionsOf(moduleRef.get(getPlacetoPayClientToken('ec')));
    const unnamed = optionsOf(moduleRef.get(PlacetoPayClient));
    expect(co).toMatchObject({ login: 'co-login', baseUrl: 'http://127.0.0.1:2', timeoutMs: 4321 });
    expect([co.site, co.secretKey]).toEqual(['co', CO_SECRET]);
    // ec has no PLACETOPAY_EC_TIMEOUT_MS: the default, never co's nor the unnamed site's value.
    expect(ec).toMatchObject({
      login: 'ec-login',
      baseUrl: 'http://127.0.0.1:3',
      timeoutMs: 15_000,
    });
    expect([ec.site, ec.secretKey]).toEqual(['ec', EC_SECRET]);
    expect(unnamed).toMatchObject({ login: 'default-login', site: 'default', timeoutMs: 2000 });

    // Side by side in ConfigService, none written into another (a dotted namespace would nest
    // the site inside `placetopay`).
    const config = moduleRef.get(ConfigService);
    expect(config.get<ResolvedPlacetoPayOptions>('placetopay:co')?.login).toBe('co-login');
    expect(config.get<ResolvedPlacetoPayOptions>('placetopay:ec')?.login).toBe('ec-login');
    const unnamedNamespace = config.get<Record<string, unknown>>('placetopay')!;
    expect(unnamedNamespace.login).toBe('default-login');
    expect(Object.keys(unnamedNamespace)).not.toEqual(expect.arrayContaining(['co']));
    // The secret stays out of a dump of the namespace.
    expect(JSON.stringify(config.get('placetopay:co'))).not.toContain(CO_SECRET);
    await moduleRef.close();
  });

  it("stops start-up naming the site's variables, never the unnamed ones nor a value", async () => {
    delete process.env.PLACETOPAY_CO_SECRET_KEY;
    process.env.PLACETOPAY_CO_BASE_URL = 'ftp://nowhere';
    process.env.PLACETOPAY_CO_TIMEOUT_MS = 'soon';
    const coConfig = placetopaySiteConfig('co');
    const error = await Test.createTestingModule({
      imports: [
        ConfigModule.forRoot({ ignoreEnvFile: true }),
        PlacetoPayModule.forRootAsync({ name: 'co', clientOnly: true, ...coConfig.asProvider() }),
      ],
    })
      .setLogger(logs)
      .compile()
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PlacetoPayConfigError);
    const message = (error as Error).message;
    expect(message).toContain('secretKey (PLACETOPAY_CO_SECRET_KEY): is required');
    expect(message).toContain('PLACETOPAY_CO_BASE_URL');
    expect(message).toContain('PLACETOPAY_CO_TIMEOUT_MS');
    expect(message).not.toContain('PLACETOPAY_SECRET_KEY');
    expect(message).not.toContain('ftp://nowhere');
    expect(message).not.toContain(DEFAULT_SECRET);
  });
});
