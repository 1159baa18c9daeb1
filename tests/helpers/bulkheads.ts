/**
 * The bulkheads (docs/limits.md, "Bulkheads and load shedding") and the execution slices out of the way unless a test sets them, as the self-service
 * limits are: suites send many requests at once from one address and run on a machine shared with
 * other work (event-loop lag), and long ones must not meet PUBLIC's 4 s deadline there. The suites
 * of the bulkheads themselves (bulkheads.test.ts) set production's values.
 */
export const TEST_BULKHEADS: Record<string, string> = {
  REQUEST_DEADLINE_MS: 'pass=60000,self=60000,official=60000,public=60000',
  CLASS_CONCURRENCY: 'pass=10000,self=10000,official=10000,public=10000',
  CALLER_CONCURRENCY: 'pass=10000,self=10000,official=10000,public=10000',
  SHED_LAG_MS: 'pass=none,self=none,official=none,public=none',
  SHED_BUSY_PERCENT: 'pass=none,self=none,official=none,public=none',
  // answers built in one run, as without pacing: a list completed in two slices may take one more
  // batch, and the round-trip suites count batches on a machine whose load decides where slices end
  EXECUTION_SLICE_MS: 'none',
  // dashboards' statements not held behind one another while a suite's pass checks run (src/db/statementShare.ts)
  SHARED_STATEMENTS: 'none',
};
