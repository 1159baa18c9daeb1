import type { Context } from '../src/context';
import { badInput } from '../src/errors';
import { idHashOf, sameName } from '../src/privacy/idArgument';
import { maxItems } from '../src/limits/listSize';

/** One message for "unknown ID", "wrong name" and "not this person's pass": the answer must not reveal which. */
const NOT_MATCHED = {
  field: null,
  message: '姓名与身份证号码不匹配，或暂无记录。No record matches this name and ID number.',
  code: 'NOT_MATCHED',
} as const;

export const passResolvers = {
  Query: {
    holderPass: async (_: unknown, { token, name, idNumber }: { token: string; name: string; idNumber: string }, ctx: Context) => {
      const person = await selfServicePerson(name, idNumber, ctx);
      const view = person && (await ctx.sources.passes.holderView(person, token));
      if (!view) {
        if (!person) await ctx.audit.record({ operation: 'holderPass', subjectPersonId: null, outcome: 'NOT_MATCHED' });
        return { pass: null, status: null, userErrors: [NOT_MATCHED] };
      }
      return { ...view, userErrors: [] };
    },
    checkPass: async (_: unknown, { token }: { token: string }, { sources }: Context) => (await sources.passes.check([token]))[0],
    checkPasses: (_: unknown, { tokens }: { tokens: string[] }, { sources }: Context) => {
      const max = maxItems('Query.checkPasses');
      if (tokens.length > max) {
        throw badInput(`"tokens" holds ${tokens.length} tokens; at most ${max} per call`, 'tokens');
      }
      return sources.passes.check(tokens);
    },
  },
  Mutation: {
    issuePass: async (_: unknown, { name, idNumber }: { name: string; idNumber: string }, ctx: Context) => {
      const person = await selfServicePerson(name, idNumber, ctx);
      if (!person) {
        await ctx.audit.record({ operation: 'issuePass', subjectPersonId: null, outcome: 'NOT_MATCHED' });
        return { pass: null, userErrors: [NOT_MATCHED] };
      }
      return { pass: await ctx.sources.passes.issue(person), userErrors: [] };
    },
  },
};

/** The person a self-service lookup names (rate-limited per client and ID number), or null when name and ID do not match. */
async function selfServicePerson(name: string, idNumber: string, ctx: Context) {
  const hash = idHashOf(idNumber, ctx.idHashSecret);
  await ctx.limiter.admit(ctx.viewer.clientId, hash.toString('hex'));
  const person = await ctx.sources.persons.byIdHash.load(hash);
  return person && sameName(name, person.name) ? person : null;
}
