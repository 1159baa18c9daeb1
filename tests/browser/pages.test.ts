import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestServer, type TestServer } from '../helpers/server';
import { buildWeb, launchChromium, screenshotDir } from '../helpers/browser';
import { operation } from '../helpers/operations';
import { DEMO_KEYS } from '../../datasources/apiKeys';
import { todayCst } from '../../src/clock';
import { addDays } from '../../src/risk/dates';

const LEVEL_LABEL = { LOW: '低风险', MEDIUM: '中风险', HIGH: '高风险' } as const;
const DEMO_PEOPLE = [
  { name: '王红', idNumber: '420106198805120017', color: 'RED' },
  { name: '李橙', idNumber: '110105199003071239', color: 'ORANGE' },
  { name: '张黄', idNumber: '310104197509214569', color: 'YELLOW' },
  { name: '赵绿', idNumber: '440305200101017896', color: 'GREEN' },
] as const;

let server: TestServer;
let browser: Browser;
let context: BrowserContext;
const shots = screenshotDir();
const today = todayCst();

beforeAll(async () => {
  buildWeb();
  // Partners in trusted-documents mode, as outside tests: the partner page must send manifest documents.
  [server, browser] = await Promise.all([startTestServer({ env: { TRUSTED_DOCUMENTS_ROLES: 'PARTNER' } }), launchChromium()]);
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await server?.close();
});
/** Content-Security-Policy violations reported by any page of the test (src/http/web.ts securityHeaders). */
let violations: string[] = [];
beforeEach(async () => {
  context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  violations = [];
  context.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(`${message.location().url}: ${message.text()}`);
  });
});
afterEach(async () => {
  await context.close();
  // every page works under the server's CSP: nothing it needs was refused
  expect(violations).toEqual([]);
});

async function open(pathname: string): Promise<Page> {
  const page = await context.newPage();
  const failures: string[] = [];
  page.on('pageerror', (e) => failures.push(e.message));
  await page.goto(server.url + pathname);
  (page as Page & { failures?: string[] }).failures = failures;
  return page;
}

/** The level shown in the county table's row for `code`. */
function levelOf(page: Page, code: string) {
  return page.locator(`[data-testid=county-table] tr[data-code="${code}"] [data-testid=level]`);
}

async function dashboard(): Promise<Page> {
  const page = await open('/');
  await page.getByTestId('counts').waitFor();
  return page;
}

