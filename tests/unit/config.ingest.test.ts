import { ConfigError, loadConfig } from '../../src/config';

/**
 * INGEST_SEGMENT_ROWS (services/ingestion/segments.ts) bounds what a flows upload holds in memory
 * (the segment waiting while the one before is inserted) and how often it scans its staged rows.
 */
describe('INGEST_SEGMENT_ROWS', () => {
  it('defaults to 50,000 rows and takes 1,000 to 1,000,000', () => {
    expect(loadConfig({}).ingest.segmentRows).toBe(50_000);
    expect(loadConfig({ INGEST_SEGMENT_ROWS: '1000' }).ingest.segmentRows).toBe(1_000);
    expect(loadConfig({ INGEST_SEGMENT_ROWS: '1000000' }).ingest.segmentRows).toBe(1_000_000);
  });

  it.each(['999', '1000001', '0', '-5', '2.5', 'many'])('refuses %s', (value) => {
    expect(() => loadConfig({ INGEST_SEGMENT_ROWS: value })).toThrow(ConfigError);
  });
});
