import { parse } from 'graphql';
import { argumentBounds, argumentDefault, argumentRulesOf, declaredArguments, intArgument, pageArgument } from '../../src/limits/arguments';
import { maxItems } from '../../src/limits/listSize';

const rulesOf = (sdl: string) => argumentRulesOf([parse(sdl)]);

describe('argument bounds and defaults declared in schema/', () => {
  it('reads the default from the SDL default value and the bounds from @range', () => {
    expect(argumentDefault('Region.caseSummary', 'days')).toBe(14);
    expect(argumentBounds('Region.caseSummary', 'days')).toEqual({ min: 1, max: 366 });
    expect(argumentDefault('Region.risk', 'ruleset')).toBe('CN_2020_COUNTY');
  });

  it("bounds a slicing argument without max: by its field's @listSize(maxSize:)", () => {
    expect(argumentBounds('Query.regions', 'first')).toEqual({ min: 1, max: maxItems('Query.regions') });
    expect(argumentBounds('Region.inflows', 'first')).toEqual({ min: 1, max: maxItems('Region.inflows') });
  });

  it('gives every integer argument with a default a declared range (import-risk windows: the model\'s)', () => {
    const unbounded = [...declaredArguments().values()]
      .filter((rule) => typeof rule.defaultValue === 'number')
      .map((rule) => rule.coordinate)
      .filter((coordinate) => {
        const [field, argument] = coordinate.replace(':)', '').split('(');
        try {
          argumentBounds(field, argument);
          return false;
        } catch {
          return true;
        }
      });
    expect(unbounded).toEqual(['Region.importRisk(days:)', 'Query.riskForecast(days:)']);
  });

  it('uses the default for null, and refuses values outside the bounds with BAD_USER_INPUT', () => {
    expect(intArgument('Person.itinerary', 'days', null)).toBe(14);
    expect(intArgument('Person.itinerary', 'days', 30)).toBe(30);
    expect(pageArgument('Region.clusters', undefined)).toBe(20);
    for (const bad of [0, 31, 2.5, -1]) {
      expect(() => intArgument('Person.itinerary', 'days', bad)).toThrow(expect.objectContaining({ extensions: expect.objectContaining({ code: 'BAD_USER_INPUT' }) }));
    }
    expect(() => pageArgument('Region.clusters', 501)).toThrow('"first" must be between 1 and 500, got 501');
    expect(() => intArgument('Region.importRisk', 'days', 30, { min: 7, max: 14 })).toThrow('"days" must be an integer from 7 to 14, got 30');
  });

  it('fails fast, naming the argument, on a declaration it cannot use', () => {
    expect(() => rulesOf('type Q { f(n: Int @range(min: 1) @range(min: 2)): Int }')).toThrow('@range is given more than once on Q.f(n:)');
    expect(() => rulesOf('type Q { f(n: Int @range(min: 1.5)): Int }')).toThrow('@range(min:) on Q.f(n:) must be a whole number, got 1.5');
    expect(() => argumentBounds('Query.nothing', 'first')).toThrow('Query.nothing(first:) declares no @range');
    expect(() => argumentDefault('Query.nothing', 'first')).toThrow('Query.nothing(first:) declares no default value');
  });
});
