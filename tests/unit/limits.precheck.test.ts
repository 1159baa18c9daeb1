import { PASSED_DOCUMENTS, rememberingPrecheck } from '../../src/limits/precheck';

const limits = { maxTokens: 200, maxDepth: 4 };
const nested = (depth: number) => `${'{ a '.repeat(depth)}${'}'.repeat(depth)}`;

describe('rememberingPrecheck', () => {
  it('remembers a document that passed, never one refused: a refused text is refused every time', () => {
    const prechecked = rememberingPrecheck(limits);
    expect(prechecked.check('{ a }')).toBeNull();
    expect(prechecked.check('{ a }')).toBeNull();
    expect(prechecked.size).toBe(1);
    const tooMany = `{ ${'a '.repeat(300)}}`;
    const tooDeep = nested(limits.maxDepth * 4 + 1);
    for (let i = 0; i < 3; i++) {
      expect(prechecked.check(tooMany)).toMatchObject({ limit: 'tokens' });
      expect(prechecked.check(tooDeep)).toMatchObject({ limit: 'depth' });
    }
    expect(prechecked.size).toBe(1);
  });

  it('stays bounded under a flood of distinct documents, and keeps no long text', () => {
    const prechecked = rememberingPrecheck({ maxTokens: 100_000, maxDepth: 4 });
    for (let i = 0; i < 5 * PASSED_DOCUMENTS.maxEntries; i++) expect(prechecked.check(`{ a${i} }`)).toBeNull();
    expect(prechecked.size).toBe(PASSED_DOCUMENTS.maxEntries);
    const fresh = rememberingPrecheck({ maxTokens: 100_000, maxDepth: 4 });
    const long = `{ ${'a '.repeat(PASSED_DOCUMENTS.maxLength / 2)}}`;
    expect(long.length).toBeGreaterThan(PASSED_DOCUMENTS.maxLength);
    expect(fresh.check(long)).toBeNull();
    expect(fresh.size).toBe(0);
  });
});
