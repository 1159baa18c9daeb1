import { readFileSync } from 'node:fs';
import { buildSchema as buildSdlSchema, Kind, parse, type FragmentDefinitionNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { composeServices } from '@theguild/federation-composition';
import { buildSchema } from '../../src/schema';
import { loadTypeDefs } from '../../src/schemaSource';
import { buildSubgraph, subgraphDocuments } from '../../src/federation/subgraphs';
import { SUBGRAPH_NAMES } from '../../src/federation/names';
import { checkListSizes, declaredListSizes, listSizeProblems, listSizesOf, maxItems } from '../../src/limits/listSize';
import { operationCost } from '../../src/limits/cost';
import { FORECAST_PARAMETERS } from '../../src/risk/forecast';
import { MAX_FORECAST_SOURCES } from '../../src/risk';

const schema = buildSchema();

function cost(source: string, variables?: Record<string, unknown>, on: GraphQLSchema = schema): number {
  const document = parse(source);
  const fragments: Record<string, FragmentDefinitionNode> = {};
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments[def.name.value] = def;
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  return operationCost({ schema: on, operation, fragments, variables });
}

/** The schema/ SDL plus `extra`, built without resolvers (sizing reads only types and directives). */
function withExtra(extra: string): { schema: GraphQLSchema; sizes: ReturnType<typeof listSizesOf> } {
  const documents = [...loadTypeDefs(), extra].map((sdl) => parse(sdl));
  return { schema: buildSdlSchema([...loadTypeDefs(), extra].join('\n')), sizes: listSizesOf(documents) };
}

describe('every list field is sized (@listSize, schema/cost.graphql)', () => {
  it('on npm start, on each subgraph, and on the supergraph the gateway serves', () => {
    expect(listSizeProblems(schema)).toEqual([]);
    for (const name of SUBGRAPH_NAMES) expect({ name, problems: listSizeProblems(buildSubgraph(name)) }).toEqual({ name, problems: [] });
    const docs = subgraphDocuments();
    const composed = composeServices(SUBGRAPH_NAMES.map((name) => ({ name, typeDefs: docs[name], url: `http://127.0.0.1/${name}` })));
    if (!('publicSdl' in composed) || !composed.publicSdl) throw new Error('composition failed');
    expect(listSizeProblems(buildSdlSchema(composed.publicSdl))).toEqual([]);
  });

  it('names a list field added without a rule, and a connection whose nodes nobody sizes', () => {
    const { schema: extended, sizes } = withExtra(`
      extend type Region { neighbours: [Region!]! twins(first: Int = 10): RegionConnection! }
    `);
    const problems = listSizeProblems(extended, sizes);
    expect(problems).toEqual([
      expect.stringMatching(/^Region\.neighbours returns a list without a sizing rule: declare @listSize on it/),
      expect.stringMatching(/^Region\.twins returns a connection without a sizing rule/),
      expect.stringMatching(/^RegionConnection\.nodes returns a list without a sizing rule: .* \(Query\.regions, Region\.children, Region\.twins\)$/),
      expect.stringMatching(/^RegionConnection\.edges returns a list without a sizing rule/),
    ]);
    expect(() => checkListSizes(extended, sizes)).toThrow(/Region\.neighbours returns a list without a sizing rule/);
  });

  it('refuses rules that cannot be applied as written', () => {
    const { schema: extended, sizes } = withExtra(`
      extend type Region {
        a(first: Int): [Region!]! @listSize(slicingArguments: ["first"])
        b(last: Int): [Region!]! @listSize(slicingArguments: ["first"], maxSize: 5)
        c(from: String, to: String): [Region!]! @listSize(slicingDateRange: ["from", "to"], maxSize: 5)
        d: [Region!]! @listSize(maxSize: 5)
        e: Region @listSize(assumedSize: 2)
      }
    `);
    expect(listSizeProblems(extended, sizes)).toEqual([
      '@listSize on Region.a: give maxSize, the schema\'s maximum, with slicing arguments',
      '@listSize on Region.b: slicing argument "first" is not an argument of the field',
      '@listSize on Region.c: date range argument "from" must be a Date argument of the field',
      '@listSize on Region.c: date range argument "to" must be a Date argument of the field',
      '@listSize on Region.d: give assumedSize, or slicing arguments and maxSize',
      '@listSize on Region.e: the field returns neither a list nor a connection; only such fields are sized',
    ]);
  });

  it('gives the resolvers their maxima from the same rules, and those match the descriptions', () => {
    expect(maxItems('Query.regions')).toBe(5000);
    expect(maxItems('Region.children')).toBe(500);
    expect(maxItems('Region.daily')).toBe(366);
    expect(maxItems('Query.checkPasses')).toBe(1000);
    expect(() => maxItems('Region.ancestors')).toThrow(/Region\.ancestors declares no @listSize\(maxSize:\)/);
    // "Page size, 1–500." / "How many origins, 1–100." / "Tokens, at most 1,000." next to the argument
    for (const rule of declaredListSizes().values()) {
      const [typeName, fieldName] = rule.coordinate.split('.');
      const field = (schema.getType(typeName) as { getFields?: () => Record<string, { args: { name: string; description?: string | null }[] }> }).getFields?.()[fieldName];
      for (const name of rule.slicingArguments) {
        const said = field?.args.find((a) => a.name === name)?.description?.match(/(?:1–|at most )([\d,]+)/)?.[1];
        if (said) expect({ at: rule.coordinate, max: Number(said.replace(/,/g, '')) }).toEqual({ at: rule.coordinate, max: rule.maxSize });
      }
    }
    // the model computes at most MAX_FORECAST_SOURCES origins per county
    expect(maxItems('ImportRiskForecast.topSources')).toBeLessThanOrEqual(MAX_FORECAST_SOURCES);
  });

  it('assumes list lengths the data cannot exceed', () => {
    const sizes = declaredListSizes();
    // the model's parameters, and "prevalence" (resolvers/risk.ts)
    expect(Object.keys(FORECAST_PARAMETERS).length + 1).toBe(sizes.get('ImportRiskForecast.parameters')!.assumedSize);
    expect(sizes.get('RiskForecastConnection.parameters')!.assumedSize).toBe(sizes.get('ImportRiskForecast.parameters')!.assumedSize);
    // a county's province and city
    expect(sizes.get('Region.ancestors')!.assumedSize).toBe(2);
  });
});

describe('the cost of an operation counts what it can return', () => {
  const nested = 'regions(level: PROVINCE, first: $n) { nodes { children(first: $n) { nodes { children(first: $n) { nodes { code } } } } } }';
  // 1 + 500 × (1 + 1 + 500 × (1 + 1 + 500 × 1))
  const NESTED_500 = 1 + 500 * (2 + 500 * 502);

  it('reads a variable default as a sent value: `$n: Int = 500` with no variables costs as 500 sent', () => {
    expect(cost(`query($n: Int = 500) { ${nested} }`)).toBe(NESTED_500);
    expect(cost(`query($n: Int) { ${nested} }`, { n: 500 })).toBe(NESTED_500);
    expect(cost(`{ ${nested.replace(/\$n/g, '500')} }`)).toBe(NESTED_500);
    // a sent value wins over the default; without either, the argument's own default (100) counts
    expect(cost(`query($n: Int = 500) { ${nested} }`, { n: 2 })).toBe(1 + 2 * (2 + 2 * 4));
    expect(cost(`query($n: Int) { ${nested} }`)).toBe(1 + 100 * (2 + 100 * 102));
  });

  it('prices a daily series by the days between from and to, literals, variables or defaults', () => {
    const daily = (range: string) => `{ regions(level: COUNTY, first: 5000) { nodes { daily(${range}) { date newConfirmed } } } }`;
    expect(cost(daily('from: "2020-01-01", to: "2020-06-28"'))).toBe(1 + 5000 * (1 + 180));
    expect(cost(daily('from: "2020-01-01", to: "2020-01-30"'))).toBe(1 + 5000 * (1 + 30));
    const withVariables = 'query($f: Date!, $t: Date!) { regions(level: COUNTY, first: 5000) { nodes { daily(from: $f, to: $t) { date } } } }';
    expect(cost(withVariables, { f: '2020-01-01', t: '2020-06-28' })).toBe(905_001);
    const withDefaults = 'query($f: Date = "2020-01-01", $t: Date = "2020-06-28") { regions(level: COUNTY, first: 5000) { nodes { daily(from: $f, to: $t) { date } } } }';
    expect(cost(withDefaults)).toBe(905_001);
    // over the schema's 366 days (refused by the resolver): counted as 366; reversed: 1
    expect(cost(daily('from: "2019-12-01", to: "2026-01-01"'))).toBe(1 + 5000 * 367);
    expect(cost(daily('from: "2020-02-01", to: "2020-01-01"'))).toBe(1 + 5000 * 2);
  });

  it('multiplies nested lists, and counts a connection once with its nodes and edges each `first` times', () => {
    const q = '{ regions(first: 10) { totalCount pageInfo { hasNextPage } nodes { children(first: 20) { nodes { daily(from: "2020-01-01", to: "2020-01-07") { date } } } } edges { node { code } } } }';
    // regions 1 + pageInfo 1 + nodes 10 × (1 + children 1 + 20 × (1 + 7)) + edges 10 × (1 + node 1)
    expect(cost(q)).toBe(1 + 1 + 10 * (2 + 20 * 8) + 10 * 2);
  });

  it('sizes through fragments on the connection and on the nodes, once per fragment and size', () => {
    const q = `{ a: regions(first: 10) { ...Page } b: regions(first: 20) { ...Page } }
      fragment Page on RegionConnection { nodes { ...Codes } }
      fragment Codes on Region { code ancestors { code } }`;
    // each: 1 + n × (1 + ancestors 2 × 1)
    expect(cost(q)).toBe(1 + 10 * 3 + (1 + 20 * 3));
  });

  it('takes the length of a list argument, and of a list variable', () => {
    const q = 'query($t: [String!]!) { checkPasses(tokens: $t) { status } }';
    expect(cost(q, { t: ['a', 'b', 'c'] })).toBe(3);
    expect(cost('{ checkPasses(tokens: ["a", "b"]) { status } }')).toBe(2);
    // more than the schema's 1,000 is refused by the resolver; counted as 1,000
    expect(cost(q, { t: Array.from({ length: 5000 }, () => 'x') })).toBe(1000);
  });

  it('counts an argument whose variables do not coerce at the schema maximum (execution will refuse them anyway)', () => {
    expect(cost('query($n: Int) { regions(first: $n) { nodes { code } } }', { n: 'many' })).toBe(1 + 5000);
    expect(cost('query($f: Date!, $t: Date!) { region(code: "420106") { daily(from: $f, to: $t) { date } } }', { f: 'soon', t: '2020-01-01' })).toBe(1 + 366);
  });

  it('prices list fields of the assumed size without arguments, and leaves lists of scalars at 0', () => {
    expect(cost('{ region(code: "420106") { ancestors { code } risk { reasons } } }')).toBe(1 + 2 + 1);
  });
});
