import { negotiateEncoding } from '../../src/http/compression';
import { cacheControlFor, entityTag, notModified, representationTag } from '../../src/http/conditional';

describe('negotiateEncoding', () => {
  it.each([
    [undefined, 'identity'],
    ['', 'identity'],
    ['br', 'br'],
    ['gzip', 'gzip'],
    ['gzip, deflate, br', 'br'], // ours preferred among equals
    ['br, gzip', 'br'],
    ['gzip;q=1, br;q=0.5', 'gzip'], // the client's q-values first
    ['br;q=0, gzip', 'gzip'],
    ['br;q=0, gzip;q=0', 'identity'],
    ['identity', 'identity'],
    ['compress, x-unknown', 'identity'],
    ['*', 'br'],
    ['*;q=0.1, gzip', 'gzip'],
    [['gzip', 'br;q=0'], 'gzip'],
  ])('Accept-Encoding %p → %s', (header, expected) => {
    expect(negotiateEncoding(header as string | string[] | undefined)).toBe(expected);
  });
});

describe('entity tags and 304s', () => {
  it('gives each coding of one body its own strong tag', () => {
    const tag = entityTag('{"data":{}}\n');
    expect(tag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(representationTag(tag, 'identity')).toBe(tag);
    expect(representationTag(tag, 'br')).toBe(`${tag.slice(0, -1)}-br"`);
    expect(representationTag(tag, 'gzip')).toBe(`${tag.slice(0, -1)}-gz"`);
    expect(entityTag('{"data":{"a":1}}\n')).not.toBe(tag);
  });

  it('is not modified when If-None-Match names the tag (weakly, in a list, or *), unless the client says no-cache', () => {
    const tag = '"abc-br"';
    expect(notModified({ ifNoneMatch: '"abc-br"' }, tag)).toBe(true);
    expect(notModified({ ifNoneMatch: 'W/"abc-br"' }, tag)).toBe(true);
    expect(notModified({ ifNoneMatch: '"x", "abc-br"' }, tag)).toBe(true);
    expect(notModified({ ifNoneMatch: '*' }, tag)).toBe(true);
    expect(notModified({ ifNoneMatch: '"abc"' }, tag)).toBe(false); // another coding's tag
    expect(notModified({ ifNoneMatch: '"abc-br"', cacheControl: 'no-cache' }, tag)).toBe(false);
    expect(notModified({}, tag)).toBe(false);
  });
});

describe('cacheControlFor', () => {
  const base = { method: 'GET', keyed: false, personal: false, aggregate: true, errors: false };
  it('lets shared caches keep public aggregates briefly, browsers revalidate, and keeps personal data out of every cache', () => {
    expect(cacheControlFor(base)).toBe('public, max-age=0, s-maxage=10, stale-while-revalidate=20');
    expect(cacheControlFor({ ...base, keyed: true })).toBe('private, no-cache');
    expect(cacheControlFor({ ...base, aggregate: false })).toBe('no-cache');
    expect(cacheControlFor({ ...base, personal: true })).toBe('no-store');
    expect(cacheControlFor({ ...base, keyed: true, personal: true })).toBe('no-store');
    expect(cacheControlFor({ ...base, errors: true })).toBe('no-store');
    expect(cacheControlFor({ ...base, method: 'POST' })).toBe('no-store');
  });
});
