import { GraphQLScalarType } from 'graphql';
import { DateTimeResolver, LocalDateResolver } from 'graphql-scalars';
import type { Resolvers } from './types.generated';
import { todayCst } from '../src/clock';
import { isIsoDate } from '../src/risk/dates';
import { PROJECT_VERSION } from '../src/paths';

const localDate = LocalDateResolver.toConfig();

/**
 * `Date` is graphql-scalars' LocalDate (a plain `YYYY-MM-DD` string, validated as a real day) under
 * the contract's name. Answers check their dates through `isIsoDate`, which remembers the few
 * hundred days in use: a national map serialises 2,978 of them, and LocalDate's own check (a
 * regular expression, a Date, an ISO round trip) was ≈ 3 % of its CPU. Anything else (not a
 * string, not a real day) goes to LocalDate, which refuses it with its own message.
 */
const DateScalar = new GraphQLScalarType({
  ...localDate,
  name: 'Date',
  serialize: (value) => (isIsoDate(value) ? value : localDate.serialize(value)),
});

export const baseResolvers: Resolvers = {
  Date: DateScalar,
  DateTime: DateTimeResolver,
  Query: {
    apiInfo: () => ({}),
  },
  ApiInfo: {
    version: () => PROJECT_VERSION,
    today: () => todayCst(),
    latestReportDate: (_, __, { sources }) => sources.cases.latestReportDate(),
  },
};
