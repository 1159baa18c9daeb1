import { redisMissingInCi, redisSkipNote } from '../helpers/redis';

// The rule .ci/run relies on: a CI run never passes with the Redis suites skipped.
describe('Redis suites in CI', () => {
  it.each([
    [{ CI: 'true' }, true],
    [{ CI: '1' }, true],
    [{ CI: 'true', REDIS_URL: 'redis://127.0.0.1:6379' }, false],
    [{ CI: 'false' }, false],
    [{ CI: '0' }, false],
    [{}, false],
  ])('env %j fails the run: %s', (env, fails) => {
    const error = redisMissingInCi(env as NodeJS.ProcessEnv);
    expect(error !== null).toBe(fails);
    if (error) expect(error.message).toMatch(/REDIS_URL is not.*stateless\.test\.ts/);
  });

  it('outside CI, a run without Redis says what it skipped', () => {
    const saved = process.env.REDIS_URL;
    delete process.env.REDIS_URL;
    try {
      expect(redisSkipNote()).toMatch(/REDIS_URL is not set: the Redis tests are skipped \(stateless\.test\.ts/);
    } finally {
      if (saved !== undefined) process.env.REDIS_URL = saved;
    }
  });
});
