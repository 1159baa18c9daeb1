import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GraphQLSchema } from 'graphql';
import { resolvers } from '../resolvers';
import { applyAuth } from './auth/directive';
import { checkListSizes } from './limits/listSize';
import { applyResponseBudget } from './limits/responseSize';
import { applyExecutionSlices } from './limits/slices';
import { loadTypeDefs } from './schemaSource';

export { SCHEMA_DIR, loadTypeDefs } from './schemaSource';

/**
 * The executable schema: every list field sized (@listSize, checked here so that an unpriced list
 * cannot start), answers counted against the response budget and built in slices (src/limits/slices.ts),
 * and @auth rules (schema/auth.graphql) enforced last, over the attached resolvers.
 */
export function buildSchema(): GraphQLSchema {
  const schema = makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers });
  checkListSizes(schema);
  return applyAuth(applyExecutionSlices(applyResponseBudget(schema)));
}
