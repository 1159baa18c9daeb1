import { composeServices, compositionHasErrors } from '@theguild/federation-composition';
import { subgraphDocuments } from './subgraphs';
import { SUBGRAPH_NAMES, SUBGRAPH_PORTS } from './names';

export { SUPERGRAPH_PATH } from './names';

/**
 * Composes the four subgraphs at their default local URLs (the gateway rewrites them from the
 * ports it is given: src/federation/gateway.ts).
 */
export function composeSupergraph(): string {
  const docs = subgraphDocuments();
  const result = composeServices(
    SUBGRAPH_NAMES.map((name) => ({ name, typeDefs: docs[name], url: `http://127.0.0.1:${SUBGRAPH_PORTS[name]}/graphql` })),
  );
  if (compositionHasErrors(result)) {
    throw new Error(`composition failed:\n${result.errors.map((e) => `- ${e.message}`).join('\n')}`);
  }
  return `${result.supergraphSdl.trim()}\n`;
}
