import type { Context } from '../src/context';
import type { PersonRecord } from '../datasources/person';
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
      const { holder, matched } = await selfServiceLookup(name, idNumber, ctx);
      const view = matched && (await ctx.sources.passes.holderView(holder, token));
      if (!view) {
        // a wrong name against an existing ID number shows in its holder's trail (holderView audits the rest)
        if (!matched) await ctx.audit.record({ operation: 'holderPass', subjectPersonId: holder?.id ?? null, outcome: 'NOT_MATCHED' });
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
      const { holder, matched } = await selfServiceLookup(name, idNumber, ctx);
      if (!matched) {
        // An existing ID number with a wrong name is recorded against its holder: name-guessing shows in their trail.
        await ctx.audit.record({ operation: 'issuePass', subjectPersonId: holder?.id ?? null, outcome: 'NOT_MATCHED' });
        return { pass: null, userErrors: [NOT_MATCHED] };
      }
      return { pass: await ctx.sources.passes.issue(holder), userErrors: [] };
    },
  },
};

type SelfServiceLookup = { holder: PersonRecord; matched: true } | { holder: PersonRecord | null; matched: false };

/**
 * The holder of the ID number a self-service lookup names (rate-limited per client and ID number),
 * and whether the name is theirs. Only a match may be shown; a holder without a match is for the audit.
 */
async function selfServiceLookup(name: string, idNumber: string, ctx: Context): Promise<SelfServiceLookup> {
  const hash = idHashOf(idNumber, ctx.idHashSecret);
  await ctx.limiter.admit(ctx.viewer.clientId, hash.toString('hex'));
  const holder = await ctx.sources.persons.byIdHash.load(hash);
  return holder && sameName(name, holder.name) ? { holder, matched: true } : { holder, matched: false };
}
