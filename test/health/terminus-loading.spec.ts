import { Test } from '@nestjs/testing';
import { PlacetoPayConfigError, PlacetoPayHealthModule } from 'nestjs-placetopay';
import { loadTerminus } from '../../lib/health/terminus-loader';
import { LOGIN, SECRET_KEY } from '../support/fixtures';
import { captureLogs } from '../support/log-capture';

const logs = captureLogs();

describe('loading', () => {
  it('says to install @nestjs/terminus when it is missing', () => {
    const missing = () => {
      throw Object.assign(new Error("Cannot find module '@nestjs/terminus'"), {
        code: 'MODULE_NOT_FOUND',
      });
    };
    expect(() => loadTerminus(missing)).toThrow(PlacetoPayConfigError);
    expect(() => loadTerminus(missing)).toThrow(
      'install @nestjs/terminus to use PlacetoPayHealthModule',
    );
  });

  it('names the cause when @nestjs/terminus is there but fails to load or is too old', () => {
    expect(() =>
      loadTerminus(() => {
        throw new Error('boom');
      }),
    ).toThrow(/install @nestjs\/terminus .*loading it failed: boom/);
    expect(() => loadTerminus(() => ({}))).toThrow('@nestjs/terminus 10.1 or later');
  });

  it('loads the installed @nestjs/terminus', () => {
    const terminus = loadTerminus();
    expect(new terminus.HealthIndicatorService().check('x').up({})).toEqual({
      x: { status: 'up' },
    });
  });

  it('without @nestjs/terminus: the package loads, and start-up with the health module stops with the message', async () => {
    await jest
      .isolateModulesAsync(async () => {
        jest.doMock('@nestjs/terminus', () => {
          throw Object.assign(new Error("Cannot find module '@nestjs/terminus' from 'x'"), {
            code: 'MODULE_NOT_FOUND',
          });
        });
        // The public entry point never touches terminus at load time.
        const placetopay =
          (await import('nestjs-placetopay')) as typeof import('nestjs-placetopay');
        const { Test: IsolatedTest } =
          (await import('@nestjs/testing')) as typeof import('@nestjs/testing');
        const building = IsolatedTest.createTestingModule({
          imports: [
            placetopay.PlacetoPayModule.forRoot({
              clientOnly: true,
              login: LOGIN,
              secretKey: SECRET_KEY,
              baseUrl: 'http://127.0.0.1:9',
            }),
            placetopay.PlacetoPayHealthModule,
          ],
        })
          .setLogger(logs)
          .compile();
        await expect(building).rejects.toThrow(placetopay.PlacetoPayConfigError);
        await expect(building).rejects.toThrow(
          'install @nestjs/terminus to use PlacetoPayHealthModule (npm install @nestjs/terminus)',
        );
      })
      .finally(() => jest.dontMock('@nestjs/terminus'));
  });

  it('without PlacetoPayModule: start-up stops and says so', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [PlacetoPayHealthModule] })
      .setLogger(logs)
      .compile();
    await expect(moduleRef.init()).rejects.toThrow('needs PlacetoPayModule');
  });

  it('refuses a deadline that is not a positive integer', () => {
    expect(() => PlacetoPayHealthModule.forRoot({ timeoutMs: 0 })).toThrow(
      'must be a positive integer',
    );
    expect(() => PlacetoPayHealthModule.forRoot({ timeoutMs: 1.5 })).toThrow(PlacetoPayConfigError);
  });
});
