import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  PLACETOPAY_ENTITIES,
  PLACETOPAY_MIGRATIONS,
  PlacetoPayConfigError,
  PlacetoPayModule,
  type PlacetoPayModuleOptions,
} from 'nestjs-placetopay';
import { PlacetoPaySimulator } from 'nestjs-placetopay/testing';
import { enginesUnderTest } from '../support/databases';
import { createAuth } from '../../lib/gateway/authentication';
import { LOGIN, SECRET_KEY, sessionRequest } from '../support/fixtures';
import { captureLogs, secretsIn } from '../support/log-capture';
import { freePort } from '../support/free-port';
import { ScriptedServer } from '../support/scripted-server';

const WRONG_SECRET = 'WrongSecret-4Zt81';
const logs = captureLogs();
const sqlite = enginesUnderTest()[0];

/** Boots a clientOnly app (bootstrap hooks included); resolves when start-up went on. */
async function boot(baseUrl: string, options: PlacetoPayModuleOptions = {}): Promise<void> {
  const moduleRef = await Test.createTestingModule({
    imports: [
      PlacetoPayModule.forRoot({
        clientOnly: true,
        login: LOGIN,
        secretKey: SECRET_KEY,
        baseUrl,
        ...options,
      }),
    ],
  })
    .setLogger(logs)
    .compile();
  try {
    await moduleRef.init();
  } finally {
    await moduleRef.close();
  }
}

/** The lines the credential check wrote at a level (log, warn, error). */
function checkLines(level: 'log' | 'warn' | 'error'): string[] {
  return logs.lines.filter(
    (line) => line.startsWith(`${level} `) && line.includes('PlacetoPayCredentials'),
  );
}

function expectNoSecretIn(texts: string[], bodies: Array<Record<string, unknown> | undefined>) {
  const secrets = [...secretsIn(bodies, SECRET_KEY), WRONG_SECRET];
  for (const text of texts) {
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toContain('tranKey');
  }
}

beforeEach(() => logs.lines.splice(0));

