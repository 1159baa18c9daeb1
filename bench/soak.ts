/**
 * Mixed-workload soak: dashboard, drill-down, pass checks and self-checks at once against the real
 * server (a child process), for a set time, reporting throughput, p50/p99, errors and the server's
 * memory at start and end.
 *
 *   npx tsx bench/soak.ts [--seconds 600]        (DATABASE_URL, or the embedded default)
 */
import { parseArgs } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { startBenchServer } from './server';
import { operationText } from './operations';
import { DEMO_PEOPLE } from '../src/seed/demoPeople';
import { todayCst } from '../src/clock';
import { addDays } from '../src/risk/dates';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '600' }, port: { type: 'string', default: '4310' } } });
const seconds = Number(values.seconds);

interface Workload {
  name: string;
  connections: number;
  /** Requests per second for this workload in all; unset = as fast as the server answers. */
  rate?: number;
  body: string;
  headers?: Record<string, string>;
}

async function main() {
  // Self-service limits raised for the run: a load generator is one client asking for the same four people.
  const server = await startBenchServer({ SELF_SERVICE_MAX_IDS_PER_DAY: '1000000', SELF_SERVICE_RATE_PER_MINUTE: '100000000' }, Number(values.port));
  const gql = (query: string, variables: object, headers: Record<string, string> = {}) =>
    fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query, variables }) }).then((r) => r.json() as Promise<any>);
  const tokens: string[] = [];
  for (const p of DEMO_PEOPLE) tokens.push((await gql(operationText('IssuePass'), { name: p.name, idNumber: p.idNumber })).data.issuePass.pass.token);
  const today = todayCst();
  const json = (query: string, variables: object) => JSON.stringify({ query, variables });
  const workloads: Workload[] = [
    // Dashboards refresh on a timer; partners check as fast as they can; the public asks now and then.
    { name: 'NationalRiskMap', connections: 1, rate: 1, body: json(operationText('NationalRiskMap'), {}) },
    { name: 'ProvinceDrilldown', connections: 1, rate: 2, body: json(operationText('ProvinceDrilldown'), { code: '420000', from: addDays(today, -29), to: today }) },
    { name: 'CheckPasses×50', connections: 2, body: json(operationText('CheckPasses'), { tokens: Array.from({ length: 50 }, (_, i) => tokens[i % tokens.length]) }), headers: { authorization: 'Bearer demo-partner' } },
    { name: 'CheckPass', connections: 8, body: json(operationText('CheckPass'), { token: tokens[3] }), headers: { authorization: 'Bearer demo-partner' } },
    { name: 'CloseContactCheck', connections: 2, rate: 10, body: json(operationText('CloseContactCheck'), { name: DEMO_PEOPLE[1].name, idNumber: DEMO_PEOPLE[1].idNumber }) },
  ];
  const memory: { t: number; rssMb: number }[] = [{ t: 0, rssMb: server.rssMb() }];
  const started = Date.now();
  const sampler = setInterval(() => memory.push({ t: Math.round((Date.now() - started) / 1000), rssMb: server.rssMb() }), 10_000);
  const graphqlErrors = new Map<string, number>();
  const results = await Promise.all(
    workloads.map(
      (w) =>
        new Promise<autocannon.Result>((resolve, reject) => {
          autocannon(
            {
              url: `${server.url}/graphql`,
              method: 'POST',
              connections: w.connections,
              ...(w.rate ? { overallRate: w.rate } : {}),
              duration: seconds,
              requests: [
                {
                  method: 'POST',
                  headers: { 'content-type': 'application/json', ...w.headers },
                  body: w.body,
                  // A 200 with an `errors` array is a failure too.
                  onResponse: (_status, body) => {
                    if (body.includes('"errors"')) graphqlErrors.set(w.name, (graphqlErrors.get(w.name) ?? 0) + 1);
                  },
                },
              ],
            },
            (err, result) => (err ? reject(err) : resolve(result)),
          );
        }),
    ),
  );
  clearInterval(sampler);
  memory.push({ t: seconds, rssMb: server.rssMb() });
  await server.stop();

  const rows = workloads.map((w, i) => {
    const r = results[i];
    return {
      workload: w.name,
      connections: w.connections,
      rateLimit: w.rate ?? 'max',
      requests: r.requests.total,
      rps: Math.round(r.requests.average),
      p50Ms: r.latency.p50,
      p99Ms: r.latency.p99,
      errors: r.errors + r.timeouts + r.non2xx + (graphqlErrors.get(w.name) ?? 0),
    };
  });
  const report = {
    when: new Date().toISOString(),
    seconds,
    memoryMb: { start: memory[0].rssMb, end: memory[memory.length - 1].rssMb, max: Math.max(...memory.map((m) => m.rssMb)), samples: memory },
    workloads: rows,
  };
  console.table(rows);
  console.log(`server RSS: start ${report.memoryMb.start} MB, end ${report.memoryMb.end} MB, max ${report.memoryMb.max} MB`);
  const out = path.resolve(__dirname, 'results/soak-latest.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(report, null, 2));
  console.log(`written ${path.relative(process.cwd(), out)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
