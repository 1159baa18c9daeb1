import { SelfServiceLimiter } from '../../src/auth/rateLimit';

const limitedCode = (p: Promise<unknown>) => p.then(() => 'ok', (e: { extensions?: { code?: string } }) => e.extensions?.code);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('SelfServiceLimiter', () => {
  it('counts distinct ID numbers per client, not lookups, and keeps clients apart', async () => {
    const limiter = new SelfServiceLimiter({ maxIdsPerDay: 2, requestsPerMinute: 100 }, null);
    expect(await limitedCode(limiter.admit('a', 'id1'))).toBe('ok');
    expect(await limitedCode(limiter.admit('a', 'id2'))).toBe('ok');
    expect(await limitedCode(limiter.admit('a', 'id1'))).toBe('ok');
    expect(await limitedCode(limiter.admit('a', 'id3'))).toBe('RATE_LIMITED');
    // Refused IDs are not remembered as seen: the same one is refused again.
    expect(await limitedCode(limiter.admit('a', 'id3'))).toBe('RATE_LIMITED');
    expect(await limitedCode(limiter.admit('b', 'id3'))).toBe('ok');
  });

  it('resets when the window has passed', async () => {
    const limiter = new SelfServiceLimiter({ maxIdsPerDay: 1, requestsPerMinute: 2, rateWindowSeconds: 1, idWindowSeconds: 1 }, null);
    expect(await limitedCode(limiter.admit('a', 'id1'))).toBe('ok');
    expect(await limitedCode(limiter.admit('a', 'id2'))).toBe('RATE_LIMITED');
    expect(await limitedCode(limiter.admit('a', 'id1'))).toBe('RATE_LIMITED'); // third request in the window
    await sleep(1100);
    expect(await limitedCode(limiter.admit('a', 'id2'))).toBe('ok');
  });

  it('says how long to wait', async () => {
    const limiter = new SelfServiceLimiter({ maxIdsPerDay: 10, requestsPerMinute: 1 }, null);
    await limiter.admit('a', 'x');
    const err = await limiter.admit('a', 'x').catch((e) => e);
    expect(err.extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number), http: { status: 429 } });
    expect(err.extensions.retryAfterSeconds).toBeGreaterThan(0);
    expect(err.extensions.retryAfterSeconds).toBeLessThanOrEqual(60);
  });
});
