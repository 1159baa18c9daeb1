import type { Resolvers } from './types.generated';
import { badInput } from '../src/errors';
import { maxItems } from '../src/limits/listSize';

export const passResolvers: Resolvers = {
  Query: {
    holderPass: (_, { token, name, idNumber }, { services }) => services.self.holderPass(token, name, idNumber),
    checkPass: async (_, { token }, { services }) => (await services.passes.check([token]))[0],
    checkPasses: (_, { tokens }, { services }) => {
      const max = maxItems('Query.checkPasses');
      if (tokens.length > max) {
        throw badInput(`"tokens" holds ${tokens.length} tokens; at most ${max} per call`, 'tokens');
      }
      return services.passes.check(tokens);
    },
  },
  Mutation: {
    issuePass: (_, { name, idNumber }, { services }) => services.self.issuePass(name, idNumber),
  },
};
