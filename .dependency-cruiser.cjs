/**
 * The layers of docs/architecture.md as rules: tests/unit/layers.test.ts runs them over the code
 * in every `npm test`, and a forbidden import fails it. Paths are relative to the repository root.
 * "Types only" rules let a layer name another's types (`import type`) without calling into it.
 *
 * @type {import('dependency-cruiser').IConfiguration}
 */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'A cycle makes two modules one: neither can be read, tested or moved without the other (a cycle closed only by `import type` is erased at run time, and allowed).',
      from: {},
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
    {
      name: 'resolvers-no-sql',
      severity: 'error',
      comment: 'Resolvers are one call to a service or a store; SQL, pools and connections are the stores\' business (types only).',
      from: { path: '^resolvers/' },
      to: { path: ['^src/db/', '^node_modules/(pg|pg-copy-streams|ioredis)/'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'resolvers-stores-by-type',
      severity: 'error',
      comment: 'Resolvers reach stores through the request context (ctx.sources), never by building one: types only.',
      from: { path: '^resolvers/' },
      to: { path: '^datasources/', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'services-not-to-resolvers',
      severity: 'error',
      comment: 'Use-cases know nothing of GraphQL resolvers; resolvers call services, not the other way.',
      from: { path: '^services/' },
      to: { path: '^resolvers/' },
    },
    {
      name: 'services-no-sql',
      severity: 'error',
      comment: 'Services orchestrate stores; they send no SQL and hold no connection (the shared pass-check batches excepted, src/db/sharedBatch.ts).',
      from: { path: '^services/' },
      to: { path: ['^node_modules/(pg|pg-copy-streams)/', '^src/db/(?!sharedBatch\\.ts$)'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'datasources-not-up',
      severity: 'error',
      comment: 'Stores are the bottom of the request path: they call no service, resolver, schema or app code.',
      from: { path: '^datasources/' },
      to: { path: ['^services/', '^resolvers/', '^src/(app|server|context|schema|subscriptions|federation|http)(/|\\.ts$)'] },
    },
    {
      name: 'audit-written-in-one-place',
      severity: 'error',
      comment: 'Audit rows are written by services/audit.ts only; datasources/index.ts builds the store, others may name its types.',
      from: { pathNot: '^(services/audit\\.ts|datasources/index\\.ts)$' },
      to: { path: '^datasources/audit\\.ts$', dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'db-not-up',
      severity: 'error',
      comment: 'src/db is plumbing under the stores: it imports no store, service or resolver.',
      from: { path: '^src/db/' },
      to: { path: ['^datasources/', '^services/', '^resolvers/'] },
    },
    {
      name: 'risk-model-pure',
      severity: 'error',
      comment: 'src/risk is the pure model: plain inputs in, verdicts out. No module outside it, no I/O.',
      from: { path: '^src/risk/' },
      to: { pathNot: '^src/risk/' },
    },
    {
      name: 'web-not-to-server',
      severity: 'error',
      comment: 'The pages talk to the API over HTTP only; server code must not end up in a browser bundle.',
      from: { path: '^web/' },
      to: { path: '^(src|resolvers|services|datasources|gateway|bench|scripts)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['(^|/)dist/', '^web/src/gql/', '\\.d\\.ts$'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'] },
  },
};
