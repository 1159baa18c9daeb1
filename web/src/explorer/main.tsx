import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { Kind, parse, print, type OperationDefinitionNode } from 'graphql';
import 'graphiql/style.css';
import { addDays, canonicalFetch, todayCst, wsUrl } from '../api';

/**
 * GraphiQL from npm (bundled by Vite, nothing from a CDN): works on an intranet with no internet.
 * Each contract operation of examples/operations is a tab with example variables and the
 * Authorization header of the role that runs it (demo keys exist outside production); the last tab
 * is the dashboard's riskLevelChanged subscription.
 */
const files = {
  ...import.meta.glob('../../../examples/operations/*.graphql', { query: '?raw', import: 'default', eager: true }),
  // and the dashboard's live updates, to try a subscription
  ...import.meta.glob('../operations/live.graphql', { query: '?raw', import: 'default', eager: true }),
} as Record<string, string>;

const today = todayCst();
const EXAMPLES: Record<string, { variables?: Record<string, unknown>; key?: string }> = {
  NationalRiskMap: { variables: { asOf: today } },
  ProvinceDrilldown: { variables: { code: '420000', from: addDays(today, -13), to: today } },
  CountyInflows: { variables: { code: '420106', days: 14 }, key: 'demo-gov' },
  PersonRecord: { variables: { idNumber: '420106198805120017' }, key: 'demo-health' },
  ReportDailyCases: { variables: { input: [{ regionCode: '420106', date: today, newConfirmed: 1 }] }, key: 'demo-health' },
  ReportCluster: { variables: { input: { regionCode: '420106', detectedOn: today, size: 3 } }, key: 'demo-health' },
  CheckPass: { variables: { token: 'paste a token from IssuePass' }, key: 'demo-partner' },
  CheckPasses: { variables: { tokens: ['paste tokens from IssuePass'] }, key: 'demo-partner' },
  IssuePass: { variables: { name: '王红', idNumber: '420106198805120017' } },
  CloseContactCheck: { variables: { name: '李橙', idNumber: '110105199003071239' } },
  DashboardRiskLevelChanged: { variables: { regionCodes: ['420000'] }, key: 'demo-gov' },
};

// contract operations first (by file), then the page's subscription
const tabs = Object.keys(files)
  .sort((a, b) => Number(a.startsWith('../operations')) - Number(b.startsWith('../operations')) || a.localeCompare(b))
  .flatMap((file) =>
    parse(files[file]!)
      .definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)
      .map((op) => {
        const example = EXAMPLES[op.name?.value ?? ''] ?? {};
        return {
          query: `# ${file.split('/').pop()}\n${print(op)}\n`,
          variables: JSON.stringify(example.variables ?? {}, null, 2),
          headers: JSON.stringify(example.key ? { Authorization: `Bearer ${example.key}` } : {}, null, 2),
        };
      }),
  );

/**
 * One fetcher per Authorization header: graphql-ws sends the key once, in `connectionParams`, so
 * subscriptions use the header of the tab that runs them (queries send it with every request anyway).
 */
const fetchers = new Map<string, ReturnType<typeof createGraphiQLFetcher>>();
function fetcherFor(authorization: string) {
  let found = fetchers.get(authorization);
  if (!found) {
    found = createGraphiQLFetcher({
      url: '/graphql',
      subscriptionUrl: wsUrl(),
      wsConnectionParams: authorization ? { authorization } : {},
      fetch: canonicalFetch,
    });
    fetchers.set(authorization, found);
  }
  return found;
}

/**
 * GraphiQL 4 keeps the operation name of the tab it started on when one switches to a preset tab (or
 * sends none): a name the tab's document does not define becomes the document's own when it has one
 * operation, which is also how the toolkit tells a subscription (websocket) from the rest.
 */
const fetcher: ReturnType<typeof createGraphiQLFetcher> = (params, options) => {
  const name = params.operationName;
  if (!name || !new RegExp(`\\b(query|mutation|subscription)\\s+${name}\\b`).test(params.query)) {
    const names = [...params.query.matchAll(/\b(?:query|mutation|subscription)\s+([_A-Za-z]\w*)/g)].map((m) => m[1]);
    params = { ...params, operationName: names.length === 1 ? names[0] : undefined };
  }
  const headers = (options?.headers ?? {}) as Record<string, string>;
  const authorization = Object.entries(headers).find(([k]) => k.toLowerCase() === 'authorization')?.[1] ?? '';
  return fetcherFor(authorization)(params, options);
};

createRoot(document.getElementById('root')!).render(
  <div style={{ height: '100vh' }}>
    <GraphiQL fetcher={fetcher} defaultTabs={tabs} isHeadersEditorEnabled defaultEditorToolsVisibility="headers" shouldPersistHeaders={false} />
  </div>,
);
