import type { UserError } from './ingest';
import type { RegionChangeStore } from '../datasources/regionChanges';
import type { CaseSource } from '../datasources/case';
import type { AuditLog } from './audit';
import { codesOf, planRegionChanges, REGION_CHANGE_TYPES, type RegionChangeFields } from '../src/reporting/regionChanges';
import { itemError } from './reporting';
import { addDays } from '../src/risk/dates';
import { todayCst } from '../src/clock';
import { maxItems } from '../src/limits/listSize';

export interface ApplyRegionChangesPayload {
  accepted: number;
  unchanged: number;
  userErrors: UserError[];
}

/** How far ahead a change may take effect: civil affairs announces changes ahead, not years ahead. */
const MAX_DAYS_AHEAD = 366;

/**
 * Civil affairs' path (issue 17, item 3): changes of the GB/T 2260 list, from `applyRegionChanges`
 * and from `npm run regions -- import FILE`, all or nothing. The list is checked and planned
 * (src/reporting/regionChanges.ts) against the stored units inside the store's transaction and
 * audited before its commit; once committed, the case data version is bumped, because cached answers
 * (`regions`, `region`: src/cache/responseCache.ts) are keyed by it and would otherwise list the
 * units of before the change until the next case report.
 */
export class RegionChangeService {
  constructor(
    private readonly store: RegionChangeStore,
    private readonly cases: CaseSource,
    private readonly audit: AuditLog,
  ) {}

  /**
   * `options.max`: the most changes in one list (default the mutation's @listSize maximum; the CSV
   * import applies a whole file at once); `options.via`: how the list came, for the audit row.
   */
  async apply(input: readonly RegionChangeFields[], options: { max?: number; via?: string } = {}): Promise<ApplyRegionChangesPayload> {
    const max = options.max ?? maxItems('Mutation.applyRegionChanges');
    if (input.length === 0) return refused([{ field: ['input'], message: 'Send at least one change.', code: 'INVALID' }]);
    if (input.length > max) return refused([{ field: ['input'], message: `At most ${max} changes per call, got ${input.length}; split the list.`, code: 'INVALID' }]);
    const latest = addDays(todayCst(), MAX_DAYS_AHEAD);
    const result = await this.store.apply(
      codesOf(input),
      (known) => planRegionChanges(input, known, latest),
      async (plan) => {
        const kinds = REGION_CHANGE_TYPES.map((k) => `${plan.log.filter((l) => l.change === k).length} ${k.toLowerCase()}`);
        await this.audit.record({ operation: 'applyRegionChanges', outcome: 'APPLIED', detail: `${kinds.join(', ')}; ${plan.unchanged} already applied${options.via ? `; ${options.via}` : ''}` });
      },
    );
    if (!result.plan) return refused(result.errors.map((e) => itemError(e.index, e.error)));
    if (result.plan.log.length > 0) await this.cases.bumpDataVersion();
    return { accepted: input.length, unchanged: result.plan.unchanged, userErrors: [] };
  }
}

const refused = (userErrors: UserError[]): ApplyRegionChangesPayload => ({ accepted: 0, unchanged: 0, userErrors });
