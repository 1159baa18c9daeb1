import { SegmentedLru, type SegmentedLruLimits } from '../../src/cache/segmentedLru';
import { textBytes } from '../../src/cache/answerStore';

const responseTexts = (limits: SegmentedLruLimits) => new SegmentedLru<string>(limits, textBytes);

/** The response cache's texts in process (src/cache/responseCache.ts): a segmented LRU (src/cache/segmentedLru.ts). */
describe('responseTexts', () => {
  const text = (n: number) => 'x'.repeat(n);

  it('keeps an answer asked for again while one-off answers, many times the cache, pass through', () => {
    // 64 KiB in all, at most 48 KiB of it protected; a character is 2 bytes, an entry at most 4 KiB
    const texts = responseTexts({ maxEntries: 200, maxBytes: 64 * 1024 });
    texts.set('national map', text(1500));
    expect(texts.get('national map')).toBe(text(1500)); // asked for again: protected
    for (let i = 0; i < 500; i++) texts.set(`one-off ${i}`, text(1500)); // 1.5 MB of answers asked for once
    expect(texts.get('national map')).toBe(text(1500));
    expect(texts.get('one-off 0')).toBeUndefined();
    expect(texts.get('one-off 499')).toBe(text(1500));
    // bounded by bytes in all, whatever was asked for
    expect(texts.calculatedSize).toBeLessThanOrEqual(64 * 1024);
  });

  it('lets an answer asked for once be evicted by newer ones, and never keeps one over a sixteenth of the bytes', () => {
    const texts = responseTexts({ maxEntries: 200, maxBytes: 64 * 1024 });
    texts.set('once', text(1500));
    for (let i = 0; i < 30; i++) texts.set(`newer ${i}`, text(1500)); // 90 KB: past the 64 KiB
    expect(texts.get('once')).toBeUndefined();
    texts.set('huge', text(2049)); // 4,098 bytes > 64 KiB / 16
    expect(texts.get('huge')).toBeUndefined();
    expect(texts.size).toBeGreaterThan(0);
  });

  it('bounds the number of answers too', () => {
    const texts = responseTexts({ maxEntries: 8, maxBytes: 64 * 1024 });
    for (let i = 0; i < 100; i++) texts.set(`a ${i}`, text(10));
    expect(texts.size).toBeLessThanOrEqual(8);
  });

  it('counts a replaced entry at its new size, in its segment, and never brings back one evicted meanwhile', () => {
    const texts = responseTexts({ maxEntries: 200, maxBytes: 64 * 1024 });
    texts.set('map', text(100));
    expect(texts.get('map')).toBe(text(100)); // protected
    texts.replace('map', text(1000));
    expect(texts.calculatedSize).toBe(2000);
    expect(texts.peek('map')).toBe(text(1000));
    texts.replace('gone', text(10));
    expect(texts.peek('gone')).toBeUndefined();
    expect(texts.size).toBe(1);
  });
});
