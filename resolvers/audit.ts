import type { Context } from '../src/context';
import type { AuditFilter } from '../services/audit';

export const auditResolvers = {
  Query: {
    auditTrail: (
      _: unknown,
      args: { filter?: AuditFilter | null; first?: number | null; after?: string | null },
      { services }: Context,
    ) => services.audit.trail(args.filter, args.first, args.after),
  },
};
