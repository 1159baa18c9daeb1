import type { Context } from '../src/context';
import { badInput } from '../src/errors';
import { idHashOf, sameName } from '../src/privacy/idArgument';

export const MAX_TOKENS_PER_CHECK = 1000;

export const passResolvers = {
  Query: {
    checkPass: async (_: unknown, { token }: { token: string }, { sources }: Context) => (await sources.passes.check([token]))[0],
    checkPasses: (_: unknown, { tokens }: { tokens: string[] }, { sources }: Context) => {
      if (tokens.length > MAX_TOKENS_PER_CHECK) {
        throw badInput(`"tokens" holds ${tokens.length} tokens; at most ${MAX_TOKENS_PER_CHECK} per call`, 'tokens');
      }
      return sources.passes.check(tokens);
    },
  },
  Mutation: {
    issuePass: async (_: unknown, { name, idNumber }: { name: string; idNumber: string }, ctx: Context) => {
      const hash = idHashOf(idNumber, ctx.idHashSecret);
      await ctx.limiter.admit(ctx.viewer.clientId, hash.toString('hex'));
      const person = await ctx.sources.persons.byIdHash.load(hash);
      if (!person || !sameName(name, person.name)) {
        // An existing ID number with a wrong name is recorded against its holder: name-guessing shows in their trail.
        await ctx.audit.record({ operation: 'issuePass', subjectPersonId: person?.id ?? null, outcome: 'NOT_MATCHED' });
        // One message for "unknown ID" and "wrong name": the answer must not reveal which.
        return {
          pass: null,
          userErrors: [{ field: null, message: '姓名与身份证号码不匹配，或暂无记录。No record matches this name and ID number.', code: 'NOT_MATCHED' }],
        };
      }
      return { pass: await ctx.sources.passes.issue(person), userErrors: [] };
    },
  },
};
