import { GraphQLScalarType } from 'graphql';
import { DateTimeResolver, LocalDateResolver } from 'graphql-scalars';
import type { Resolvers } from './types.generated';
import { todayCst } from '../src/clock';
import { PROJECT_VERSION } from '../src/paths';

/** `Date` is graphql-scalars' LocalDate (a plain `YYYY-MM-DD` string, validated as a real day) under the contract's name. */
const DateScalar = new GraphQLScalarType({ ...LocalDateResolver.toConfig(), name: 'Date' });

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
