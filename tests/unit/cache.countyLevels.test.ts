import { CountyLevelCache } from '../../src/cache/countyLevels';

describe('CountyLevelCache', () => {
  it('answers only for the version the levels were computed under', () => {
    const cache = new CountyLevelCache();
    cache.set('7', [{ code: '420106', day: '2026-11-20', level: 'HIGH' }]);
    expect(cache.get('7', '420106', '2026-11-20')).toBe('HIGH');
    expect(cache.get('8', '420106', '2026-11-20')).toBeUndefined();
    expect(cache.get('7', '420106', '2026-11-21')).toBeUndefined();
  });

  it('drops everything when a newer version arrives, and ignores levels of an older one', () => {
    const cache = new CountyLevelCache();
    cache.set('9', [{ code: 'A', day: 'd', level: 'LOW' }]);
    cache.set('10', [{ code: 'B', day: 'd', level: 'MEDIUM' }]);
    expect(cache.get('10', 'A', 'd')).toBeUndefined();
    expect(cache.get('10', 'B', 'd')).toBe('MEDIUM');
    // A slow request that read version 9 must not replace what was computed under 10 (9 < 10 numerically, though '9' > '10' as text).
    cache.set('9', [{ code: 'C', day: 'd', level: 'HIGH' }]);
    expect(cache.get('9', 'C', 'd')).toBeUndefined();
    expect(cache.get('10', 'B', 'd')).toBe('MEDIUM');
  });

  it('stays within its bound', () => {
    const cache = new CountyLevelCache(100);
    cache.set('1', Array.from({ length: 250 }, (_, i) => ({ code: String(i), day: 'd', level: 'LOW' as const })));
    expect(cache.size).toBeLessThanOrEqual(100);
  });
});
