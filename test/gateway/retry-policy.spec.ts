import { backoffDelay } from '../../lib/gateway/retry-policy';

describe('retry backoff', () => {
  const settings = { baseDelayMs: 100, maxDelayMs: 1000 };

  it('grows exponentially up to the maximum', () => {
    const top = () => 1;
    expect([1, 2, 3, 4, 5, 6].map((retry) => backoffDelay(retry, settings, top))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  it('applies full jitter', () => {
    expect(backoffDelay(3, settings, () => 0)).toBe(0);
    expect(backoffDelay(3, settings, () => 0.5)).toBe(200);
  });

  it('honours Retry-After within the maximum', () => {
    expect(backoffDelay(1, settings, () => 0, 700)).toBe(700);
    expect(backoffDelay(1, settings, () => 0, 5000)).toBe(1000);
  });
});
