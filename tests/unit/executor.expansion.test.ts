import { buildSchema, getOperationAST, parse } from 'graphql';
import { expandedSelections, jitExecutor, MAX_EXPANDED_SELECTIONS } from '../../src/executor';

/**
 * graphql-jit expands every fragment spread where it is used; a document that doubles at each of
 * 40 fragments is 2^40 selections to it (its compiler never returned), and nothing to graphql-js.
 * The executor counts the expansion first (linearly) and runs such documents on graphql-js.
 */
const schema = buildSchema('type Region { code: String, parent: Region } type Query { region: Region }');

function bomb(n: number): string {
  const fragments = Array.from({ length: n }, (_, i) => (i < n - 1 ? `fragment F${i} on Region { ...F${i + 1} ...F${i + 1} }` : `fragment F${i} on Region { code }`));
  return `{ region { ...F0 } }\n${fragments.join('\n')}`;
}

const count = (text: string, limit = MAX_EXPANDED_SELECTIONS) => {
  const document = parse(text);
  return expandedSelections(document, getOperationAST(document)!, limit);
};

describe('expandedSelections', () => {
  it('counts fields, nested fields, inline fragments and spreads as jit expands them', () => {
    expect(count('{ region { code parent { code } } }')).toBe(4);
    expect(count('{ region { ...on Region { code } ...F ...F } } fragment F on Region { parent { code } }')).toBe(6);
    expect(count(bomb(4))).toBe(1 + 8);
  });

  it('stops just past the limit, at once, however large the expansion', () => {
    const t0 = performance.now();
    expect(count(bomb(40))).toBe(MAX_EXPANDED_SELECTIONS + 1);
    expect(count(bomb(2_000))).toBe(MAX_EXPANDED_SELECTIONS + 1);
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(count('{ region { code parent { code } } }', 3)).toBe(4);
  });

  it('counts a cycle (refused by validation before execution) as past the limit', () => {
    expect(count('{ region { ...A } } fragment A on Region { parent { ...A } }', 100)).toBe(101);
  });
});

describe('the jit executor with a fragment bomb', () => {
  it('runs it on graphql-js, without compiling it, and answers', async () => {
    const engines: string[] = [];
    const fallbacks: string[] = [];
    const run = jitExecutor({ maxCompiled: 10, onExecute: (e) => engines.push(e), onFallback: (r) => fallbacks.push(r) });
    const document = parse(bomb(40));
    (schema.getQueryType()!.getFields().region as { resolve?: unknown }).resolve = () => ({ code: '420106' });
    const result = await run({ schema: schema, document, operation: getOperationAST(document)!, operationName: undefined, documentKey: 'bomb', variables: {}, contextValue: {} });
    expect(result).toEqual({ data: { region: { code: '420106' } } });
    // not a failure of jit's: nothing reported as one
    expect([engines, fallbacks]).toEqual([['js'], []]);
    // a small document is compiled as before
    const small = parse('{ region { code } }');
    await run({ schema: schema, document: small, operation: getOperationAST(small)!, operationName: undefined, documentKey: 'small', variables: {}, contextValue: {} });
    expect(engines).toEqual(['js', 'jit']);
  });
});
