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

/** PASS_CHECKS (docs/scaling.md, "Pass checks on instances of their own"). */
describe('PASS_CHECKS', () => {
  it('defaults to shared; takes dedicated and elsewhere', () => {
    expect(loadConfig({}).passChecks).toBe('shared');
    expect(loadConfig({ PASS_CHECKS: 'dedicated' }).passChecks).toBe('dedicated');
    expect(loadConfig({ PASS_CHECKS: 'elsewhere' }).passChecks).toBe('elsewhere');
  });

  it.each(['only', 'PASS', ''])('refuses %j', (value) => {
    expect(() => loadConfig({ PASS_CHECKS: value })).toThrow(ConfigError);
  });
});
