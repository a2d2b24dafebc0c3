import { PlacetoPayUnavailableError } from 'nestjs-placetopay';
import { sessionRequest } from '../support/fixtures';
import { captureLogs } from '../support/log-capture';
import { startHarness, type Harness } from '../support/simulator-harness';

describe('PlacetoPaySimulator fault injection', () => {
  let h: Harness;
  const logs = captureLogs();

  beforeEach(async () => {
    h = await startHarness({}, { timeoutMs: 300, queryAttempts: 1 }, logs);
  });
  afterEach(() => h.close());

  it.each([
    ['a 5xx', { type: 'status' as const, status: 503 }, 'server_error'],
    ['a 429', { type: 'status' as const, status: 429, retryAfterSeconds: 1 }, 'rate_limited'],
    ['a hang', { type: 'hang' as const }, 'timeout'],
    ['a reset', { type: 'reset' as const }, 'network'],
    ['a malformed body', { type: 'malformed' as const }, 'malformed_response'],
    ['a trickled body', { type: 'trickle' as const, everyMs: 20 }, 'timeout'],
  ])('fails a query with %s, then recovers', async (_name, fault, kind) => {
    const { requestId } = await h.client.createSession(sessionRequest());
    h.simulator.faults.inject('getSession', fault, { times: 1 });
    const error = await h.client.getSession(requestId).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlacetoPayUnavailableError);
    expect(error).toMatchObject({ kind });
    await expect(h.client.getSession(requestId)).resolves.toMatchObject({ requestId });
    expect(h.simulator.calls.getSession).toBe(2);
  });

  it('adds latency without failing', async () => {
    h.simulator.faults.inject('createSession', { type: 'latency', ms: 50 });
    await expect(h.client.createSession(sessionRequest())).resolves.toMatchObject({ requestId: 1 });
  });

  it('loses the answer after doing the work (the session exists though the client saw a timeout)', async () => {
    h.simulator.faults.inject('createSession', { type: 'hang' }, { times: 1, when: 'after' });
    const error = await h.client.createSession(sessionRequest()).catch((e: unknown) => e);
    expect(error).toMatchObject({ kind: 'timeout', mayHaveReachedGateway: true });
    expect(h.simulator.session(1)).toMatchObject({ status: { status: 'PENDING' } });
    expect(h.simulator.calls.createSession).toBe(1);
  });

  it('affects only the endpoint it was injected on, and clear() removes it', async () => {
    h.simulator.faults.inject('getSession', { type: 'status', status: 500 });
    const { requestId } = await h.client.createSession(sessionRequest());
    await expect(h.client.getSession(requestId)).rejects.toBeInstanceOf(PlacetoPayUnavailableError);
    h.simulator.faults.clear();
    await expect(h.client.getSession(requestId)).resolves.toBeDefined();
  });

  it('does not act on a delayed request after stop()', async () => {
    h.simulator.faults.inject('createSession', { type: 'latency', ms: 200 });
    const pending = h.client.createSession(sessionRequest()).catch((e: unknown) => e);
    while (h.simulator.calls.createSession === 0)
      await new Promise((resolve) => setImmediate(resolve));
    await h.simulator.stop();
    expect(await pending).toBeInstanceOf(PlacetoPayUnavailableError);
    expect(h.simulator.session(1)).toBeUndefined();
  });
});
