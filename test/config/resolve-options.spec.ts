import { inspect } from 'node:util';
import { PlacetoPayConfigError } from 'nestjs-placetopay';
import {
  PLACETOPAY_ENVIRONMENT_VARIABLES,
  readOptionsFromEnvironment,
} from '../../lib/config/environment-variables';
import { resolvePlacetoPayOptions } from '../../lib/config/resolve-options';

const SECRET = 'Sup3r-S3cret-Value';
const GOOD_ENV = {
  PLACETOPAY_LOGIN: 'site-login',
  PLACETOPAY_SECRET_KEY: SECRET,
  PLACETOPAY_BASE_URL: 'https://checkout-test.placetopay.com',
};

function configError(fn: () => unknown): PlacetoPayConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(PlacetoPayConfigError);
    return error as PlacetoPayConfigError;
  }
  throw new Error('expected a PlacetoPayConfigError');
}

describe('configuration', () => {
  it('reads every option from the environment, with defaults for the optional ones', () => {
    const resolved = resolvePlacetoPayOptions({}, GOOD_ENV);
    expect(resolved.secretKey).toBe(SECRET);
    expect(resolved).toEqual({
      login: 'site-login',
      baseUrl: 'https://checkout-test.placetopay.com',
      timeoutMs: 15000,
      queryAttempts: 3,
      retryBaseDelayMs: 250,
      retryMaxDelayMs: 5000,
      authAlgorithm: 'sha256',
      clockOffsetMs: 0,
      verifyCredentials: 'warn',
      allowDuplicateReferences: false,
      eventMaxAttempts: 10,
      eventRetryBaseDelayMs: 1000,
      eventRetryMaxDelayMs: 3600000,
      eventLeaseMs: 60000,
      eventPollMs: 2000,
      allowLegacySha1: true,
      notificationQuery: true,
      journalDir: '.placetopay-journal',
      probeEnabled: true,
      probeCron: '* * * * *',
      probeFirstCheckMs: 420_000,
      probeIntervalMs: 720_000,
      probeBatchSize: 50,
      probeConcurrency: 10,
      probeLeaseMs: 300_000,
      probeGiveUpMs: 604_800_000,
    });
    expect(resolved.instrumentPreviousKeys).toEqual([]);
  });

  it('parses numeric variables, trims values and drops trailing slashes of the base URL', () => {
    const resolved = resolvePlacetoPayOptions(
      {},
      {
        ...GOOD_ENV,
        PLACETOPAY_SECRET_KEY: `  ${SECRET}\n`,
        PLACETOPAY_BASE_URL: 'https://checkout-test.placetopay.ec/',
        PLACETOPAY_TIMEOUT_MS: '5000',
        PLACETOPAY_QUERY_ATTEMPTS: '5',
        PLACETOPAY_CLOCK_OFFSET_MS: '-2000',
        PLACETOPAY_LOCALE: 'en_US',
        PLACETOPAY_AUTH_ALGORITHM: 'sha1',
        PLACETOPAY_ALLOW_DUPLICATE_REFERENCES: 'TRUE',
      },
    );
    expect(resolved).toMatchObject({
      secretKey: SECRET,
      baseUrl: 'https://checkout-test.placetopay.ec',
      timeoutMs: 5000,
      queryAttempts: 5,
      clockOffsetMs: -2000,
      locale: 'en_US',
      authAlgorithm: 'sha1',
      allowDuplicateReferences: true,
    });
  });

  it('keeps the secret out of JSON, inspection and spreads', () => {
    const resolved = resolvePlacetoPayOptions({}, GOOD_ENV);
    expect(JSON.stringify(resolved)).not.toContain(SECRET);
    expect(inspect(resolved, { showHidden: false })).not.toContain(SECRET);
    expect({ ...resolved }).not.toHaveProperty('secretKey');
  });

  it('lets explicit options win over the environment', () => {
    const resolved = resolvePlacetoPayOptions({ login: 'explicit', timeoutMs: 1000 }, GOOD_ENV);
    expect(resolved.login).toBe('explicit');
    expect(resolved.timeoutMs).toBe(1000);
    expect(resolved.secretKey).toBe(SECRET);
  });

  it('accepts plain http only for loopback hosts', () => {
    for (const baseUrl of ['http://127.0.0.1:4010', 'http://localhost:3000', 'http://[::1]:8080']) {
      expect(resolvePlacetoPayOptions({ baseUrl }, GOOD_ENV).baseUrl).toBe(baseUrl);
    }
    for (const baseUrl of [
      'http://checkout-test.placetopay.com',
      'ftp://x.y',
      'not a url',
      'https://u:p@host.com',
    ]) {
      const error = configError(() => resolvePlacetoPayOptions({ baseUrl }, GOOD_ENV));
      expect(error.problems).toEqual([
        expect.objectContaining({ option: 'baseUrl', variable: 'PLACETOPAY_BASE_URL' }),
      ]);
    }
  });

  it('reports every bad option in one error, naming its variable and never a value', () => {
    const error = configError(() =>
      resolvePlacetoPayOptions(
        {},
        {
          PLACETOPAY_LOGIN: 'x'.repeat(33),
          PLACETOPAY_SECRET_KEY: '   ',
          PLACETOPAY_BASE_URL: `http://example.com/${SECRET}`,
          PLACETOPAY_TIMEOUT_MS: 'soon',
          PLACETOPAY_QUERY_ATTEMPTS: '0',
          PLACETOPAY_LOCALE: 'spanish',
          PLACETOPAY_AUTH_ALGORITHM: 'md5',
          PLACETOPAY_ALLOW_DUPLICATE_REFERENCES: 'sometimes',
        },
      ),
    );
    expect(error.problems.map((p) => p.variable).sort()).toEqual(
      [
        'PLACETOPAY_ALLOW_DUPLICATE_REFERENCES',
        'PLACETOPAY_AUTH_ALGORITHM',
        'PLACETOPAY_BASE_URL',
        'PLACETOPAY_LOCALE',
        'PLACETOPAY_LOGIN',
        'PLACETOPAY_QUERY_ATTEMPTS',
        'PLACETOPAY_SECRET_KEY',
        'PLACETOPAY_TIMEOUT_MS',
      ].sort(),
    );
    expect(error.message).toContain('secretKey (PLACETOPAY_SECRET_KEY): is required');
    expect(error.message).toContain('timeoutMs (PLACETOPAY_TIMEOUT_MS)');
    const serialized = `${error.message}${JSON.stringify(error)}${error.stack}`;
    expect(serialized).not.toContain(SECRET);
    expect(serialized).not.toContain('soon');
    expect(serialized).not.toContain('x'.repeat(33));
  });

  it('reports missing required settings when nothing is configured', () => {
    const error = configError(() => resolvePlacetoPayOptions({}, {}));
    expect(error.problems).toEqual([
      { option: 'login', variable: 'PLACETOPAY_LOGIN', message: 'is required' },
      { option: 'secretKey', variable: 'PLACETOPAY_SECRET_KEY', message: 'is required' },
      { option: 'baseUrl', variable: 'PLACETOPAY_BASE_URL', message: 'is required' },
    ]);
    expect(error.message).toContain('login (PLACETOPAY_LOGIN): is required');
    expect(error.message).not.toContain('characters');
    expect(error.code).toBe('placetopay_config_invalid');
  });

  it('says "is required" for a blank required setting, and what it must be for a bad one', () => {
    const blank = configError(() => resolvePlacetoPayOptions({ login: '   ' }, GOOD_ENV));
    expect(blank.problems).toEqual([
      { option: 'login', variable: 'PLACETOPAY_LOGIN', message: 'is required' },
    ]);
    const long = configError(() => resolvePlacetoPayOptions({ login: 'x'.repeat(33) }, GOOD_ENV));
    expect(long.problems).toEqual([
      { option: 'login', variable: 'PLACETOPAY_LOGIN', message: 'must be 1 to 32 characters long' },
    ]);
    // A blank optional setting is still checked, not dropped.
    const locale = configError(() => resolvePlacetoPayOptions({ locale: '' }, GOOD_ENV));
    expect(locale.problems.map((p) => p.option)).toEqual(['locale']);
  });

  it('refuses options it does not know', () => {
    const error = configError(() =>
      resolvePlacetoPayOptions({ tranKey: 'oops' } as never, GOOD_ENV),
    );
    expect(error.problems).toEqual([
      { option: 'tranKey', variable: undefined, message: 'is not a PlacetoPay option' },
    ]);
  });

  it('ignores empty variables and lists one variable per option', () => {
    expect(readOptionsFromEnvironment({ PLACETOPAY_LOGIN: '', PLACETOPAY_LOCALE: ' ' })).toEqual(
      {},
    );
    const variables = PLACETOPAY_ENVIRONMENT_VARIABLES.map((v) => v.variable);
    expect(new Set(variables).size).toBe(variables.length);
  });

  it('reads the probe settings from the environment', () => {
    const resolved = resolvePlacetoPayOptions(
      {},
      {
        ...GOOD_ENV,
        PLACETOPAY_PROBE_ENABLED: 'false',
        PLACETOPAY_PROBE_CRON: '*/5 * * * *',
        PLACETOPAY_PROBE_FIRST_CHECK_MS: '600000',
        PLACETOPAY_PROBE_INTERVAL_MS: '900000',
        PLACETOPAY_PROBE_BATCH_SIZE: '200',
        PLACETOPAY_PROBE_CONCURRENCY: '20',
        PLACETOPAY_PROBE_LEASE_MS: '120000',
        PLACETOPAY_PROBE_GIVE_UP_MS: '86400000',
      },
    );
    expect(resolved).toMatchObject({
      probeEnabled: false,
      probeCron: '*/5 * * * *',
      probeFirstCheckMs: 600_000,
      probeIntervalMs: 900_000,
      probeBatchSize: 200,
      probeConcurrency: 20,
      probeLeaseMs: 120_000,
      probeGiveUpMs: 86_400_000,
    });
  });

  it('refuses a probe lease that a slow query could outlive, and a cron that is not one', () => {
    // 15 s x 3 attempts + 2 retry delays of 5 s = 55 s; the lease must be at least 10 s longer.
    const lease = configError(() => resolvePlacetoPayOptions({ probeLeaseMs: 60_000 }, GOOD_ENV));
    expect(lease.problems).toEqual([
      {
        option: 'probeLeaseMs',
        variable: 'PLACETOPAY_PROBE_LEASE_MS',
        message: expect.stringContaining('slowest session query (55000 ms'),
      },
    ]);
    expect(resolvePlacetoPayOptions({ probeLeaseMs: 65_000 }, GOOD_ENV).probeLeaseMs).toBe(65_000);
    const cron = configError(() =>
      resolvePlacetoPayOptions({}, { ...GOOD_ENV, PLACETOPAY_PROBE_CRON: 'every minute' }),
    );
    expect(cron.problems.map((p) => p.variable)).toEqual(['PLACETOPAY_PROBE_CRON']);
  });

  it('reads verifyCredentials from PLACETOPAY_VERIFY_CREDENTIALS and refuses other words', () => {
    const env = { ...GOOD_ENV, PLACETOPAY_VERIFY_CREDENTIALS: 'fail' };
    expect(resolvePlacetoPayOptions({}, env).verifyCredentials).toBe('fail');
    expect(resolvePlacetoPayOptions({ verifyCredentials: 'off' }, env).verifyCredentials).toBe(
      'off',
    );
    const bad = configError(() =>
      resolvePlacetoPayOptions({}, { ...GOOD_ENV, PLACETOPAY_VERIFY_CREDENTIALS: 'strict' }),
    );
    expect(bad.problems).toEqual([
      {
        option: 'verifyCredentials',
        variable: 'PLACETOPAY_VERIFY_CREDENTIALS',
        message: 'must be warn or fail or off',
      },
    ]);
  });
});
