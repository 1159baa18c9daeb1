import { readFileSync } from 'node:fs';
import path from 'node:path';
import { getNamedType, parse, TypeInfo, visit, visitWithTypeInfo } from 'graphql';
import { buildSchema } from '../../src/schema';
import { authRule } from '../../src/auth/directive';
import { readManifest } from '../../src/documents/manifest';
import { declaredListSizes } from '../../src/limits/listSize';
import { COST_TABLE_END, COST_TABLE_PAGE, COST_TABLE_START, costTable, derivedBudgets, HEADROOM, priceContract, roundUp, withCostTable } from '../../src/limits/contract';
import { DEFAULT_LIMITS } from '../../src/limits';
import { ROLES, type Role } from '../../src/auth/viewer';

const schema = buildSchema();
const manifest = readManifest();
const priced = priceContract(schema, declaredListSizes(), manifest.operations);

/** The roles @auth lets read every field an operation selects. */
function rolesAllowed(body: string): Role[] {
  const typeInfo = new TypeInfo(schema);
  let allowed: Role[] = [...ROLES];
  visit(
    parse(body),
    visitWithTypeInfo(typeInfo, {
      Field() {
        const parent = typeInfo.getParentType();
        const field = typeInfo.getFieldDef();
        if (!parent || !field || field.name.startsWith('__')) return;
        const rule = authRule(schema, getNamedType(parent).name, field);
        if (rule) allowed = allowed.filter((r) => rule.includes(r));
      },
    }),
  );
  return allowed;
}

describe('cost budgets derived from the contract operations (src/limits/contract.ts)', () => {
  it('prices every operation of documents/manifest.json at its largest use', () => {
    expect(priced.map((p) => p.name).sort()).toEqual(manifest.operations.map((o) => o.name).sort());
    expect(() => priceContract(schema, declaredListSizes(), [{ id: 'x', name: 'Unknown', type: 'query', body: '{ __typename }' }])).toThrow(
      /contract operation Unknown has no entry in CONTRACT_USES/,
    );
  });

  it('lets each operation be run by the roles said to run it (@auth allows every field)', () => {
    for (const p of priced) {
      const body = manifest.operations.find((o) => o.id === p.id)!.body;
      const allowed = rolesAllowed(body);
      expect({ name: p.name, notAllowed: p.use.roles.filter((r) => !allowed.includes(r)) }).toEqual({ name: p.name, notAllowed: [] });
    }
  });

  it('fits each operation into the budget of every role that runs it, with headroom', () => {
    for (const p of priced) {
      for (const role of p.use.roles) {
        expect({ name: p.name, role, fits: p.cost * HEADROOM <= DEFAULT_LIMITS.maxCost[role] }).toEqual({ name: p.name, role, fits: true });
      }
    }
  });

  it('has the budgets the operations derive: the largest each role runs × 1.25, rounded up to two digits', () => {
    expect(roundUp(800_253)).toBe(810_000);
    expect(roundUp(1_500)).toBe(1_500);
    expect(roundUp(1_501)).toBe(1_600);
    expect(DEFAULT_LIMITS.maxCost).toEqual(derivedBudgets(priced));
    expect(DEFAULT_LIMITS.maxCost).toEqual({ PUBLIC: 810_000, PARTNER: 1_300, GOV: 810_000, HEALTH: 810_000, CARRIER: 13_000 });
  });

  it("refuses the issue's attacks within every budget: all counties × 180 days, and three nested 500-pages", () => {
    const largest = Math.max(...Object.values(DEFAULT_LIMITS.maxCost));
    expect(1 + 5000 * (1 + 180)).toBeGreaterThan(largest);
    expect(1 + 500 * (2 + 500 * 502)).toBeGreaterThan(largest);
  });

  it('lists each operation’s cost per role in docs/limits.md, as the code computes it', () => {
    const page = readFileSync(path.resolve(__dirname, '../..', COST_TABLE_PAGE), 'utf8');
    const table = costTable(priced, DEFAULT_LIMITS.maxCost);
    expect([page.includes(COST_TABLE_START), page.includes(COST_TABLE_END)]).toEqual([true, true]);
    // run `npm run documents -- costs --write` after changing an operation, a budget or a @listSize
    expect(withCostTable(page, table)).toBe(page);
  });
});
