import { createAuth } from '../../lib/gateway/authentication';
import { startSimulatorFromCli } from '../../lib/testing/simulator-cli';
import { sessionRequest } from '../support/fixtures';

describe('placetopay-simulator command line', () => {
  it('starts a simulator for the given site and port', async () => {
    const outcome = await startSimulatorFromCli(
      ['--port', '0', '--login', 'cli-site', '--merchant-name', 'CLI shop'],
      {
        PLACETOPAY_SECRET_KEY: 'cli-secret',
      },
    );
    if (!('simulator' in outcome)) throw new Error(outcome.output);
    try {
      expect(outcome.message).toBe(
        `PlacetoPay simulator listening on ${outcome.simulator.url} (site login cli-site)\n`,
      );
      expect(outcome.message).not.toContain('cli-secret');
      const response = await fetch(`${outcome.simulator.url}/api/session`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({
          auth: createAuth({ login: 'cli-site', secretKey: 'cli-secret' }),
          ...sessionRequest(),
        }),
      });
      expect(response.status).toBe(200);
      const { requestId } = (await response.json()) as { requestId: number };
      const approved = await fetch(
        `${outcome.simulator.url}/__simulator/session/${requestId}/approve`,
        { method: 'POST' },
      );
      expect(approved.status).toBe(200);
      expect(await approved.json()).toMatchObject({ requestId, status: { status: 'APPROVED' } });
      const again = await fetch(
        `${outcome.simulator.url}/__simulator/session/${requestId}/approve`,
        { method: 'POST' },
      );
      expect(again.status).toBe(409);
      const unknown = await fetch(`${outcome.simulator.url}/__simulator/session/999/expire`, {
        method: 'POST',
      });
      expect(unknown.status).toBe(404);
      // Faults over HTTP: inject one, see it apply, clear them all.
      const post = (path: string, body?: unknown) =>
        fetch(`${outcome.simulator.url}/__simulator/faults${path}`, {
          method: 'POST',
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      expect((await post('/getSession', { type: 'status', status: 503 })).status).toBe(200);
      expect(outcome.simulator.faults.take('getSession')).toMatchObject({
        fault: { type: 'status', status: 503 },
      });
      expect((await post('/getSession', { type: 'explode' })).status).toBe(400);
      expect((await post('/noSuchOperation', { type: 'hang' })).status).toBe(404);
      expect((await post('')).status).toBe(200);
      expect(outcome.simulator.faults.take('getSession')).toBeUndefined();
      expect(outcome.simulator.sites[0]).toMatchObject({
        login: 'cli-site',
        merchantName: 'CLI shop',
        signatureAlgorithm: 'sha256',
      });
    } finally {
      await outcome.simulator.stop();
    }
  });

  it('prints usage for --help and refuses bad arguments', async () => {
    await expect(startSimulatorFromCli(['--help'], {})).resolves.toMatchObject({
      exitCode: 0,
      output: expect.stringContaining('Usage'),
    });
    await expect(startSimulatorFromCli(['--port', 'x'], {})).resolves.toMatchObject({
      exitCode: 2,
    });
    await expect(startSimulatorFromCli(['--signature', 'md5'], {})).resolves.toMatchObject({
      exitCode: 2,
    });
    await expect(startSimulatorFromCli(['--bogus'], {})).resolves.toMatchObject({ exitCode: 2 });
  });
});
