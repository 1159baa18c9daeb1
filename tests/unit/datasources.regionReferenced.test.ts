import type { Pool } from 'pg';
import { GraphQLError } from 'graphql';
import { RegionSource } from '../../datasources/region';
import { Sql, SqlRecorder } from '../../src/db/sql';

/** 湖北省武汉市江岸区 as region.regions holds it. */
const JIANGAN = {
  code: '420102',
  name: '江岸区',
  official_name: '江岸区',
  level: 'COUNTY',
  kind: 'ADMINISTRATIVE',
  parent_code: '420100',
  province_code: '420000',
  population: 965_000,
  population_source: 'simulated',
  population_year: 2020,
  valid_from: '1980-01-01',
  valid_to: null,
};

/** A RegionSource over a pool that answers `byCode` with the given rows (those whose code was asked for). */
function regionsHolding(rows: (typeof JIANGAN)[]) {
  const pool = { query: jest.fn(async (_text: string, [codes]: [string[]]) => ({ rows: rows.filter((r) => codes.includes(r.code)) })) };
  // a stub with the one method Sql uses; pg's Pool is not built in a unit test
  return { regions: new RegionSource(new Sql(pool as unknown as Pool, 'region', new SqlRecorder())), pool };
}

describe('RegionSource.referenced (a region that stored data names: a non-null Region! field)', () => {
  it('is the region when the list has it', async () => {
    const { regions } = regionsHolding([JIANGAN]);
    await expect(regions.referenced('420102')).resolves.toMatchObject({ code: '420102', name: '江岸区', provinceCode: '420000' });
  });

  it('is a plain value, not a promise, once the region is loaded in the request', async () => {
    const { regions, pool } = regionsHolding([JIANGAN]);
    await regions.byCode.load('420102');
    const region = regions.referenced('420102');
    expect(region).not.toBeInstanceOf(Promise);
    expect(region).toMatchObject({ code: '420102' });
    expect(pool.query).toHaveBeenCalledTimes(1);
  });

  it('throws an internal error naming the code, not a null, when the database lacks the region', async () => {
    const { regions } = regionsHolding([JIANGAN]);
    const missing = Promise.resolve(regions.referenced('420199'));
    await expect(missing).rejects.toBeInstanceOf(GraphQLError);
    await expect(missing).rejects.toMatchObject({ message: expect.stringContaining('420199'), extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  });
});
