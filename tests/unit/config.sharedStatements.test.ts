import { ConfigError, loadConfig } from '../../src/config';
import { DEFAULT_SHARED_STATEMENTS } from '../../src/db/statementShare';

/** SHARED_STATEMENTS (src/db/statementShare.ts): the expensive classes' statements in flight at once while pass checks are served. */
describe('SHARED_STATEMENTS', () => {
  it('defaults to one statement; takes a count from 1 to 999, or none', () => {
    expect(DEFAULT_SHARED_STATEMENTS).toBe(1);
    expect(loadConfig({}).sharedStatements).toBe(1);
    expect(loadConfig({ SHARED_STATEMENTS: '3' }).sharedStatements).toBe(3);
    expect(loadConfig({ SHARED_STATEMENTS: '999' }).sharedStatements).toBe(999);
    expect(loadConfig({ SHARED_STATEMENTS: 'none' }).sharedStatements).toBeNull();
  });

  it.each(['0', '1000', '-1', '1.5', 'all'])('refuses %s', (value) => {
    expect(() => loadConfig({ SHARED_STATEMENTS: value })).toThrow(ConfigError);
  });
});
