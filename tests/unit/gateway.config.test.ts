import { loadGatewayConfig } from '../../gateway/config';

/**
 * The gateway reads the environment `npm run start:federated` gives every process of the stack; what
 * only the subgraphs use must not stop it (it did: production's migration role).
 */
describe('the gateway\'s configuration', () => {
  const production = {
    NODE_ENV: 'production',
    DATABASE_URL: 'postgresql://changxing_api:secret@db.internal:5432/changxing',
    ID_HASH_SECRET: 'x'.repeat(48),
    PASS_SIGNING_KEY: 'y'.repeat(48),
    SUBGRAPH_SECRET: 'z'.repeat(48),
  };

  it('starts in production beside a migration role (MIGRATION_DATABASE_USER/PASSWORD are the subgraphs\')', () => {
    const config = loadGatewayConfig({ ...production, MIGRATION_DATABASE_USER: 'changxing_owner', MIGRATION_DATABASE_PASSWORD: 'owner-secret' });
    expect(config.accessDatabaseUrl).toBe(production.DATABASE_URL);
  });

  it('still refuses what is wrong for the gateway itself: no database for the API keys', () => {
    const { DATABASE_URL: _omitted, ...withoutDatabase } = production;
    expect(() => loadGatewayConfig({ ...withoutDatabase, MIGRATION_DATABASE_USER: 'changxing_owner' })).toThrow(/ACCESS_DATABASE_URL/);
  });

  it('plans with Hive Router\'s Rust query planner unless GATEWAY_QUERY_PLANNER=js, and refuses anything else', () => {
    expect(loadGatewayConfig(production).queryPlanner).toBe('rust');
    expect(loadGatewayConfig({ ...production, GATEWAY_QUERY_PLANNER: 'js' }).queryPlanner).toBe('js');
    expect(() => loadGatewayConfig({ ...production, GATEWAY_QUERY_PLANNER: 'go' })).toThrow(/GATEWAY_QUERY_PLANNER must be rust or js/);
  });

  it('forwards single-subgraph operations on its fast path and keeps its answer cache unless each is off; refuses anything but on and off', () => {
    expect(loadGatewayConfig(production)).toMatchObject({ fastPath: true, answerCache: true });
    expect(loadGatewayConfig({ ...production, GATEWAY_FAST_PATH: 'off', GATEWAY_RESPONSE_CACHE: 'off' })).toMatchObject({ fastPath: false, answerCache: false });
    expect(() => loadGatewayConfig({ ...production, GATEWAY_FAST_PATH: 'yes' })).toThrow(/GATEWAY_FAST_PATH must be on or off/);
    expect(() => loadGatewayConfig({ ...production, GATEWAY_RESPONSE_CACHE: '0' })).toThrow(/GATEWAY_RESPONSE_CACHE must be on or off/);
  });
});
