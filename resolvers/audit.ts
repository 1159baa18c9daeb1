import type { Resolvers } from './types.generated';

export const auditResolvers: Resolvers = {
  Query: {
    auditTrail: (_, args, { services }) => services.audit.trail(args.filter, args.first, args.after),
  },
};
