import type { Context } from '../src/context';
import { badInput } from '../src/errors';
import { maxItems } from '../src/limits/listSize';

export const passResolvers = {
  Query: {
    holderPass: (_: unknown, { token, name, idNumber }: { token: string; name: string; idNumber: string }, { services }: Context) =>
      services.self.holderPass(token, name, idNumber),
    checkPass: async (_: unknown, { token }: { token: string }, { services }: Context) => (await services.passes.check([token]))[0],
    checkPasses: (_: unknown, { tokens }: { tokens: string[] }, { services }: Context) => {
      const max = maxItems('Query.checkPasses');
      if (tokens.length > max) {
        throw badInput(`"tokens" holds ${tokens.length} tokens; at most ${max} per call`, 'tokens');
      }
      return services.passes.check(tokens);
    },
  },
  Mutation: {
    issuePass: (_: unknown, { name, idNumber }: { name: string; idNumber: string }, { services }: Context) => services.self.issuePass(name, idNumber),
  },
};
