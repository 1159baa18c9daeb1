import { execute, parse } from 'graphql';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { applyResponseBudget, jsonFits, leafBytes, ResponseBudget } from '../../src/limits/responseSize';
import { responseBudgetRefusal } from '../../src/limits';

/** 1,000 counties, each with a name, a Chinese name, numbers, a date, a list of reasons and a nested figure. */
function sample() {
  let resolved = 0;
  const counties = Array.from({ length: 1000 }, (_, i) => ({ code: String(110000 + i), name: `武昌区${i}`, population: 1000 + i * 37, rate: i / 7, active: i % 2 === 0 }));
  const schema = applyResponseBudget(
    makeExecutableSchema({
      typeDefs: /* GraphQL */ `
        scalar DateTime
        type Query { counties: [County!]! }
        type County { code: String! name: String! population: Int! rate: Float! active: Boolean! at: DateTime! reasons: [String!]! figures: Figures }
        type Figures { newConfirmed: Int! note: String }
      `,
      resolvers: {
        Query: { counties: () => counties },
        County: {
          at: () => new Date(Date.UTC(2020, 1, 17)),
          reasons: (c: { name: string }) => [`${c.name}: no new case`, 'LOW'],
          figures: async (c: { population: number }) => {
            resolved++;
            return { newConfirmed: c.population % 13, note: null };
          },
        },
        DateTime: { serialize: (d: Date) => d.toISOString() },
      },
    }),
  );
  return { schema, resolvedFigures: () => resolved };
}

const QUERY = parse('{ counties { code name population rate active at reasons figures { newConfirmed note } renamed: code } }');

describe('the response budget counts the answer while it is built', () => {
  it('counts within 2 % of the JSON graphql-js writes', async () => {
    const { schema } = sample();
    const budget = new ResponseBudget(100 * 1024 * 1024, 'GOV');
    const result = await execute({ schema, document: QUERY, contextValue: { responseBudget: budget } });
    expect(result.errors).toBeUndefined();
    const actual = Buffer.byteLength(JSON.stringify(result.data));
    expect(Math.abs(budget.used - actual) / actual).toBeLessThan(0.02);
    expect(jsonFits(result.data, actual * 1.02)).toBe(true);
    expect(jsonFits(result.data, actual * 0.98)).toBe(false);
  });

  it('stops at the budget: the fields after it are not resolved, and the request is refused with RESPONSE_TOO_LARGE', async () => {
    const { schema, resolvedFigures } = sample();
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    process.on('unhandledRejection', onRejection);
    try {
      // The counties' own leaves (code, name, …: ≈ 115 bytes each, read without a resolver) are
      // counted when the list arrives; then each county's resolved fields (≈ 90 bytes) as they come.
      const budget = new ResponseBudget(150_000, 'PUBLIC');
      const result = await execute({ schema, document: QUERY, contextValue: { responseBudget: budget } });
      expect(budget.exceeded).toBe(true);
      // the budget is gone a few hundred counties into their resolved fields; the rest are not loaded
      expect(resolvedFigures()).toBeGreaterThan(0);
      expect(resolvedFigures()).toBeLessThan(700);
      expect(budget.used).toBeLessThan(150_000 + 300);
      // placeholders after the limit, never sent: the plugin answers with the refusal instead
      expect(result.errors).toBeUndefined();
      const refusal = responseBudgetRefusal(budget)!;
      expect(refusal.extensions).toMatchObject({ code: 'RESPONSE_TOO_LARGE', limit: 'response', maxBytes: 150_000 });
      expect(refusal.message).toMatch(/^the answer exceeds the limit of 150000 bytes for role PUBLIC; ask for fewer items .*GET \/export\/daily\.csv/);
      // an item whose figures were in flight when a later item went over the budget must not reject
      // later, unhandled (that ends the process)
      await new Promise((r) => setTimeout(r, 20));
      expect(rejections).toEqual([]);
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });

  it('refuses a list whose objects\' own leaves already pass the budget whole, before anything under it is loaded', async () => {
    const { schema, resolvedFigures } = sample();
    const budget = new ResponseBudget(10_000, 'PUBLIC');
    const result = await execute({ schema, document: QUERY, contextValue: { responseBudget: budget } });
    expect([budget.exceeded, resolvedFigures(), result.errors]).toEqual([true, 0, undefined]);
  });

  it('counts leaves as graphql-js collects them: aliases, fragments on the type, @skip and @include', async () => {
    const { schema } = sample();
    const document = parse(`query($s: Boolean!) { counties { ...F ... on County { name } c2: code code @skip(if: $s) population @include(if: $s) } } fragment F on County { code ...F2 ...F2 } fragment F2 on County { active }`);
    for (const s of [true, false]) {
      const budget = new ResponseBudget(100 * 1024 * 1024, 'GOV');
      const result = await execute({ schema, document, variableValues: { s }, contextValue: { responseBudget: budget } });
      expect(result.errors).toBeUndefined();
      // to the byte but the top-level object's braces (a leaf missed or counted twice is ≥ 1,000 bytes off)
      const actual = Buffer.byteLength(JSON.stringify(result.data));
      expect({ s, off: Math.abs(budget.used - actual) <= 2 }).toEqual({ s, off: true });
    }
  });

  it('does not count without a budget (subscriptions, internal callers)', async () => {
    const { schema, resolvedFigures } = sample();
    const result = await execute({ schema, document: QUERY, contextValue: {} });
    expect(result.errors).toBeUndefined();
    expect(resolvedFigures()).toBe(1000);
  });

  it('weighs strings by their UTF-8 bytes and numbers by their digits', () => {
    for (const value of ['', 'abc', '武昌区', 0, 7, -42, 123456789, true, false, null, ['a', '武']]) {
      expect({ value, bytes: leafBytes(value) }).toEqual({ value, bytes: Buffer.byteLength(JSON.stringify(value)) });
    }
  });
});
