import { mergeResolvers } from '@graphql-tools/merge';
import { baseResolvers } from './base';
import { regionResolvers } from './region';
import { caseResolvers } from './case';
import { mobilityResolvers } from './mobility';
import { riskResolvers } from './risk';

export const resolvers = mergeResolvers([baseResolvers, regionResolvers, caseResolvers, mobilityResolvers, riskResolvers]);