describe('the risk dashboard at /', () => {
  it('loads every county of the national list in one query, with the map, the table and the chart', async () => {
    const { body } = await server.gql('{ regions(level: COUNTY, first: 1) { totalCount } }');
    const total: number = body.data.regions.totalCount;
    const requests: string[] = [];
    const page = await context.newPage();
    page.on('request', (r) => r.url().endsWith('/graphql') && requests.push(JSON.parse(r.postData() ?? '{}').operationName ?? '?'));
    await page.goto(server.url + '/');
    await page.getByTestId('counts').waitFor();
    await expect(page.getByTestId('counts').textContent()).resolves.toContain(`共 ${total} 个县级单位`);
    await expect(page.getByTestId('row-count').textContent()).resolves.toContain(`${total} / ${total}`);
    await expect(page.locator('[data-testid=county-table] tbody tr').count()).resolves.toBe(total);
    await page.locator('[data-testid=province-map] canvas').first().waitFor();
    await page.waitForLoadState('networkidle');
    expect(requests.filter((r) => r === 'DashboardCounties')).toHaveLength(1);
    await page.locator('[data-testid=daily-chart][data-state=ready]').waitFor();
    await page.screenshot({ path: path.join(shots, 'dashboard.png') });
  });

  it('drills down from the country into 湖北省 and 武汉市, where 武昌区 shows its level', async () => {
    const { body } = await server.gql('{ region(code: "420106") { name risk { level } } }');
    const page = await dashboard();
    await page.getByTestId('drill').getByRole('button', { name: /湖北省/ }).click();
    await expect(page.getByTestId('crumbs').textContent()).resolves.toContain('湖北省');
    await page.getByTestId('drill').getByRole('button', { name: /武汉市/ }).click();
    await expect(page.getByTestId('crumbs').textContent()).resolves.toContain('武汉市');
    const row = page.locator('[data-testid=county-table] tr[data-code="420106"]');
    await expect(row.textContent()).resolves.toContain('武昌区');
    await expect(levelOf(page, '420106').textContent()).resolves.toBe(LEVEL_LABEL[body.data.region.risk.level as keyof typeof LEVEL_LABEL]);
    await row.click();
    await page.getByTestId('chart-title').filter({ hasText: '武昌区 · 每日新增确诊' }).waitFor();
    const chart = page.locator('[data-testid=daily-chart][data-state=ready]');
    await chart.waitFor();
    expect(Number(await chart.getAttribute('data-total'))).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(shots, 'drilldown-wuhan.png') });
  });

  it('shows the figures of another day when the date changes', async () => {
    const earlier = addDays(today, -40);
    const page = await dashboard();
    const before = await page.getByTestId('counts').textContent();
    await page.getByTestId('as-of').fill(earlier);
    await page.locator(`[data-testid=counts][data-as-of="${earlier}"]`).waitFor();
    await page.locator(`[data-testid=counts][data-as-of="${earlier}"]`, { hasNotText: '更新中' }).waitFor();
    const after = await page.getByTestId('counts').textContent();
    const { body } = await server.gql(`{ regions(level: COUNTY, first: 5000) { nodes { risk(asOf: "${earlier}") { level } } } }`);
    const high = body.data.regions.nodes.filter((n: any) => n.risk.level === 'HIGH').length;
    expect(after).toContain(`高风险 ${high}`);
    expect(after).not.toBe(before);
  });

  it('turns a county MEDIUM on the open page when a HEALTH report arrives, through the subscription', async () => {
    const { body } = await server.gql(
      `{ regions(level: COUNTY, first: 5000) { nodes { code name risk { level } caseSummary(days: 14) { cumulativeConfirmed } } } }`,
    );
    // a county without any case, from the end of the list (other suites report on the first ones)
    const county = [...body.data.regions.nodes].reverse().find((n: any) => n.risk.level === 'LOW' && n.caseSummary.cumulativeConfirmed === 0);
    const page = await dashboard();
    await page.getByTestId('gov-key').fill(DEMO_KEYS.GOV);
    await page.getByTestId('gov-key').press('Enter');
    await page.getByText('实时更新已连接').waitFor();
    await page.getByPlaceholder('按名称或代码筛选').fill(county.code);
    await expect(levelOf(page, county.code).textContent()).resolves.toBe('低风险');
    // The subscribe message follows the connection ack, and the server starts the subscription once
    // LISTEN is in place; a report committed before that is not announced (by design). So under load:
    // MEDIUM, and if the page does not change, back to LOW and MEDIUM again (every change is announced).
    await page.waitForTimeout(500);
    const medium = levelOf(page, county.code).filter({ hasText: '中风险' });
    for (let attempt = 0; attempt < 5; attempt++) {
      const report = await server.gql(
        operation('ReportDailyCases'),
        { input: [{ regionCode: county.code, date: today, newConfirmed: attempt % 2 === 0 ? 3 : 0 }] },
        { authorization: `Bearer ${DEMO_KEYS.HEALTH}` },
      );
      expect(report.body.data.reportDailyCases).toEqual({ accepted: 1, userErrors: [] });
      if (attempt % 2 === 0 && (await medium.waitFor({ timeout: 6_000 }).then(() => true, () => false))) break;
      if (attempt % 2 === 1) await page.waitForTimeout(1_000);
    }
    await medium.waitFor({ timeout: 1_000 });
    await expect(page.getByTestId('live-events').textContent()).resolves.toContain(`${county.name}：低风险 → 中风险`);
    await page.getByTestId('import-risk').waitFor();
    await page.screenshot({ path: path.join(shots, 'live-update.png') });
  });

  it('downloads the daily CSV export of the drilled-down province with the GOV key', async () => {
    const page = await dashboard();
    await page.getByTestId('gov-key').fill(DEMO_KEYS.GOV);
    await page.getByTestId('gov-key').press('Enter');
    await page.getByTestId('drill').getByRole('button', { name: /湖北省/ }).click();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
    expect(download.suggestedFilename()).toBe(`daily-420000-${today}.csv`);
    const csv = readFileSync((await download.path())!, 'utf8').replace(/^\uFEFF/, '');
    const [header, ...rows] = csv.trim().split('\r\n');
    expect(header).toMatch(/^region_code,region_name,level,parent_code,date,/);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.startsWith('42') && r.includes(',COUNTY,'))).toBe(true);
    expect(rows.some((r) => r.startsWith('420106,武昌区,'))).toBe(true);
  });
});

