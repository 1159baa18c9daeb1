import type { Pools } from '../src/db/pools';
import { SharedBatch, type SharedBatchObserver } from '../src/db/sharedBatch';
import { checkAndAudit, type PassCheckKey, type PassCheckResultRow } from '../datasources/passRegistry';
import { passFactsOf, type PassFacts, type PassFactsKey } from '../datasources/person';
import { staysOf, type StayKey, type StayRow } from '../datasources/mobility';

/** The three statements of a pass check, shared across requests. */
export interface PassCheckBatches {
  checks: SharedBatch<PassCheckKey, PassCheckResultRow>;
  facts: SharedBatch<PassFactsKey, PassFacts | null>;
  stays: SharedBatch<StayKey, StayRow[]>;
}

/** `windowMs`: how long each batch waits for more checks (0: to the end of the loop turn). */
export function createPassCheckBatches(pools: Pools, observe?: SharedBatchObserver, windowMs = 0): PassCheckBatches {
  return {
    checks: new SharedBatch('PassRegistry.checkAndAudit', pools.access, 'access', checkAndAudit, observe, undefined, windowMs),
    facts: new SharedBatch('PersonSource.passFacts', pools.cases, 'cases', passFactsOf, observe, undefined, windowMs),
    stays: new SharedBatch('MobilitySource.staysByPerson', pools.mobility, 'mobility', staysOf, observe, undefined, windowMs),
  };
}
