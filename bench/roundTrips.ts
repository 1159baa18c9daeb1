/**
 * SQL statements per contract operation, against the database in DATABASE_URL (seed it first:
 * `npm run seed -- --scale medium`). Prints one line per operation; no timing: counts only.
 *
 *   DATABASE_URL=postgresql://… npx tsx bench/roundTrips.ts
 */
import { bootstrap } from '../src/bootstrap';
import { makeApp } from '../src/server';
import { todayCst } from '../src/clock';
import { addDays } from '../src/risk/dates';
import { DEMO_PEOPLE } from '../src/seed/demoPeople';
import { operationText } from './operations';


async function main() {
  const rt = await bootstrap({ applicationName: 'changxing-bench', env: { ...process.env, LOG_LEVEL: 'silent', SELF_SERVICE_MAX_IDS_PER_DAY: '100000', SELF_SERVICE_RATE_PER_MINUTE: '100000' } });
  const app = makeApp({ config: rt.config, pools: rt.db.pools, logger: rt.logger, secrets: rt.secrets });
  await app.start();
  await new Promise<void>((r) => app.httpServer.listen(0, '127.0.0.1', r));
  const port = (app.httpServer.address() as { port: number }).port;
  const gql = async (name: string, variables: object, key?: string) => {
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
      body: JSON.stringify({ query: operationText(name), variables }),
    });
    const body = (await res.json()) as { errors?: unknown[]; data?: any; extensions?: { sql?: { statements: number; bySource: object } } };
    if (body.errors) throw new Error(`${name}: ${JSON.stringify(body.errors)}`);
    return body;
  };
  const today = todayCst();
  const line = (label: string, b: { extensions?: { sql?: { statements: number; bySource: object } } }) =>
    console.log(`${label.padEnd(34)} ${String(b.extensions?.sql?.statements).padStart(3)}  ${JSON.stringify(b.extensions?.sql?.bySource)}`);

  line('NationalRiskMap', await gql('NationalRiskMap', {}));
  line('ProvinceDrilldown 420000 30 days', await gql('ProvinceDrilldown', { code: '420000', from: addDays(today, -29), to: today }));
  line('CountyInflows 420106 7 days (GOV)', await gql('CountyInflows', { code: '420106', days: 7 }, 'demo-gov'));
  const [wang] = DEMO_PEOPLE;
  const issued = await gql('IssuePass', { name: wang.name, idNumber: wang.idNumber });
  // A userError here means the demo people were hashed with another ID_HASH_SECRET: the counts
  // that follow would be of "not found" paths, so stop instead of printing them.
  if (!issued.data.issuePass.pass) throw new Error(`IssuePass found no demo person: run with the ID_HASH_SECRET the database was seeded with (${JSON.stringify(issued.data.issuePass.userErrors)})`);
  line('IssuePass', issued);
  line('CloseContactCheck', await gql('CloseContactCheck', { name: wang.name, idNumber: wang.idNumber }));
  line('PersonRecord (HEALTH)', await gql('PersonRecord', { idNumber: wang.idNumber }, 'demo-health'));
  const tokens: string[] = [];
  for (const p of DEMO_PEOPLE) tokens.push((await gql('IssuePass', { name: p.name, idNumber: p.idNumber })).data.issuePass.pass.token);
  line('CheckPass (PARTNER)', await gql('CheckPass', { token: tokens[0] }, 'demo-partner'));
  for (const n of [1, 100, 1000]) {
    line(`CheckPasses × ${n} (PARTNER)`, await gql('CheckPasses', { tokens: Array.from({ length: n }, (_, i) => tokens[i % tokens.length]) }, 'demo-partner'));
  }
  line('ReportDailyCases (HEALTH)', await gql('ReportDailyCases', { input: [{ regionCode: '130102', date: today, newConfirmed: 0 }] }, 'demo-health'));
  await app.stop();
  await rt.db.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
