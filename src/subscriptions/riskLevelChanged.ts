import type { RiskLevelChangeEvent } from '../db/riskChannel';
import { badInput } from '../errors';
import { isRegionCode } from '../regionCode';
import type { LiveContext } from './context';

export const MAX_SUBSCRIBED_REGIONS = 100;

/**
 * Subscription.riskLevelChanged: checks the codes, widens cities and provinces to their counties
 * (one region lookup, at subscription time), then streams the hub's changes for those counties.
 */
export async function riskLevelChanges(context: LiveContext, regionCodes: readonly string[]): Promise<AsyncIterableIterator<RiskLevelChangeEvent>> {
  if (regionCodes.length === 0 || regionCodes.length > MAX_SUBSCRIBED_REGIONS) {
    throw badInput(`Give from 1 to ${MAX_SUBSCRIBED_REGIONS} region codes, got ${regionCodes.length}; a province code covers all its counties.`, 'regionCodes');
  }
  const malformed = regionCodes.find((c) => !isRegionCode(c));
  if (malformed !== undefined) throw badInput(`"${malformed.slice(0, 20)}" is not a six-digit region code.`, 'regionCodes');
  const codes = [...new Set(regionCodes)];
  const { regions } = context.sources;
  const found = await regions.byCode.loadAll(codes);
  const unknown = codes.filter((_, i) => !found[i]);
  if (unknown.length > 0) throw badInput(`No region has code ${unknown.slice(0, 5).join(', ')}.`, 'regionCodes');
  const counties = new Set((await regions.countyCodesUnder.loadAll(codes)).flat());
  const events = await context.live.subscribe((e) => counties.has(e.regionCode));
  return renewing(events, () => context.renew());
}

/**
 * graphql-js executes every event of a subscription with the context created when it started;
 * fresh datasources per event keep one event's loader caches (a region's risk, say) out of the next.
 */
function renewing<T>(inner: AsyncIterableIterator<T>, renew: () => void): AsyncIterableIterator<T> {
  return {
    async next() {
      const result = await inner.next();
      if (!result.done) renew();
      return result;
    },
    return: () => inner.return?.() ?? Promise.resolve({ value: undefined, done: true }),
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
