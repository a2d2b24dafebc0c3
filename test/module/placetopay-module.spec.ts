import { Injectable, Module } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { Test, type TestingModule } from '@nestjs/testing';
import {
  PlacetoPayClient,
  PlacetoPayConfigError,
  PlacetoPayModule,
  type PlacetoPayModuleOptions,
  type PlacetoPayOptionsFactory,
} from 'nestjs-placetopay';
import { PLACETOPAY_OPTIONS } from '../../lib/config/tokens';
import type { ResolvedPlacetoPayOptions } from '../../lib/config/placetopay-options.interface';
import { captureLogs } from '../support/log-capture';
import { LOGIN, SECRET_KEY, sessionInformation } from '../support/fixtures';
import { ScriptedServer } from '../support/scripted-server';

const ENV_KEYS = [
  'PLACETOPAY_LOGIN',
  'PLACETOPAY_SECRET_KEY',
  'PLACETOPAY_BASE_URL',
  'PLACETOPAY_TIMEOUT_MS',
];

describe('PlacetoPayModule', () => {
  let server: ScriptedServer;
  const saved: Record<string, string | undefined> = {};
  const logs = captureLogs();

  beforeEach(async () => {
    for (const key of ENV_KEYS) saved[key] = process.env[key];
    server = await new ScriptedServer().start();
  });

  afterEach(async () => {
    for (const key of ENV_KEYS) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    await server.stop();
  });

  async function compile(
    imports: NonNullable<Parameters<typeof Test.createTestingModule>[0]['imports']>,
  ) {
    return Test.createTestingModule({ imports }).setLogger(logs).compile();
  }

  async function expectWorkingClient(moduleRef: TestingModule): Promise<void> {
    server.reply({ json: sessionInformation(31) });
    const client = moduleRef.get(PlacetoPayClient);
    await expect(client.getSession(31)).resolves.toMatchObject({ requestId: 31 });
    expect((server.requests.at(-1)!.json!.auth as Record<string, string>).login).toBe(LOGIN);
  }

  it('forRoot() reads the environment when the app starts', async () => {
    const module = PlacetoPayModule.forRoot({ clientOnly: true });
    // Set after forRoot() ran: variables loaded later (e.g. by ConfigModule) still count.
    process.env.PLACETOPAY_LOGIN = LOGIN;
    process.env.PLACETOPAY_SECRET_KEY = SECRET_KEY;
    process.env.PLACETOPAY_BASE_URL = server.url;
    const moduleRef = await compile([module]);
    await expectWorkingClient(moduleRef);
    await moduleRef.close();
  });

  it('forRoot(options) takes explicit options', async () => {
    const moduleRef = await compile([
      PlacetoPayModule.forRoot({
        clientOnly: true,
        login: LOGIN,
        secretKey: SECRET_KEY,
        baseUrl: server.url,
      }),
    ]);
    await expectWorkingClient(moduleRef);
    expect(moduleRef.get<ResolvedPlacetoPayOptions>(PLACETOPAY_OPTIONS).timeoutMs).toBe(15000);
    await moduleRef.close();
  });

  it('forRootAsync({ useFactory }) with ConfigService', async () => {
    const moduleRef = await compile([
      PlacetoPayModule.forRootAsync({
        clientOnly: true,
        imports: [
          ConfigModule.forRoot({
            ignoreEnvFile: true,
            load: [() => ({ payments: { login: LOGIN, secret: SECRET_KEY, url: server.url } })],
          }),
        ],
        inject: [ConfigService],
        useFactory: (config: ConfigService): PlacetoPayModuleOptions => ({
          login: config.getOrThrow('payments.login'),
          secretKey: config.getOrThrow('payments.secret'),
          baseUrl: config.getOrThrow('payments.url'),
          timeoutMs: 2000,
        }),
      }),
    ]);
    await expectWorkingClient(moduleRef);
    expect(moduleRef.get<ResolvedPlacetoPayOptions>(PLACETOPAY_OPTIONS).timeoutMs).toBe(2000);
    await moduleRef.close();
  });

  it('forRootAsync({ useClass }) and ({ useExisting })', async () => {
    const url = server.url;
    @Injectable()
    class OptionsFactory implements PlacetoPayOptionsFactory {
      createPlacetoPayOptions(): PlacetoPayModuleOptions {
        return { login: LOGIN, secretKey: SECRET_KEY, baseUrl: url };
      }
    }
    @Module({ providers: [OptionsFactory], exports: [OptionsFactory] })
    class OptionsModule {}

    const byClass = await compile([
      PlacetoPayModule.forRootAsync({ clientOnly: true, useClass: OptionsFactory }),
    ]);
    await expectWorkingClient(byClass);
    await byClass.close();

    const byExisting = await compile([
      PlacetoPayModule.forRootAsync({
        clientOnly: true,
        imports: [OptionsModule],
        useExisting: OptionsFactory,
      }),
    ]);
    await expectWorkingClient(byExisting);
    await byExisting.close();
  });

  it('isGlobal makes the client injectable in every module', async () => {
    @Injectable()
    class Checkout {
      constructor(readonly client: PlacetoPayClient) {}
    }
    @Module({ providers: [Checkout], exports: [Checkout] })
    class ShopModule {}

    const moduleRef = await compile([
      PlacetoPayModule.forRoot({
        clientOnly: true,
        isGlobal: true,
        login: LOGIN,
        secretKey: SECRET_KEY,
        baseUrl: server.url,
      }),
      ShopModule,
    ]);
    expect(moduleRef.get(Checkout).client).toBeInstanceOf(PlacetoPayClient);

    await expect(
      compile([
        PlacetoPayModule.forRoot({
          clientOnly: true,
          login: LOGIN,
          secretKey: SECRET_KEY,
          baseUrl: server.url,
        }),
        ShopModule,
      ]),
    ).rejects.toThrow(/PlacetoPayClient/);
    await moduleRef.close();
  });

  it('a bad configuration stops start-up with one error naming every bad setting', async () => {
    process.env.PLACETOPAY_SECRET_KEY = SECRET_KEY;
    process.env.PLACETOPAY_TIMEOUT_MS = 'ten seconds';
    const attempt = compile([
      PlacetoPayModule.forRoot({ clientOnly: true, baseUrl: 'http://gateway.example.com' }),
    ]);
    await expect(attempt).rejects.toBeInstanceOf(PlacetoPayConfigError);
    const error = (await attempt.catch((e) => e)) as PlacetoPayConfigError;
    expect(error.problems.map((p) => p.variable)).toEqual([
      'PLACETOPAY_LOGIN',
      'PLACETOPAY_BASE_URL',
      'PLACETOPAY_TIMEOUT_MS',
    ]);
    expect(`${error.message}${logs.text()}`).not.toContain(SECRET_KEY);
  });

  it('forRootAsync without a factory is refused at once', () => {
    expect(() => PlacetoPayModule.forRootAsync({})).toThrow(/useFactory, useClass or useExisting/);
  });
});
