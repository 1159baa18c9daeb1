import { Kind, parse, type FragmentDefinitionNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { ROLES, type Role } from '../auth/viewer';
import { readManifest, type TrustedOperation } from '../documents/manifest';
import { operationCost } from './cost';
import type { ListSizes } from './listSize';

/**
 * The cost budgets are derived from the contract operations (documents/manifest.json: the
 * operations of examples/operations/ and of the pages): each role's budget is the cost of the
 * largest operation it runs, with HEADROOM, rounded up to two significant digits. A budget that
 * let much more through would admit the attacks the budget exists for (the national county list
 * with 180 days of figures each costs 905,001, ProvinceDrilldown over its 30 days 640,202: hence
 * 1.25, not more); one without headroom would refuse a contract operation after a small change to it.
 *
 * Each operation is priced at its largest use: the roles that run it (the user groups of DESIGN.md
 * §2, each allowed every field by @auth) and the variables that size it. A manifest operation
 * missing here fails a test, as does a budget that is no longer what the operations derive.
 */
export const HEADROOM = 1.25;

export interface ContractUse {
  /** Who runs the operation. */
  roles: readonly Role[];
  /** Its variables at their largest (the sizes matter: ranges, list lengths). */
  variables: Record<string, unknown>;
  /** Where that largest use comes from. */
  why: string;
}

const DASHBOARD: readonly Role[] = ['PUBLIC', 'GOV', 'HEALTH'];
const AGGREGATES: readonly Role[] = ['GOV', 'HEALTH'];
/** A date range of `days` days: the cost reads only its length. */
const days = (n: number) => ({ from: '2020-01-01', to: new Date(Date.UTC(2020, 0, n)).toISOString().slice(0, 10) });

export const CONTRACT_USES: Readonly<Record<string, ContractUse>> = {
  NationalRiskMap: { roles: DASHBOARD, variables: {}, why: 'every county (first: 5000)' },
  DashboardCounties: { roles: DASHBOARD, variables: {}, why: 'every county (first: 5000)' },
  ProvinceDrilldown: { roles: DASHBOARD, variables: { code: '510000', ...days(30) }, why: '100 cities × 200 counties × 30 days (the W2 benchmark\'s range)' },
  RegionDaily: { roles: DASHBOARD, variables: { code: '420106', ...days(366) }, why: 'one region, 366 days (the schema\'s maximum; the dashboard asks 60)' },
  NationalDaily: { roles: DASHBOARD, variables: days(366), why: '100 provinces × 366 days (the schema\'s maximum; the dashboard asks 60)' },
  CountyInflows: { roles: AGGREGATES, variables: { code: '420106', days: 14 }, why: '10 origins' },
  ImportRiskRanking: { roles: AGGREGATES, variables: { within: '420000' }, why: 'ten counties (first: 10) and their sources' },
  CountyForecast: { roles: AGGREGATES, variables: { code: '420106' }, why: 'one county and its sources' },
  DashboardRiskLevelChanged: { roles: AGGREGATES, variables: { regionCodes: ['420000'] }, why: 'one event' },
  CheckPass: { roles: ['PARTNER', 'HEALTH'], variables: { token: 'x' }, why: 'one token' },
  CheckPasses: { roles: ['PARTNER', 'HEALTH'], variables: { tokens: Array.from({ length: 1000 }, (_, i) => `t${i}`) }, why: '1,000 tokens (the schema\'s maximum)' },
  CloseContactCheck: { roles: ['PUBLIC'], variables: { name: '王红', idNumber: '420106198805120017' }, why: 'one person' },
  IssuePass: { roles: ['PUBLIC'], variables: { name: '王红', idNumber: '420106198805120017' }, why: 'one person' },
  HolderPass: { roles: ['PUBLIC'], variables: { token: 'x', name: '王红', idNumber: '420106198805120017' }, why: 'one person' },
  PersonRecord: { roles: ['HEALTH'], variables: { idNumber: '420106198805120017' }, why: 'one person, its lists at their assumed sizes' },
  ReportDailyCases: {
    roles: ['HEALTH'],
    variables: { input: Array.from({ length: 5000 }, () => ({ regionCode: '420106', date: '2020-01-01', newConfirmed: 0 })) },
    why: '5,000 reports (the schema\'s maximum)',
  },
  ReportCluster: { roles: ['HEALTH'], variables: { input: { regionCode: '420106', detectedOn: '2020-01-01', size: 2 } }, why: 'one cluster' },
  IngestJob: { roles: ['CARRIER'], variables: { id: '00000000-0000-4000-8000-000000000000' }, why: 'one upload, its errors at their assumed 100' },
  IngestJobs: { roles: ['CARRIER'], variables: { first: 100 }, why: '100 uploads (the schema\'s maximum)' },
};

export interface PricedOperation {
  name: string;
  id: string;
  cost: number;
  use: ContractUse;
}

/** The manifest's operations, each priced at its largest use (throws for an operation without a ContractUse). */
export function priceContract(schema: GraphQLSchema, sizes: ListSizes, operations: readonly TrustedOperation[] = readManifest().operations): PricedOperation[] {
  return operations.map((op) => {
    const name = op.name ?? op.id;
    const use = CONTRACT_USES[name];
    if (!use) throw new Error(`contract operation ${name} has no entry in CONTRACT_USES (src/limits/contract.ts): say who runs it and with which variables at most`);
    const document = parse(op.body);
    const fragments: Record<string, FragmentDefinitionNode> = {};
    for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments[def.name.value] = def;
    const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
    return { name, id: op.id, cost: operationCost({ schema, operation, fragments, variables: use.variables, sizes }), use };
  });
}

/** Rounds up to two significant digits: 800,253 → 810,000. */
export function roundUp(n: number): number {
  if (n <= 0) return 0;
  const unit = 10 ** Math.max(0, Math.floor(Math.log10(n)) - 1);
  return Math.ceil(n / unit) * unit;
}

/** Each role's budget: its largest contract operation × HEADROOM, rounded up. */
export function derivedBudgets(priced: readonly PricedOperation[]): Record<Role, number> {
  const budgets = {} as Record<Role, number>;
  for (const role of ROLES) {
    const largest = Math.max(0, ...priced.filter((p) => p.use.roles.includes(role)).map((p) => p.cost));
    budgets[role] = roundUp(largest * HEADROOM);
  }
  return budgets;
}

const thousands = (n: number) => Math.round(n).toLocaleString('en-US');
const share = (cost: number, budget: number) => (cost * 100 < budget ? '< 1 %' : `${Math.ceil((100 * cost) / budget)} %`);

/**
 * The table of contract operations in docs/limits.md: cost, and for each role that runs it the share of its
 * budget (`npm run documents -- costs` writes it; a test checks it is current).
 */
export function costTable(priced: readonly PricedOperation[], budgets: Record<Role, number>): string {
  const names = new Map<string, number>();
  for (const p of priced) names.set(p.name, (names.get(p.name) ?? 0) + 1);
  const rows = [...priced]
    .sort((a, b) => b.cost - a.cost || a.name.localeCompare(b.name))
    .map((p) => {
      const label = (names.get(p.name) ?? 0) > 1 ? `${p.name} (${p.id.slice(0, 8)})` : p.name;
      const cells = ROLES.map((r) => (p.use.roles.includes(r) ? share(p.cost, budgets[r]) : '—'));
      return `| \`${label}\` | ${thousands(p.cost)} | ${p.use.why} | ${cells.join(' | ')} |`;
    });
  return [
    `| operation | cost | priced at | ${ROLES.map((r) => `${r} (${thousands(budgets[r])})`).join(' | ')} |`,
    `| --- | ---: | --- | ${ROLES.map(() => '---:').join(' | ')} |`,
    ...rows,
  ].join('\n');
}

/** The page that holds the table ("Budgets per role"), from the project root, and its markers. */
export const COST_TABLE_PAGE = 'docs/limits.md';
export const COST_TABLE_START = '<!-- contract operation costs: npm run documents -- costs --write -->';
export const COST_TABLE_END = '<!-- end of contract operation costs -->';

/** The page's text with the table between the markers replaced (throws when a marker is missing). */
export function withCostTable(page: string, table: string): string {
  const start = page.indexOf(COST_TABLE_START);
  const end = page.indexOf(COST_TABLE_END);
  if (start < 0 || end < start) throw new Error(`${COST_TABLE_PAGE}: the markers ${COST_TABLE_START} … ${COST_TABLE_END} are missing`);
  return `${page.slice(0, start + COST_TABLE_START.length)}\n${table}\n${page.slice(end)}`;
}
