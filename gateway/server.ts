import http from 'node:http';
import { readFileSync } from 'node:fs';
import { GraphQLError, type ExecutionResult } from 'graphql';
import { createGatewayRuntime, usePrometheus } from '@graphql-hive/gateway';
import { SUBGRAPH_NAMES, SUBGRAPH_SECRET_HEADER, SUPERGRAPH_PATH, type SubgraphName } from '../src/federation/names';

export interface GatewayOptions {
  /** Where each subgraph listens, e.g. http://127.0.0.1:4102/graphql. */
  urls: Record<SubgraphName, string>;
  /** Sent to every subgraph in SUBGRAPH_SECRET_HEADER. */
  secret: string;
  isProduction: boolean;
  /** Hive's log level, or false for none. */
  logging?: false | 'debug' | 'info' | 'warn' | 'error';
  /** The supergraph SDL (default: the committed supergraph.graphql). */
  supergraph?: string;
}

/** The supergraph with each `@join__graph(name:, url:)` pointing at the given URL. */
export function withSubgraphUrls(supergraph: string, urls: Record<SubgraphName, string>): string {
  let sdl = supergraph;
  for (const name of SUBGRAPH_NAMES) {
    const pattern = new RegExp(`(@join__graph\\(name: "${name}", url: ")[^"]*(")`);
    if (!pattern.test(sdl)) throw new Error(`supergraph has no subgraph ${name}: run npm run compose`);
    sdl = sdl.replace(pattern, `$1${urls[name]}$2`);
  }
  return sdl;
}

/**
 * A bad API key fails the whole request with HTTP 401, as on `npm start`: every subgraph refuses
 * it (UNAUTHENTICATED), and the gateway answers that error alone instead of a partial result.
 */
const refuseBadKeys = {
  onExecutionResult({ result, setResult }: { result: unknown; setResult: (r: ExecutionResult) => void }) {
    const errors = (result as ExecutionResult | null)?.errors;
    const bad = errors?.find((e) => e.extensions?.code === 'UNAUTHENTICATED');
    if (!bad) return;
    setResult({
      errors: [new GraphQLError(bad.message, { extensions: { code: 'UNAUTHENTICATED' } })],
      extensions: { http: { status: 401, headers: { 'www-authenticate': 'Bearer realm="changxing"' } } },
    });
  },
};

/**
 * The Hive gateway over the four subgraphs, with the endpoints of `npm start`: /graphql, /healthz,
 * /readyz and /metrics. It forwards the caller's Authorization (every subgraph authenticates the
 * key and enforces @auth itself) and x-request-id (Hive's request-id plugin), and adds the secret.
 */
export function createGatewayServer(options: GatewayOptions): http.Server {
  const supergraph = withSubgraphUrls(options.supergraph ?? readFileSync(SUPERGRAPH_PATH, 'utf8'), options.urls);
  const gateway = createGatewayRuntime({
    supergraph,
    graphqlEndpoint: '/graphql',
    healthCheckEndpoint: '/healthz',
    readinessCheckEndpoint: '/readyz',
    landingPage: false,
    graphiql: false,
    logging: options.logging ?? 'info',
    // subgraph errors are already public (formatError in each subgraph): pass them on as they are.
    maskedErrors: false,
    disableIntrospection: options.isProduction ? { disableIf: () => true } : undefined,
    // Hive deduplicates identical in-flight subgraph requests by default: 200 partners checking the
    // same pass at once became 8 subgraph requests and 8 audit rows. Every read of personal data is
    // audited, so each client request must reach the subgraph (test: federation.test.ts, audit).
    transportEntries: { '*.http': { options: { deduplicateInflightRequests: false } } },
    propagateHeaders: {
      fromClientToSubgraphs: ({ request }) => ({
        authorization: request.headers.get('authorization'),
        [SUBGRAPH_SECRET_HEADER]: options.secret,
      }),
    },
    plugins: (ctx) => [usePrometheus({ ...ctx, endpoint: '/metrics', metrics: {} }), refuseBadKeys],
  });
  const server = http.createServer(gateway);
  server.on('close', () => void gateway.dispose());
  return server;
}