describe('security headers', () => {
  it('come with every page: CSP (no framing, scripts of this origin only), X-Frame-Options, nosniff, Referrer-Policy', async () => {
    for (const pathname of ['/', '/pass', '/partner', '/explorer']) {
      const res = await fetch(server.url + pathname);
      expect(res.status).toBe(200);
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("default-src 'self'");
      expect(csp).not.toContain('unsafe-eval');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    }
  });

  it('keep the pass page out of any frame', async () => {
    const page = await context.newPage();
    // 'none': not even a page of this origin may frame it (chromium refuses local pages of other
    // origins anyway, so a page of ours, intercepted, is the framing page that tells the two apart)
    const attacker = `${server.url}/framing-page`;
    await page.route(attacker, (route) => route.fulfill({ contentType: 'text/html', body: `<iframe src="${server.url}/pass"></iframe>` }));
    const framed = page.waitForEvent('console', { predicate: (m) => /frame-ancestors|X-Frame-Options/.test(m.text()), timeout: 5000 }).then(
      () => true,
      () => false,
    );
    await page.goto(attacker);
    expect(await framed).toBe(true);
    // a refused frame has none of our page: chromium puts its own error page there
    const frame = page.frames().find((f) => f !== page.mainFrame());
    const scripts = frame ? await frame.evaluate(() => (globalThis as any).document.querySelectorAll('script[src*="/assets/"]').length).catch(() => 0) : 0;
    expect(scripts).toBe(0);
    // the refusal itself is reported on the console: not a violation of one of our pages
    violations = [];
  });
});

