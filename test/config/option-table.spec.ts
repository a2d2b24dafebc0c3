import { inspect } from 'node:util';
import {
  environmentVariables,
  readOptionsFromEnvironment,
  variableFor,
} from '../../lib/config/environment-variables';
import { OPTION_ENTRIES } from '../../lib/config/option-table';
import { PlacetoPayConfigError } from '../../lib/config/placetopay-config.error';
import {
  resolveModuleExtras,
  resolvePlacetoPayOptions,
  splitForRootOptions,
} from '../../lib/config/resolve-options';

const SECRET = 'Sup3r-S3cret-Value';
const KEY = 'ab'.repeat(32);

describe('the option table', () => {
  it.each(OPTION_ENTRIES.filter((entry) => entry.default !== undefined))(
    "$name's default passes its own check",
    ({ kind, default: fallback }) => expect(kind.check(fallback)).toBeUndefined(),
  );

  it('gives each option at most one variable, never shared', () => {
    const variables = environmentVariables().map((entry) => entry.variable);
    expect(new Set(variables).size).toBe(variables.length);
    expect(variableFor('timeoutMs')).toBe('PLACETOPAY_TIMEOUT_MS');
    expect(variableFor('isGlobal')).toBeUndefined();
    expect(variableFor('tranKey')).toBeUndefined();
  });

  it('reads the variables of another prefix (a named site)', () => {
    const env = {
      PLACETOPAY_CO_LOGIN: 'co-login',
      PLACETOPAY_CO_SECRET_KEY: SECRET,
      PLACETOPAY_CO_BASE_URL: 'https://checkout-test.placetopay.com',
      PLACETOPAY_CO_TIMEOUT_MS: '2000',
      PLACETOPAY_LOGIN: 'default-site',
    };
    expect(readOptionsFromEnvironment(env, 'PLACETOPAY_CO_')).toEqual({
      login: 'co-login',
      secretKey: SECRET,
      baseUrl: 'https://checkout-test.placetopay.com',
      timeoutMs: 2000,
    });
    expect(resolvePlacetoPayOptions({}, env, 'PLACETOPAY_CO_')).toMatchObject({
      login: 'co-login',
      timeoutMs: 2000,
    });
    const error = (() => {
      try {
        return resolvePlacetoPayOptions({}, { PLACETOPAY_CO_PROBE_CRON: 'soon' }, 'PLACETOPAY_CO_');
      } catch (thrown) {
        return thrown as PlacetoPayConfigError;
      }
    })() as PlacetoPayConfigError;
    expect(error.problems.map((p) => p.variable)).toEqual([
      'PLACETOPAY_CO_LOGIN',
      'PLACETOPAY_CO_SECRET_KEY',
      'PLACETOPAY_CO_BASE_URL',
      'PLACETOPAY_CO_PROBE_CRON',
    ]);
  });

  it('hides every secret option from JSON, inspection and spreads', () => {
    const resolved = resolvePlacetoPayOptions(
      { instrumentKey: KEY, instrumentPreviousKeys: [KEY.toUpperCase()] },
      { PLACETOPAY_LOGIN: 'l', PLACETOPAY_SECRET_KEY: SECRET, PLACETOPAY_BASE_URL: 'https://x.co' },
    );
    expect(resolved.instrumentKey).toBe(KEY);
    for (const dump of [
      JSON.stringify(resolved),
      inspect(resolved),
      JSON.stringify({ ...resolved }),
    ]) {
      expect(dump).not.toContain(SECRET);
      expect(dump.toLowerCase()).not.toContain(KEY);
    }
  });
});

describe('the settings that shape the module', () => {
  it('come from the argument, else the variable, else the default', () => {
    expect(resolveModuleExtras({}, {})).toEqual({
      isGlobal: false,
      clientOnly: false,
      webhook: {
        enabled: true,
        path: 'placetopay/notification',
        recurringPath: 'placetopay/recurring-notification',
        decorators: [],
      },
    });
    const env = {
      PLACETOPAY_WEBHOOK_PATH: '/hooks/pp/',
      PLACETOPAY_WEBHOOK_ENABLED: 'no',
      PLACETOPAY_RECURRING_WEBHOOK_PATH: ' rec ',
    };
    expect(resolveModuleExtras({}, env).webhook).toMatchObject({
      enabled: false,
      path: 'hooks/pp',
      recurringPath: 'rec',
    });
    expect(
      resolveModuleExtras({ isGlobal: true, webhook: { path: '/a/', enabled: true } }, env),
    ).toMatchObject({
      isGlobal: true,
      webhook: { path: 'a', enabled: true, recurringPath: 'rec' },
    });
  });

  it('ignore a variable that is empty or does not parse', () => {
    const env = { PLACETOPAY_WEBHOOK_PATH: ' ', PLACETOPAY_WEBHOOK_ENABLED: 'maybe' };
    expect(resolveModuleExtras({}, env).webhook).toMatchObject({
      enabled: true,
      path: 'placetopay/notification',
    });
  });

  it("are split from forRoot's options", () => {
    const decorators = [() => undefined];
    expect(
      splitForRootOptions({
        clientOnly: true,
        webhook: { decorators },
        login: 'l',
        timeoutMs: 5,
      } as never),
    ).toEqual([
      { clientOnly: true, webhook: { decorators } },
      { login: 'l', timeoutMs: 5 },
    ]);
  });
});
