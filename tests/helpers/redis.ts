/**
 * The suites that need a real Redis (REDIS_URL): two instances sharing rate limits, documents and
 * cached answers (stateless.test.ts), and APQ shared by npm start and the gateway
 * (federationLimits.test.ts). Without REDIS_URL they are skipped, and the run says so at its
 * start and at its end, never silently. .ci/run sets REDIS_URL when a Redis answers on 6379.
 */
export const REDIS_SUITES = ['stateless.test.ts', 'federationLimits.test.ts (APQ over one Redis)', 'instances.test.ts (start:federated restarted)'];

export function redisSkipNote(): string | null {
  if (process.env.REDIS_URL) return null;
  return (
    `REDIS_URL is not set: the Redis tests are skipped (${REDIS_SUITES.join('; ')}). ` +
    'Run them with a Redis: REDIS_URL=redis://127.0.0.1:6379 npm test\n'
  );
}