describe('the pass pages', () => {
  it('give the four demo people their colours, and a partner sees the same colours with masked names', async () => {
    const holder = await open('/pass');
    const tokens: string[] = [];
    for (const person of DEMO_PEOPLE) {
      await holder.getByTestId('name').fill(person.name);
      await holder.getByTestId('id-number').fill(person.idNumber);
      await holder.getByTestId('issue').click();
      await holder.locator(`[data-testid=pass][data-color="${person.color}"]`).waitFor();
      await expect(holder.getByTestId('reason').textContent()).resolves.not.toBe('');
      if (person.color === 'RED') await holder.screenshot({ path: path.join(shots, 'pass-holder.png') });
      tokens.push(await holder.getByTestId('token').inputValue());
    }

    const partner = await open('/partner');
    await partner.getByTestId('partner-key').fill(DEMO_KEYS.PARTNER);
    await partner.getByTestId('tokens').fill(tokens.join('\n'));
    await partner.getByTestId('check').click();
    await partner.getByTestId('checks').waitFor();
    const rows = partner.locator('[data-testid=checks] tbody tr');
    await expect(rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-color')))).resolves.toEqual(DEMO_PEOPLE.map((p) => p.color));
    const names = await rows.evaluateAll((trs) => trs.map((tr) => tr.children[2]!.textContent));
    expect(names.every((n, i) => n!.startsWith(DEMO_PEOPLE[i]!.name[0]!) && n!.includes('*') && n !== DEMO_PEOPLE[i]!.name)).toBe(true);
    await partner.screenshot({ path: path.join(shots, 'pass-partner.png') });
  });

  it('shows a wrong check digit as an error a person can act on', async () => {
    const holder = await open('/pass');
    await holder.getByTestId('name').fill('李橙');
    await holder.getByTestId('id-number').fill('110105199003071238');
    await holder.getByTestId('issue').click();
    await expect(holder.getByTestId('error').textContent()).resolves.toMatch(/check (character|digit)/i);
  });
});

describe('the explorer at /explorer', () => {
  it('is GraphiQL from the bundle with the contract operations as tabs, and runs one', async () => {
    const external: string[] = [];
    const page = await context.newPage();
    page.on('request', (r) => !r.url().startsWith(server.url) && !r.url().startsWith('data:') && external.push(r.url()));
    // GraphiQL runs a query only once it has the schema, and on the tab its editor shows
    const introspected = page.waitForResponse((r) => (r.request().postData() ?? '').includes('IntrospectionQuery'));
    await page.goto(server.url + '/explorer');
    await introspected;
    await page.getByRole('tab', { name: /CountyInflows/ }).click();
    await page.locator('.graphiql-query-editor').getByText('query CountyInflows').waitFor();
    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/graphql') && (r.request().postData() ?? '').includes('CountyInflows')),
      page.locator('.graphiql-execute-button').click(),
    ]);
    const result = await response.json();
    expect(result.errors).toBeUndefined();
    expect(result.data.region).toMatchObject({ code: '420106', name: '武昌区', importRisk: { model: expect.any(String) } });
    await page.locator('.result-window').getByText('"武昌区"').first().waitFor();
    expect(external).toEqual([]);
    await page.screenshot({ path: path.join(shots, 'explorer.png') });
  });

  it('runs the riskLevelChanged subscription over the websocket with the key of its headers', async () => {
    const { body } = await server.gql(`{ regions(level: COUNTY, first: 5000) { nodes { code risk { level } caseSummary(days: 14) { cumulativeConfirmed } } } }`);
    const quiet = body.data.regions.nodes.filter((n: any) => n.risk.level === 'LOW' && n.caseSummary.cumulativeConfirmed === 0);
    const county = quiet[quiet.length - 2];
    const page = await context.newPage();
    const introspected = page.waitForResponse((r) => (r.request().postData() ?? '').includes('IntrospectionQuery'));
    await page.goto(server.url + '/explorer');
    await introspected;
    await page.getByRole('tab', { name: /DashboardRiskLevelChanged/ }).click();
    // The tab switch is asynchronous in GraphiQL: wait until its query editor holds the subscription.
    await page.waitForFunction(() =>
      [...(globalThis as any).document.querySelectorAll('.graphiql-query-editor .CodeMirror')].some((el: any) => /\bsubscription\b/.test((el as any).CodeMirror.getValue())),
    );
    const editor = page.locator('.graphiql-editor-tool .graphiql-editor').filter({ hasText: 'regionCodes' }).locator('.CodeMirror');
    await editor.evaluate((el, code) => (el as any).CodeMirror.setValue(JSON.stringify({ regionCodes: [code] })), county.code);
    const socket = page.waitForEvent('websocket', { timeout: 40_000 });
    const subscribed = socket.then((ws) => ws.waitForEvent('framesent', { predicate: (f) => String(f.payload).includes('"subscribe"'), timeout: 15_000 }));
    // Under load a first click can land before GraphiQL has settled on the tab (it then runs nothing
    // over the socket): click again only while no socket has opened, never to stop a running one.
    let opened = false;
    void socket.then(() => (opened = true), () => undefined);
    for (let attempt = 0; attempt < 4 && !opened; attempt++) {
      await page.locator('.graphiql-execute-button').click();
      await Promise.race([socket.catch(() => undefined), page.waitForTimeout(8_000)]);
    }
    await subscribed;
    // The frame is sent; the server starts the subscription once the key is checked and LISTEN is in
    // place. A report committed before that is not announced (by design), so under load the county
    // is turned MEDIUM, and if nothing arrives, back to LOW and again: every change is announced.
    const arrived = page.locator('.result-window').getByText('"previousLevel"');
    for (let attempt = 0; attempt < 4; attempt++) {
      const newConfirmed = attempt % 2 === 0 ? 2 : 0;
      await server.gql(operation('ReportDailyCases'), { input: [{ regionCode: county.code, date: today, newConfirmed }] }, { authorization: `Bearer ${DEMO_KEYS.HEALTH}` });
      if (await arrived.waitFor({ timeout: 6_000 }).then(() => true, () => false)) break;
    }
    await arrived.waitFor({ timeout: 1_000 });
    await expect(page.locator('.result-window').textContent()).resolves.toContain(county.code);
  });

  it('is not served with EXPLORER=off (the default in production), while the dashboard still is', async () => {
    const off = await startTestServer({ env: { EXPLORER: 'off' } });
    try {
      expect((await fetch(off.url + '/explorer')).status).toBe(404);
      expect((await fetch(off.url + '/graphql', { headers: { accept: 'text/html' }, redirect: 'manual' })).status).not.toBe(302);
      expect((await fetch(off.url + '/')).status).toBe(200);
    } finally {
      await off.close();
    }
  });

  it('is where a browser opening /graphql lands, while API clients still get GraphQL', async () => {
    const res = await fetch(server.url + '/graphql', { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect([res.status, res.headers.get('location')]).toEqual([302, '/explorer']);
    await expect(server.gql('{ region(code: "420106") { name } }')).resolves.toMatchObject({ status: 200, body: { data: { region: { name: '武昌区' } } } });
  });
});
