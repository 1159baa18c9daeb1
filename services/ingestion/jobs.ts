import { connection, decodeCursor } from '../../src/graphql/pagination';
import { pageArgument } from '../../src/limits/arguments';
import { isUuid } from '../../datasources/apiKeys';
import type { IngestJob, IngestJobStore } from '../../datasources/uploads';
import type { Viewer } from '../../src/auth/viewer';
import { badInput } from '../../src/errors';

/** A job as GraphQL shows it: the stored record and its duration. */
export interface IngestJobView extends IngestJob {
  /** Milliseconds from start to finish; null while RUNNING. */
  durationMs: number | null;
}

export const withDuration = (job: IngestJob): IngestJobView => ({ ...job, durationMs: job.finishedAt ? job.finishedAt.getTime() - job.startedAt.getTime() : null });

/**
 * The status of a carrier's uploads (Query.ingestJob, ingestJobs). @auth admits CARRIER only; this
 * scopes every read to the caller's own operator, so one operator never sees another's jobs.
 */
export class IngestJobs {
  constructor(
    private readonly store: IngestJobStore,
    private readonly viewer: Viewer,
  ) {}

  private get operator(): string {
    // @auth(requires: [CARRIER]) runs first, and every CARRIER key has an operator (a CHECK on access.api_keys).
    if (!this.viewer.operator) throw new Error('IngestJobs: the caller has no operator; @auth should have refused it');
    return this.viewer.operator;
  }

  /** Null also for an id that no job can have (not a UUID): there is no such job. */
  async byId(id: string) {
    if (!isUuid(id)) return null;
    const job = await this.store.byId(this.operator, id);
    return job && withDuration(job);
  }

  async page(first: number | null | undefined, after: string | null | undefined) {
    const size = pageArgument('Query.ingestJobs', first);
    const cursor = decodeCursor('ingestJob', after);
    const [startedAt, id] = cursor?.split('|') ?? [];
    if (cursor !== null && (!isUuid(id ?? '') || Number.isNaN(Date.parse(startedAt)))) throw badInput('"after" is not a cursor of this list; pass a pageInfo.endCursor you received from it', 'after');
    const page = await this.store.page(this.operator, size, cursor === null ? null : { startedAt, id });
    return connection({ ...page, nodes: page.nodes.map(withDuration), cursorOf: (j) => page.cursorOf(j) });
  }
}
