import { mergeResolvers } from '@graphql-tools/merge';
import { baseResolvers } from './base';
import { regionResolvers } from './region';
import { caseResolvers } from './case';
import { mobilityResolvers } from './mobility';
import { riskResolvers } from './risk';
import { auditResolvers } from './audit';
import { personResolvers } from './person';
import { passResolvers } from './pass';
import { ingestResolvers } from './ingest';
import { subscriptionResolvers } from './subscription';
import { uploadResolvers } from './upload';

export const resolvers = mergeResolvers([baseResolvers, regionResolvers, caseResolvers, mobilityResolvers, riskResolvers, auditResolvers, personResolvers, passResolvers, ingestResolvers, uploadResolvers, subscriptionResolvers]);
