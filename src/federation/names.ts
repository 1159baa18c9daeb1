import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { SourceName } from '../db/pools';
import { projectPath } from '../paths';

/**
 * Names, ports and the shared secret of the federated deployment (docs/federation.md). No
 * imports from the server: the gateway (gateway/) reads this module without loading the schema.
 */
export const SUBGRAPH_NAMES = ['region', 'case', 'mobility', 'person'] as const;
export type SubgraphName = (typeof SUBGRAPH_NAMES)[number];

/**
 * The datasources each subgraph's resolvers read: a subgraph process opens, migrates and checks
 * (/readyz) only these, so each can run with its own databases (docs/federation.md). Worked out
 * from resolvers/ and datasources/, and enforced: the others are UnopenedPools that refuse every
 * statement (tests/integration/subgraphDatabases.test.ts runs every field of every subgraph so).
 * - access everywhere: API keys authenticate every request, and reads of personal data are audited.
 * - region: Query.regions/region and the Region tree.
 * - case: case figures, clusters and risk aggregate a province's counties (region.countyCodesUnder),
 *   and `apiInfo.latestReportDate` is a case fact (so `Query.apiInfo` belongs to case).
 * - mobility: flows, and the import-risk model and forecast (flows × active cases of the origins).
 * - person: persons and case records (cases), itineraries (mobility), pass colours (county risk
 *   from cases + regions), passes and the audit trail (access).
 */
export const SUBGRAPH_SOURCES: Record<SubgraphName, readonly SourceName[]> = {
  region: ['region', 'access'],
  case: ['region', 'cases', 'access'],
  mobility: ['region', 'cases', 'mobility', 'access'],
  person: ['region', 'cases', 'mobility', 'access'],
};

/** The sources a process serving `names` opens: the union of their rows. */
export function sourcesOf(names: readonly SubgraphName[]): SourceName[] {
  const all: readonly SourceName[] = ['region', 'cases', 'mobility', 'access'];
  return all.filter((s) => names.some((n) => SUBGRAPH_SOURCES[n].includes(s)));
}

/** Default ports, each overridable with <NAME>_SUBGRAPH_PORT (e.g. CASE_SUBGRAPH_PORT). */
export const SUBGRAPH_PORTS: Record<SubgraphName, number> = { region: 4101, case: 4102, mobility: 4103, person: 4104 };

/** Header by which the gateway proves itself to a subgraph. */
export const SUBGRAPH_SECRET_HEADER = 'x-subgraph-secret';

/**
 * Header in which the gateway forwards its caller's address (self-service rate limits are per
 * address). A subgraph believes it only on requests that passed the secret gate.
 */
export const CLIENT_ADDRESS_HEADER = 'x-changxing-client-address';

/**
 * Headers in which the gateway tells a subgraph the client request's class and the milliseconds left
 * before its deadline (docs/limits.md, "Bulkheads and load shedding"): the subgraph runs the fetch in that class's pools, ends
 * it by then, and does not count the client again. Believed only past the secret gate.
 */
export const REQUEST_CLASS_HEADER = 'x-changxing-request-class';
export const DEADLINE_HEADER = 'x-changxing-deadline-ms';

/** The committed supergraph (`npm run compose`); a test fails when it differs from a fresh composition. */
export const SUPERGRAPH_PATH = projectPath('supergraph.graphql');

export class FederationConfigError extends Error {
  override name = 'ConfigError';
}

export function parseSubgraphName(value: string | undefined): SubgraphName {
  const name = SUBGRAPH_NAMES.find((n) => n === value);
  if (!name) throw new FederationConfigError(`name a subgraph: ${SUBGRAPH_NAMES.join(' | ')} (got ${value ?? 'nothing'})`);
  return name;
}

/** Port of a subgraph: <NAME>_SUBGRAPH_PORT, else 4101–4104. */
export function subgraphPort(name: SubgraphName, env: NodeJS.ProcessEnv = process.env): number {
  const variable = `${name.toUpperCase()}_SUBGRAPH_PORT`;
  const given = env[variable];
  if (given === undefined || given === '') return SUBGRAPH_PORTS[name];
  const port = Number(given);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new FederationConfigError(`${variable} must be a port number (got ${given})`);
  return port;
}

/**
 * Where the gateway finds each subgraph: `<NAME>_SUBGRAPH_URL` when set (subgraphs in containers or
 * on other hosts, e.g. http://person:4104/graphql), else http://127.0.0.1:<its port>/graphql.
 */
export function subgraphUrls(env: NodeJS.ProcessEnv = process.env): Record<SubgraphName, string> {
  return Object.fromEntries(SUBGRAPH_NAMES.map((n) => [n, subgraphUrl(n, env)])) as Record<SubgraphName, string>;
}

function subgraphUrl(name: SubgraphName, env: NodeJS.ProcessEnv): string {
  const variable = `${name.toUpperCase()}_SUBGRAPH_URL`;
  const given = env[variable];
  if (given === undefined || given === '') return `http://127.0.0.1:${subgraphPort(name, env)}/graphql`;
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    throw new FederationConfigError(`${variable} must be a URL such as http://${name}:${SUBGRAPH_PORTS[name]}/graphql (got ${given})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new FederationConfigError(`${variable} must be an http(s) URL (got ${given})`);
  return url.toString();
}

/**
 * The address subgraphs bind: 127.0.0.1 unless SUBGRAPH_HOST says otherwise (0.0.0.0 in a container,
 * on a private network only). Off loopback the secret is the only thing between a caller and a
 * subgraph, so a generated development secret is not enough: SUBGRAPH_SECRET must be set.
 */
export function subgraphHost(env: NodeJS.ProcessEnv = process.env): string {
  const host = env.SUBGRAPH_HOST === undefined || env.SUBGRAPH_HOST === '' ? '127.0.0.1' : env.SUBGRAPH_HOST;
  const loopback = host === '127.0.0.1' || host === '::1' || host === 'localhost';
  if (!loopback && !(env.SUBGRAPH_SECRET && env.SUBGRAPH_SECRET.length >= 32)) {
    throw new FederationConfigError(`SUBGRAPH_HOST=${host} is not loopback: set SUBGRAPH_SECRET (≥ 32 characters) for the gateway and every subgraph`);
  }
  return host;
}

/**
 * SUBGRAPH_SECRET (≥ 32 characters), required in production; in development one is generated
 * once as DATA_DIR/subgraph-secret, so that subgraphs and a gateway started separately share it.
 */
export function subgraphSecret(options: { isProduction: boolean; dataDir: string }, env: NodeJS.ProcessEnv = process.env): string {
  const given = env.SUBGRAPH_SECRET;
  if (given !== undefined && given !== '') {
    if (given.length < 32) throw new FederationConfigError('SUBGRAPH_SECRET must be at least 32 characters');
    return given;
  }
  if (options.isProduction) throw new FederationConfigError('SUBGRAPH_SECRET is required in production (federation: docs/federation.md)');
  const file = path.resolve(options.dataDir, 'subgraph-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(path.dirname(file), { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return secret;
}
