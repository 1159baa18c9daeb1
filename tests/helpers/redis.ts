/**
 * The suites that need a real Redis (REDIS_URL): two instances sharing rate limits, documents and
 * cached answers (stateless.test.ts), and APQ shared by npm start and the gateway
 * (federationLimits.test.ts). Without REDIS_URL they are skipped, and the run says so at its
 * start and at its end, never silently. In CI (CI set, as on every CI service) they are never
 * skipped: .ci/run starts a Redis when none answers on 6379, and a run without REDIS_URL fails at
 * once instead of passing with fewer tests.
 */
export const REDIS_SUITES = ['stateless.test.ts', 'federationLimits.test.ts (APQ over one Redis)', 'instances.test.ts (start:federated restarted)'];

export function redisSkipNote(): string | null {
  if (process.env.REDIS_URL) return null;
  return (
    `REDIS_URL is not set: the Redis tests are skipped (${REDIS_SUITES.join('; ')}). ` +
    'Run them with a Redis: REDIS_URL=redis://127.0.0.1:6379 npm test\n'
  );
}

/** Thrown by globalSetup in CI without REDIS_URL: a green CI run must have run the Redis suites. */
export function redisMissingInCi(env: NodeJS.ProcessEnv = process.env): Error | null {
  if (env.REDIS_URL || !isCi(env)) return null;
  return new Error(
    `CI is set but REDIS_URL is not: the Redis suites (${REDIS_SUITES.join('; ')}) would be skipped. ` +
      '.ci/run starts a Redis (the redis-server Debian package) when none answers on 127.0.0.1:6379; ' +
      'outside CI, unset CI to run without them.',
  );
}

function isCi(env: NodeJS.ProcessEnv): boolean {
  const value = env.CI?.trim().toLowerCase();
  return value != null && value !== '' && value !== 'false' && value !== '0';
}
