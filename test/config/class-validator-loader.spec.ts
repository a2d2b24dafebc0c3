import { PlacetoPayConfigError } from 'nestjs-placetopay';
import { loadClassValidator } from '../../lib/config/class-validator-loader';

const GOOD_ENV = {
  PLACETOPAY_LOGIN: 'site-login',
  PLACETOPAY_SECRET_KEY: 'Sup3r-S3cret-Value',
  PLACETOPAY_BASE_URL: 'https://checkout-test.placetopay.com',
};

function notFound(id: string): Error {
  return Object.assign(new Error(`Cannot find module '${id}' from 'lib/config'`), {
    code: 'MODULE_NOT_FOUND',
  });
}

describe('class-validator, a peer dependency loaded in one place', () => {
  afterEach(() => jest.dontMock('class-validator'));

  it('gives the host its validation functions when installed', () => {
    const api = loadClassValidator();
    expect(api.isEmail('buyer@example.com')).toBe(true);
    expect(api.isInt(3)).toBe(true);
  });

  it('says to install it when it is missing', () => {
    const attempt = () =>
      loadClassValidator((id) => {
        throw notFound(id);
      });
    expect(attempt).toThrow(PlacetoPayConfigError);
    expect(attempt).toThrow(
      'class-validator: install class-validator, the peer dependency that validates payment requests (npm install class-validator)',
    );
  });

  it('names a copy too old to have what the validation uses', () => {
    expect(() => loadClassValidator(() => ({ isEmail: () => true }))).toThrow(/lacks isArray/);
  });

  it('lets the root entry load without it, and stops start-up with the install message', () => {
    jest.isolateModules(() => {
      jest.doMock('class-validator', () => {
        throw notFound('class-validator');
      });
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const lib = require('../../lib/index') as typeof import('../../lib/index');
      expect(lib.PlacetoPayModule).toBeDefined();
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { resolvePlacetoPayOptions } = require('../../lib/config/resolve-options');
      let error: unknown;
      try {
        resolvePlacetoPayOptions({}, GOOD_ENV);
      } catch (caught) {
        error = caught;
      }
      expect((error as Error).name).toBe('PlacetoPayConfigError');
      expect((error as Error).message).toContain('npm install class-validator');
    });
  });
});
