import { z } from 'zod';
import { column, parseRows, queryRows, RowShapeError } from '../../src/db/rows';

const Row = z.object({ region_code: column.regionCode, level: column.regionLevel, n: column.count, on: column.date.nullable() });

describe('rows parsed at the store boundary', () => {
  it('passes rows of the declared shape through, dropping columns it does not declare', () => {
    expect(parseRows('Test.ok', Row, [{ region_code: '420106', level: 'COUNTY', n: 3, on: null, extra: 1 }])).toEqual([
      { region_code: '420106', level: 'COUNTY', n: 3, on: null },
    ]);
  });

  it.each([
    ['a sum that came back as text', { region_code: '420106', level: 'COUNTY', n: '3', on: null }, 'n'],
    ['a negative count', { region_code: '420106', level: 'COUNTY', n: -1, on: null }, 'n'],
    ['an enum value the code does not know', { region_code: '420106', level: 'county', n: 1, on: null }, 'level'],
    ['a date that arrived as a Date', { region_code: '420106', level: 'CITY', n: 1, on: new Date(0) }, 'on'],
    ['a malformed region code', { region_code: '42010', level: 'CITY', n: 1, on: null }, 'region_code'],
    ['a missing column', { level: 'CITY', n: 1, on: null }, 'region_code'],
  ])('fails the statement on %s, naming the statement, the row and the column', (_, row, path) => {
    const good = { region_code: '110105', level: 'COUNTY', n: 0, on: '2026-12-01' };
    expect(() => parseRows('Test.bad', Row, [good, row])).toThrow(RowShapeError);
    expect(() => parseRows('Test.bad', Row, [good, row])).toThrow(new RegExp(`^Test\\.bad: row 1 has an unexpected ${path}: `));
  });

  it('runs a named statement through the store and parses what comes back', async () => {
    const calls: string[] = [];
    const db = { query: async (name: string) => (calls.push(name), [{ region_code: '420106', level: 'PROVINCE', n: 2, on: '2026-01-31' }]) };
    await expect(queryRows(db, 'Test.query', Row, 'SELECT 1')).resolves.toEqual([{ region_code: '420106', level: 'PROVINCE', n: 2, on: '2026-01-31' }]);
    expect(calls).toEqual(['Test.query']);
  });

  it('parses a large result in slices, giving the event loop turns between them, with the same rows and errors', async () => {
    const rows = Array.from({ length: 50_000 }, (_, i) => ({ region_code: String(110101 + i), level: 'COUNTY', n: i, on: '2026-01-31' }));
    const db = { query: async () => rows };
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    let immediateRan = false;
    const parsed = queryRows(db, 'Test.big', Row, 'SELECT 1');
    setImmediate(() => (immediateRan = true));
    const result = await parsed;
    const turnsMeanwhile = turns;
    clearInterval(ticker);
    // 50,000 rows take far longer than one 5 ms slice on any machine: the loop turned meanwhile
    expect(immediateRan).toBe(true);
    expect(turnsMeanwhile).toBeGreaterThan(0);
    expect(result).toEqual(parseRows('Test.big', Row, rows));
    const bad = [...rows];
    bad[40_000] = { ...rows[40_000], n: -1 };
    await expect(queryRows({ query: async () => bad }, 'Test.big', Row, 'SELECT 1')).rejects.toThrow(/^Test\.big: row 40000 has an unexpected n: /);
  });
});
