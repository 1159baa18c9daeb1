import { Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';
import type { Role } from '../auth/viewer';

/**
 * What a request is for, read from its operation's root fields and its caller's role. Shared by
 * `npm start` (Apollo plugins) and the gateway (gateway/contract.ts), which classify the same
 * client operation the same way; no imports beyond graphql, so the gateway's program can load it.
 *
 * Request classes (docs/limits.md, "Bulkheads and load shedding"): each has its own database connections, deadline, share of
 * the server and place in the shedding order, so that one class's flood cannot starve another.
 * - `pass`: pass checks only (`checkPass`, `checkPasses`): partners at the gate, the cheapest and
 *   most time-critical work; never shed for load, only for its own capacity.
 * - `self`: self-service lookups by name and ID number (`closeContactCheck`, `issuePass`, `holderPass`).
 * - `official`: everything else asked by GOV and HEALTH keys: dashboards, person records, ingestion.
 * - `public`: everything else asked by PUBLIC and PARTNER callers: aggregate reads, the anonymous
 *   surface — shed first.
 */
export const REQUEST_CLASSES = ['pass', 'self', 'official', 'public'] as const;
export type RequestClass = (typeof REQUEST_CLASSES)[number];

const PASS_CHECKS: ReadonlySet<string> = new Set(['checkPass', 'checkPasses']);
export const SELF_SERVICE: ReadonlySet<string> = new Set(['closeContactCheck', 'issuePass', 'holderPass']);

/**
 * Root fields that take a resident ID number (with a name): sent only in a POST body, never in a
 * URL, which proxies, browsers and access logs keep. `issuePass` is a mutation (POST anyway).
 */
export const ID_NUMBER_LOOKUPS: ReadonlySet<string> = new Set(['closeContactCheck', 'issuePass', 'holderPass', 'person']);

/** Root fields whose answers are about a person: answered `Cache-Control: no-store`. */
const PERSONAL: ReadonlySet<string> = new Set([...ID_NUMBER_LOOKUPS, ...PASS_CHECKS, 'auditTrail']);

/** The operation's root field names (through fragments and inline fragments; `__typename` left out). */
export function rootFieldNames(document: DocumentNode, operation: OperationDefinitionNode): string[] {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const names = new Set<string>();
  const seen = new Set<string>();
  const visit = (set: SelectionSetNode) => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value !== '__typename') names.add(selection.name.value);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        // a cycle or an unknown fragment is validation's to refuse; here it only must not loop
        if (fragment && !seen.has(name)) {
          seen.add(name);
          visit(fragment.selectionSet);
        }
      }
    }
  };
  visit(operation.selectionSet);
  return [...names];
}

/** What the servers need to know of a request before running it. */
export interface RequestPolicy {
  requestClass: RequestClass;
  /** Some root field takes an ID number: refused over GET. The first such field, for the message. */
  idNumberLookup: string | null;
  /** Some root field answers about a person: `Cache-Control: no-store`. */
  personal: boolean;
}

export function requestPolicy(role: Role, rootFields: readonly string[]): RequestPolicy {
  const requestClass: RequestClass =
    rootFields.length > 0 && rootFields.every((f) => PASS_CHECKS.has(f))
      ? 'pass'
      : rootFields.some((f) => SELF_SERVICE.has(f))
        ? 'self'
        : role === 'GOV' || role === 'HEALTH'
          ? 'official'
          : 'public';
  return {
    requestClass,
    idNumberLookup: rootFields.find((f) => ID_NUMBER_LOOKUPS.has(f)) ?? null,
    personal: rootFields.some((f) => PERSONAL.has(f)),
  };
}

/** The message of a GET refused because it carries an ID number lookup (405, Allow: POST, BAD_REQUEST). */
export function idNumberOverGetMessage(field: string): string {
  return `${field} takes a resident ID number: send it in a POST body, never in a URL (proxies, browsers and access logs keep URLs).`;
}

const policies = new WeakMap<object, RequestPolicy>();

/**
 * The policy of the request whose context (or other per-request object) is `request`, computed once:
 * several plugins read it after the operation is resolved.
 */
export function policyOf(request: object, role: Role, document: DocumentNode, operation: OperationDefinitionNode): RequestPolicy {
  let policy = policies.get(request);
  if (!policy) policies.set(request, (policy = requestPolicy(role, rootFieldNames(document, operation))));
  return policy;
}

/**
 * What each class may take of one process (docs/limits.md, "Bulkheads and load shedding"), per class:
 * - `deadlineMs`: from the request's arrival to its last SQL statement; also the class's
 *   statement_timeout (at most PG_STATEMENT_TIMEOUT_MS). Shortest for PUBLIC's classes.
 * - `concurrency`: requests of the class executing at once; up to twice as many wait (FIFO) until
 *   their deadline, more are refused (503).
 * - `perCaller`: requests of one caller (a key, or a PUBLIC address / IPv6 /64) running or waiting
 *   in the class; more are refused (429). Below the class's pool share, so that one caller cannot
 *   hold every connection of its class.
 * - `shedLagMs`: refused (503) while the event loop is this late (null: never, pass checks);
 *   the expensive classes first.
 * - `shedBusyPercent`: refused (503) while the event loop has been busy at least this share of the
 *   last half second and pass checks are being served (one admitted in the last second): the
 *   expensive classes yield the loop to the gates' checks, and have all of it when no check comes
 *   (null: never).
 * - `poolShare`: weight of the class in each datasource's PG_POOL_MAX connections.
 */
export interface ClassLimits {
  deadlineMs: number;
  concurrency: number;
  perCaller: number;
  shedLagMs: number | null;
  shedBusyPercent: number | null;
  poolShare: number;
}

export const DEFAULT_CLASS_LIMITS: Readonly<Record<RequestClass, ClassLimits>> = {
  pass: { deadlineMs: 2_000, concurrency: 128, perCaller: 128, shedLagMs: null, shedBusyPercent: null, poolShare: 3 },
  self: { deadlineMs: 3_000, concurrency: 16, perCaller: 2, shedLagMs: 1_000, shedBusyPercent: 90, poolShare: 2 },
  official: { deadlineMs: 30_000, concurrency: 16, perCaller: 8, shedLagMs: 500, shedBusyPercent: 65, poolShare: 2 },
  public: { deadlineMs: 4_000, concurrency: 8, perCaller: 2, shedLagMs: 200, shedBusyPercent: 50, poolShare: 3 },
};

/**
 * PG_POOL_MAX connections of a datasource shared out by the classes' weights (largest remainder),
 * each class at least one: 10 → pass 3, self 2, official 2, public 3.
 */
export function poolSizes(max: number, limits: Readonly<Record<RequestClass, Pick<ClassLimits, 'poolShare'>>>): Record<RequestClass, number> {
  const total = REQUEST_CLASSES.reduce((sum, c) => sum + limits[c].poolShare, 0);
  const exact = REQUEST_CLASSES.map((c) => (max * limits[c].poolShare) / total);
  const sizes = exact.map((x) => Math.floor(x));
  let left = max - sizes.reduce((a, b) => a + b, 0);
  for (const i of exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]).map(([, i]) => i)) {
    if (left-- <= 0) break;
    sizes[i]++;
  }
  return Object.fromEntries(REQUEST_CLASSES.map((c, i) => [c, Math.max(1, sizes[i])])) as Record<RequestClass, number>;
}
