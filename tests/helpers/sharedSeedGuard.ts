import pg from 'pg';

/**
 * The shared seeded databases (TEST_DATABASE_URL, TEST_DATABASE_URL_50) are read by many suites
 * and written by none: a suite that writes data makes its own (tests/helpers/fixtures.ts), so that
 * no suite's answer depends on which suites ran before it. This guard makes that hold.
 *
 * Every table of the data sources (region, cases, mobility; tables added later included) gets a
 * deferred constraint trigger that refuses, at COMMIT, any transaction that inserted, updated or
 * deleted a row, and a trigger that refuses TRUNCATE. A transaction rolled back never reaches the
 * check, so it may change rows (though not drop a table it changed rows of: PostgreSQL refuses that
 * while the table has pending trigger events). Left writable: `cases.data_version`, `mobility.ingest_jobs` (a refused upload's job)
 * (moves with every write, which the guard already refuses) and the `access` schema, where every
 * audited read appends its own rows and issuing a pass registers a new one (each suite's own rows,
 * under new ids, which no other suite reads).
 *
 * A refused commit surfaces in the writing suite as an internal error of its mutation, which does
 * not say why: so each refusal also advances a sequence (which outlives the rollback), and
 * `sharedSeedCheck.ts` fails the suite during which it advanced, naming it.
 */
const GUARDED_SCHEMAS = ['region', 'cases', 'mobility'];
// mobility.ingest_jobs: a carrier's refused upload records its job (new id, read by no other suite),
// as an audited read appends to access
const WRITABLE_TABLES = ['cases.data_version', 'mobility.ingest_jobs'];

const GUARD_SQL = `
CREATE SCHEMA test_guard;
COMMENT ON SCHEMA test_guard IS 'tests/helpers/sharedSeedGuard.ts: the shared test seed is read-only';
CREATE SEQUENCE test_guard.refused_writes;
CREATE FUNCTION test_guard.refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- nextval is not undone by the rollback that follows: sharedSeedCheck.ts reads it after each suite
  PERFORM nextval('test_guard.refused_writes');
  RAISE EXCEPTION 'the shared test seed % is read-only: % on %.% refused (application %)',
    current_database(), TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, current_setting('application_name')
    USING HINT = 'Make the data a suite writes in a database of its own: tests/helpers/fixtures.ts (freshDatabase, seededCopy, Fixtures), docs/testing.md.';
END;
$$;
DO $$
DECLARE t regclass;
BEGIN
  FOR t IN
    SELECT c.oid::regclass FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = ANY($SCHEMAS$) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND format('%s.%s', n.nspname, c.relname) <> ALL ($WRITABLE$)
  LOOP
    EXECUTE format('CREATE CONSTRAINT TRIGGER shared_seed_read_only AFTER INSERT OR UPDATE OR DELETE ON %s
                    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_guard.refuse()', t);
    EXECUTE format('CREATE TRIGGER shared_seed_no_truncate BEFORE TRUNCATE ON %s
                    FOR EACH STATEMENT EXECUTE FUNCTION test_guard.refuse()', t);
  END LOOP;
END;
$$;`;

const arrayLiteral = (items: string[]) => `ARRAY[${items.map((i) => `'${i}'`).join(', ')}]::text[]`;

/** Installs the guard in a seeded database (globalSetup, after seeding it). */
export async function installSharedSeedGuard(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(GUARD_SQL.replace('$SCHEMAS$', arrayLiteral(GUARDED_SCHEMAS)).replace('$WRITABLE$', arrayLiteral(WRITABLE_TABLES)));
  } finally {
    await client.end();
  }
}

/** How many writes the guard of the database at `url` has refused so far. */
export async function refusedWrites(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url, application_name: 'changxing-test:seed-guard' });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>('SELECT CASE WHEN is_called THEN last_value ELSE 0 END AS n FROM test_guard.refused_writes');
    return Number(rows[0].n);
  } finally {
    await client.end();
  }
}
