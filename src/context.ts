import { randomUUID } from 'node:crypto';
import type { Pools } from './db/pools';
import { createSources, requestSql, SqlRecorder, type SourceOptions, type Sources } from '../datasources';
import { AuditSource } from '../datasources/audit';
import { AuditLog } from './auth/audit';
import { callerPseudonym } from './privacy/idHash';
import { PUBLIC_VIEWER, type Viewer } from './auth/viewer';
import type { SelfServiceLimiter } from './auth/rateLimit';
import type { PassSigner } from './pass/token';
import type { CountyLevelCache } from './cache/countyLevels';
import type { PassCheckBatches } from '../datasources/sharedBatch';
import type { ResponseBudget } from './limits/responseSize';
import type { RequestLane } from './db/lane';
import type { RequestClass } from './limits/requestClass';

/** Everything a resolver may use for one request. */
export interface Context {
  requestId: string;
  sql: SqlRecorder;
  sources: Sources;
  /** Who is calling: resolved once per request from the Authorization header (src/auth/authenticate.ts). */
  viewer: Viewer;
  /** Audit trail writer of this request: `await audit.record(…)` before returning personal data. */
  audit: AuditLog;
  /** Key of the hash under which ID numbers are looked up (never the number itself in SQL). */
  idHashSecret: string;
  /** Limits on self-service lookups by name + ID number. */
  limiter: SelfServiceLimiter;
  /** Bytes this request's answer may take (src/limits/responseSize.ts); null: not counted (subscriptions, internal callers). */
  responseBudget: ResponseBudget | null;
  /** The connections and deadline of this request's statements (src/db/lane.ts); absent outside HTTP. */
  lane?: RequestLane;
  /**
   * In a subgraph: the class and the time left that the gateway gave the client's request (headers
   * believed past the secret gate); this request then counts in that class, not per caller again.
   */
  forwarded?: { requestClass: RequestClass; deadlineMs: number };
}

/** Process-wide parts of every context, built once at start-up. */
export interface AppServices {
  idHashSecret: string;
  signer: PassSigner;
  limiter: SelfServiceLimiter;
  /** County levels by day for pass colours, keyed by the case data version (src/cache/countyLevels.ts). */
  countyLevels: CountyLevelCache;
  /** The pass-check statements, batched across requests (datasources/sharedBatch.ts). */
  passChecks: PassCheckBatches;
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
  options: SourceOptions & ContextAuthOptions & { requestId?: string; lane?: RequestLane; forwarded?: Context['forwarded'] } = {},
): Context {
  const sql = options.sql ?? new SqlRecorder();
  const requestId = options.requestId ?? randomUUID();
  const viewer = options.viewer ?? PUBLIC_VIEWER('internal');
  // with a lane, statements go to the request class's pools once it is known, and stop at its deadline
  const requestPools = options.lane ? options.lane.view() : pools;
  const audit = new AuditLog(new AuditSource(requestSql(requestPools, 'access', sql)), viewer, requestId, (caller) => callerPseudonym(caller, services.idHashSecret));
  return {
    requestId,
    sql,
    sources: createSources(requestPools, sql, { signer: services.signer, audit, countyLevels: services.countyLevels, passChecks: services.passChecks, idHashSecret: services.idHashSecret }, options),
    viewer,
    audit,
    idHashSecret: services.idHashSecret,
    limiter: services.limiter,
    responseBudget: options.responseBudget ?? null,
    ...(options.lane ? { lane: options.lane } : {}),
    ...(options.forwarded ? { forwarded: options.forwarded } : {}),
  };
}