describe('verifyCredentials against the simulator', () => {
  let simulator: PlacetoPaySimulator;
  const saved = process.env.PLACETOPAY_VERIFY_CREDENTIALS;

  beforeEach(async () => {
    simulator = await new PlacetoPaySimulator({
      sites: [{ login: LOGIN, secretKey: SECRET_KEY, merchantName: 'Café de Prueba' }],
      tickMs: 0,
    }).start();
  });
  afterEach(async () => {
    if (saved === undefined) delete process.env.PLACETOPAY_VERIFY_CREDENTIALS;
    else process.env.PLACETOPAY_VERIFY_CREDENTIALS = saved;
    await simulator.stop();
  });
  // The simulator keeps no request bodies: the scripted-server tests below also look for the
  // tranKey and nonce that went over the wire.
  const bodies = () => [];

  it('warn (the default): a wrong secret logs one error naming PLACETOPAY_SECRET_KEY, and start-up goes on', async () => {
    await expect(boot(simulator.url, { secretKey: WRONG_SECRET })).resolves.toBeUndefined();
    const errors = checkLines('error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('PLACETOPAY_SECRET_KEY');
    expect(errors[0]).toContain('authentication failed (102)');
    expect(errors[0]).toContain('PLACETOPAY_VERIFY_CREDENTIALS=fail');
    expect(simulator.calls.getSession).toBe(1);
    expectNoSecretIn([logs.text()], bodies());
  });

  it('fail: a wrong secret stops start-up with a PlacetoPayConfigError naming the variable', async () => {
    const booting = boot(simulator.url, { secretKey: WRONG_SECRET, verifyCredentials: 'fail' });
    const error = await booting.catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(PlacetoPayConfigError);
    expect((error as PlacetoPayConfigError).problems).toEqual([
      {
        option: 'secretKey',
        variable: 'PLACETOPAY_SECRET_KEY',
        message: expect.stringContaining('refused the credentials: authentication failed (102)'),
      },
    ]);
    expect(simulator.calls.getSession).toBe(1);
    expectNoSecretIn([(error as Error).message, logs.text()], bodies());
  });

  it('fail from PLACETOPAY_VERIFY_CREDENTIALS: an unknown login names PLACETOPAY_LOGIN', async () => {
    process.env.PLACETOPAY_VERIFY_CREDENTIALS = 'fail';
    await expect(boot(simulator.url, { login: 'not-a-site-login' })).rejects.toThrow(
      /PLACETOPAY_LOGIN.*authentication failed \(101\)/,
    );
  });

  it('accepted credentials: one call, one LOG line, no warning or error', async () => {
    // The site already has a session: the simulator's first, number 1. The check never reads it.
    const created = await fetch(`${simulator.url}/api/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        auth: createAuth({ login: LOGIN, secretKey: SECRET_KEY }),
        ...sessionRequest(),
      }),
    });
    expect(((await created.json()) as { requestId: number }).requestId).toBe(1);
    await boot(simulator.url, { verifyCredentials: 'fail' });
    expect(simulator.calls.getSession).toBe(1);
    // Session 0, which PlacetoPay never assigns: "the requested session does not exist".
    expect(simulator.requestLog.at(-1)).toMatchObject({
      operation: 'getSession',
      path: '/api/session/0',
      httpStatus: 404,
    });
    expect(checkLines('log')).toEqual([
      expect.stringMatching(/http:\/\/127\.0\.0\.1:\d+ accepted the credentials/),
    ]);
    expect(checkLines('warn')).toEqual([]);
    expect(checkLines('error')).toEqual([]);
  });

  it('off: no call at all', async () => {
    await boot(simulator.url, { secretKey: WRONG_SECRET, verifyCredentials: 'off' });
    expect(Object.values(simulator.calls).reduce((a, b) => a + b, 0)).toBe(0);
    expect(simulator.requestLog).toHaveLength(0);
    expect(checkLines('error')).toEqual([]);
  });

  it('runs in the full module too (fail stops it)', async () => {
    const database = await sqlite.create();
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({
          ...database.options,
          entities: PLACETOPAY_ENTITIES,
          migrations: PLACETOPAY_MIGRATIONS,
          migrationsRun: true,
          logging: false,
        }),
        PlacetoPayModule.forRoot({
          login: LOGIN,
          secretKey: WRONG_SECRET,
          baseUrl: simulator.url,
          probeEnabled: false,
          verifyCredentials: 'fail',
        }),
      ],
    })
      .setLogger(logs)
      .compile();
    try {
      const error = await moduleRef.init().then(
        () => undefined,
        (thrown: unknown) => thrown,
      );
      expect(error).toBeInstanceOf(PlacetoPayConfigError);
      expect(simulator.calls.getSession).toBe(1);
    } finally {
      // close() waits for init() first, and so rethrows its error.
      await moduleRef.close().catch(() => undefined);
      await database.drop();
    }
  });
});

describe('verifyCredentials against other answers', () => {
  let server: ScriptedServer;
  beforeEach(async () => {
    server = await new ScriptedServer().start();
  });
  afterEach(() => server.stop());

  it.each([
    ['404 HTML', { status: 404, body: '<html><h1>Not Found</h1></html>' }],
    ['405 HTML', { status: 405, body: '<html>Method Not Allowed</html>' }],
    ['200 that is not JSON', { status: 200, body: 'hello' }],
    [
      '404 "Page not found"',
      {
        status: 404,
        json: { status: { status: 'FAILED', reason: 'NA', message: 'Page not found' } },
      },
    ],
  ])(
    'a base URL answering %s is named: error with warn, PlacetoPayConfigError with fail',
    async (_name, reply) => {
      server.reply(reply, reply);
      await boot(server.url);
      const errors = checkLines('error');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain('PLACETOPAY_BASE_URL');
      expect(errors[0]).toContain("does not answer like PlacetoPay's API");
      await expect(boot(server.url, { verifyCredentials: 'fail' })).rejects.toThrow(
        /PLACETOPAY_BASE_URL.*does not answer like PlacetoPay's API/,
      );
      expect(server.requests.map((r) => r.path)).toEqual(['/api/session/0', '/api/session/0']);
      expectNoSecretIn(
        [logs.text()],
        server.requests.map((r) => r.json),
      );
    },
  );

  it('"session not found" means the credentials are fine', async () => {
    server.reply({
      status: 200,
      json: { status: { status: 'FAILED', reason: 0, message: 'No existe la sesión que busca' } },
    });
    await boot(server.url, { verifyCredentials: 'fail' });
    expect(checkLines('log')).toHaveLength(1);
    expect(checkLines('error')).toEqual([]);
  });

  it.each(['warn', 'fail'] as const)(
    'an unreachable gateway only warns with %s: 5xx, timeout, connection refused',
    async (mode) => {
      server.reply({ status: 503, body: '<html>Service Unavailable</html>' }, { hang: true });
      await expect(boot(server.url, { verifyCredentials: mode })).resolves.toBeUndefined();
      await expect(
        boot(server.url, { verifyCredentials: mode, timeoutMs: 200 }),
      ).resolves.toBeUndefined();
      await expect(
        boot(`http://127.0.0.1:${await freePort()}`, { verifyCredentials: mode }),
      ).resolves.toBeUndefined();
      const warnings = checkLines('warn');
      expect(warnings).toEqual([
        expect.stringContaining('server error: PlacetoPay answered HTTP 503'),
        expect.stringContaining('timeout: no complete answer within 200 ms'),
        expect.stringContaining('network error: ECONNREFUSED'),
      ]);
      for (const warning of warnings) expect(warning).toContain('start-up goes on');
      expect(checkLines('error')).toEqual([]);
      // One attempt each: the check never retries.
      expect(server.requests).toHaveLength(2);
      expectNoSecretIn(
        [logs.text()],
        server.requests.map((r) => r.json),
      );
    },
  );
});
