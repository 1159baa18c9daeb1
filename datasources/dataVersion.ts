import type { Pool } from 'pg';

/**
 * The case data version (`cases.data_version`, one row in the case datasource's database): bumped by
 * every ingestion transaction, by statement triggers on every other write to daily reports and
 * clusters, and by the seed. The response caches key answers by it (docs/http-caching.md).
 */
export const DATA_VERSION = 'SELECT version::text FROM cases.data_version';

/** The version, read by the gateway's response cache on its own small pool (gateway/responseCache.ts). */
export async function readDataVersion(pool: Pool): Promise<string> {
  const { rows } = await pool.query<{ version: string }>(`/* Gateway.dataVersion */ ${DATA_VERSION}`);
  return rows[0]?.version ?? '0';
}
