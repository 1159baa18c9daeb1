import type { Context } from '../src/context';
import type { AuditFilter } from '../src/auth/audit';

export const auditResolvers = {
  Query: {
    auditTrail: (
      _: unknown,
      args: { filter?: AuditFilter | null; first?: number | null; after?: string | null },
      { audit }: Context,
    ) => audit.trail(args.filter, args.first, args.after),
  },
};
