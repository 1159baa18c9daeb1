import { subgraphHost, subgraphUrls } from '../../src/federation/names';

describe('where the gateway finds subgraphs and where they listen', () => {
  it('defaults to 127.0.0.1 and the documented ports', () => {
    expect(subgraphUrls({})).toEqual({
      region: 'http://127.0.0.1:4101/graphql',
      case: 'http://127.0.0.1:4102/graphql',
      mobility: 'http://127.0.0.1:4103/graphql',
      person: 'http://127.0.0.1:4104/graphql',
    });
    expect(subgraphHost({})).toBe('127.0.0.1');
  });

  it('takes <NAME>_SUBGRAPH_URL for subgraphs in containers, and <NAME>_SUBGRAPH_PORT otherwise', () => {
    const urls = subgraphUrls({ PERSON_SUBGRAPH_URL: 'http://person:4104/graphql', CASE_SUBGRAPH_PORT: '5102' });
    expect(urls.person).toBe('http://person:4104/graphql');
    expect(urls.case).toBe('http://127.0.0.1:5102/graphql');
    expect(urls.region).toBe('http://127.0.0.1:4101/graphql');
  });

  it('refuses a subgraph URL that is not an http(s) URL', () => {
    expect(() => subgraphUrls({ REGION_SUBGRAPH_URL: 'region:4101' })).toThrow(/REGION_SUBGRAPH_URL must be an http\(s\) URL/);
    expect(() => subgraphUrls({ REGION_SUBGRAPH_URL: 'not a url' })).toThrow(/REGION_SUBGRAPH_URL must be a URL/);
  });

  it('binds off loopback only with a configured secret: the secret is then all that guards a subgraph', () => {
    expect(() => subgraphHost({ SUBGRAPH_HOST: '0.0.0.0' })).toThrow(/set SUBGRAPH_SECRET/);
    expect(() => subgraphHost({ SUBGRAPH_HOST: '0.0.0.0', SUBGRAPH_SECRET: 'short' })).toThrow(/set SUBGRAPH_SECRET/);
    expect(subgraphHost({ SUBGRAPH_HOST: '0.0.0.0', SUBGRAPH_SECRET: 'x'.repeat(32) })).toBe('0.0.0.0');
    expect(subgraphHost({ SUBGRAPH_HOST: '::1' })).toBe('::1');
  });
});
