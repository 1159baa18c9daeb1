import { randomUUID } from 'node:crypto';
import type { Pools } from './db/pools';
import { createSources, SqlRecorder, type SourceOptions, type Sources } from '../datasources';
import { createServices, type Services } from '../services';
import { callerPseudonym } from './privacy/idHash';
import { PUBLIC_VIEWER, type Viewer } from './auth/viewer';
import type { SelfServiceLimiter } from './auth/rateLimit';
import type { PassSigner } from './pass/token';
import type { CountyLevelCache } from './cache/countyLevels';
import type { RegionListGuesses } from './cache/regionListGuesses';
import type { PassCheckBatches } from '../services/passChecks';
import type { ResponseBudget } from './limits/responseSize';
import type { RequestLane } from './db/lane';
import type { RequestClass } from './limits/requestClass';
import type { ExecutionSlices } from './limits/slices';

/** Everything a resolver may use for one request. */
export interface Context {
  requestId: string;
  sql: SqlRecorder;
  /** The request's stores (SQL and per-request loaders). */
  sources: Sources;
  /** The request's use-cases over those stores (rules, rate limits, audit). */
  services: Services;
  /** Who is calling: resolved once per request from the Authorization header (src/auth/authenticate.ts). */
  viewer: Viewer;
  /** Bytes this request's answer may take (src/limits/responseSize.ts); null: not counted (subscriptions, internal callers). */
  responseBudget: ResponseBudget | null;
  /** The connections and deadline of this request's statements (src/db/lane.ts); absent outside HTTP. */
  lane?: RequestLane;
  /** Paces the building of this request's answer unless it is a pass check (src/limits/slices.ts); absent: not paced. */
  slices?: ExecutionSlices | null;
  /**
   * In a subgraph: the class and the time left that the gateway gave the client's request (headers
   * believed past the secret gate); this request then counts in that class, not per caller again.
   */
  forwarded?: { requestClass: RequestClass; deadlineMs: number };
  /** The app's guesses of big region lists (src/cache/regionListGuesses.ts); absent: lists are not guessed. */
  regionListGuesses?: RegionListGuesses;
}

/** Process-wide parts of every context, built once at start-up. */
export interface AppServices {
  idHashSecret: string;
  signer: PassSigner;
  limiter: SelfServiceLimiter;
  /** County levels by day for pass colours, keyed by the case data version (src/cache/countyLevels.ts). */
  countyLevels: CountyLevelCache;
  /** The pass-check statements, batched across requests (services/passChecks.ts). */
  passChecks: PassCheckBatches;
  /** The counties of the last answer of each big region list: what a list's look-ahead starts loading early. */
  regionListGuesses?: RegionListGuesses;
}

/** Auth part of createContext's options. */
export interface ContextAuthOptions {
  /** Default PUBLIC (least privilege) for callers outside HTTP, e.g. benches and unit tests. */
  viewer?: Viewer;
  /** The request's recorder when the caller already counted statements (the key lookup) on it. */
  sql?: SqlRecorder;
  /** The answer's size budget (HTTP requests: by role); default none. */
  responseBudget?: ResponseBudget | null;
}

export function createContext(
  pools: Pools,
  services: AppServices,
  options: SourceOptions & ContextAuthOptions & { requestId?: string; lane?: RequestLane; forwarded?: Context['forwarded']; slices?: ExecutionSlices | null } = {},
): Context {
  const sql = options.sql ?? new SqlRecorder();
  const requestId = options.requestId ?? randomUUID();
  const viewer = options.viewer ?? PUBLIC_VIEWER('internal');
  // with a lane, statements go to the request class's pools once it is known, and stop at its deadline
  const requestPools = options.lane ? options.lane.view() : pools;
  const sources = createSources(requestPools, sql, options);
  return {
    requestId,
    sql,
    sources,
    services: createServices(
      sources,
      {
        viewer,
        requestId,
        callerPseudonym: (caller) => callerPseudonym(caller, services.idHashSecret),
        idHashSecret: services.idHashSecret,
        signer: services.signer,
        limiter: services.limiter,
        countyLevels: services.countyLevels,
        passChecks: services.passChecks,
        recorder: sql,
      },
      options,
    ),
    viewer,
    responseBudget: options.responseBudget ?? null,
    ...(options.lane ? { lane: options.lane } : {}),
    ...(options.slices ? { slices: options.slices } : {}),
    ...(options.forwarded ? { forwarded: options.forwarded } : {}),
    ...(services.regionListGuesses ? { regionListGuesses: services.regionListGuesses } : {}),
  };
}
