import type { Pools } from '../src/db/pools';
import { Sql, type StatementRecorder } from '../src/db/sql';

/** The case data version: what the response cache keys answers by (src/cache/responseCache.ts). */
export interface CaseDataVersion {
  /** The primary's `cases.data_version`, exact: no cached answer is older than the last commit. */
  version: string;
  /**
   * True when the read replica's version differs (behind, or unreachable): the answer computed
   * under `version` must then read case data from the primary.
   */
  replicaBehind: boolean;
}

const DATA_VERSION = 'SELECT version::text FROM cases.data_version';

/** Records nothing: the statement is recorded with each request that uses its result (`read`). */
const UNRECORDED: StatementRecorder = { record: () => undefined };

/**
 * The case data version, read for the whole process — like the pass checks' shared batches
 * (src/db/sharedBatch.ts), an exception to "every read is per request", for the response cache.
 *
 * Why: the national map is answered from the response cache, but its key needs the version, and
 * per request that read went to the request class's pools. Under attack those connections are held
 * by the expensive requests admitted there (issue 15: the attack bench's cached maps waited seconds
 * for one, or failed and were computed again, and shed). So the version is read on the process's
 * own pools (`pools.cases`, not a class's: the API keys, readiness and start-up use them, nothing
 * a caller can flood), at most one read at a time, and requests share it.
 *
 * How it stays exact: a request uses a result only from a read *sent after it arrived*, which sees
 * every commit its caller could have seen before asking. A request that arrives while a read is in
 * flight waits for the next one, sent when that one ends for everyone waiting; so under load there is
 * one read per round trip whatever the number of requests, and alone a request sends its own, as before.
 */
export class CaseDataVersionReads {
  private inFlight: { sentAt: number; result: Promise<CaseDataVersion> } | null = null;
  private next: Promise<CaseDataVersion> | null = null;
  private last: { sentAt: number; value: CaseDataVersion } | null = null;

  constructor(
    /** Read at each statement: the read pool may be set after start (tests) or absent. */
    private readonly pools: Pools,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * The version as of a moment after `arrivedAt` (this clock's `now()`), recorded as one statement
   * (two with a replica) of the request's `recorder`, as if it had sent them itself.
   */
  async read(arrivedAt: number, recorder: StatementRecorder): Promise<CaseDataVersion> {
    recorder.record('cases', 'CaseDataVersion.primary');
    if (this.pools.read?.cases) recorder.record('cases', 'CaseDataVersion.replica');
    if (this.last && this.last.sentAt > arrivedAt) return this.last.value;
    if (this.inFlight && this.inFlight.sentAt > arrivedAt) return this.inFlight.result;
    if (!this.inFlight) return this.send();
    // in flight, but sent before this request arrived: the next read, once it ends
    this.next ??= this.inFlight.result.then(
      () => undefined,
      () => undefined,
    ).then(() => {
      this.next = null;
      return this.inFlight?.result ?? this.send();
    });
    return this.next;
  }

  private send(): Promise<CaseDataVersion> {
    const sentAt = this.now();
    const replicaPool = this.pools.read?.cases ?? null;
    const sql = new Sql(this.pools.cases, 'cases', UNRECORDED, replicaPool);
    const result = Promise.all([
      sql.queryPrimary<{ version: string }>('CaseDataVersion.primary', DATA_VERSION),
      replicaPool ? sql.query<{ version: string }>('CaseDataVersion.replica', DATA_VERSION).catch(() => null) : null,
    ]).then(
      ([primary, replica]) => {
        const version = primary[0]?.version ?? '0';
        const value = { version, replicaBehind: replicaPool !== null && (replica?.[0]?.version ?? '0') !== version };
        if (!this.last || this.last.sentAt < sentAt) this.last = { sentAt, value };
        this.inFlight = null;
        return value;
      },
      (err: unknown) => {
        this.inFlight = null;
        throw err;
      },
    );
    this.inFlight = { sentAt, result };
    return result;
  }
}
