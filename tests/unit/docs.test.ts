import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SUBGRAPH_NAMES } from '../../src/federation/names';

/**
 * The docs a newcomer reads (issue 16, item 5): a short README, topic pages in docs/, and nothing in
 * them that the code contradicts where a machine can tell — links, anchors, file paths, environment
 * variables, npm scripts. Prose is checked by people; these are the facts that rot silently.
 */
const ROOT = path.resolve(__dirname, '../..');
const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');

/**
 * Pages other branches are writing while this test lands: a link to one is allowed until it exists.
 * Remove an entry once its page is merged (then its links and anchors are checked like any other).
 */
const PENDING_PAGES: string[] = [];

/** Paths that exist only after a build or a run (git-ignored), which the docs rightly name. */
const GENERATED = [/^dist\//, /^web\/dist(\/|$)/, /^\.data(\/|$)/, /^bench\/results\/[^/]+\.json$/, /^node_modules\//];

const PAGES = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];

/** Markdown without its fenced code blocks (a `#` line in a code block is no heading). */
const withoutFences = (text: string) => text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '');

/** GitHub's anchor of a heading: lower case, punctuation dropped (letters of any script kept), spaces → hyphens. */
function slugOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/<[^>]+>/g, '')
    .replace(/[^\p{L}\p{M}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const match of withoutFences(read(file)).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
    const slug = slugOf(match[1]);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

describe('the README', () => {
  it('is read in ten minutes: at most 200 lines', () => {
    expect(read('README.md').split('\n').length).toBeLessThanOrEqual(200);
  });

  it('links every topic page of docs/', () => {
    const readme = read('README.md');
    const pages = PAGES.filter((p) => p.startsWith('docs/'));
    expect(pages.filter((p) => !readme.includes(`(${p})`))).toEqual([]);
  });
});

describe.each(PAGES)('%s', (page) => {
  const text = read(page);
  const prose = withoutFences(text);
  const dir = path.dirname(page);

  it('links only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const [, target] of prose.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      if (/^[a-z][a-z+.-]*:/i.test(target)) continue; // https:, mailto:
      const [file, anchor] = target.split('#') as [string, string | undefined];
      const resolved = file === '' ? page : path.posix.normalize(path.posix.join(dir, decodeURI(file)));
      if (PENDING_PAGES.includes(resolved)) continue;
      if (!existsSync(path.join(ROOT, resolved))) broken.push(`${target}: no file ${resolved}`);
      else if (anchor !== undefined && resolved.endsWith('.md') && !anchorsOf(resolved).has(decodeURIComponent(anchor))) {
        broken.push(`${target}: no heading #${anchor} in ${resolved}`);
      }
    }
    expect(broken).toEqual([]);
  });

  it('names only repository paths that exist', () => {
    const repoPath = /^(\.ci|\.dependency-cruiser\.cjs|bench|codegen\.ts|datasources|docs|documents|examples|gateway|jest\.config\.js|migrations|package\.json|resolvers|schema|scripts|services|src|supergraph\.graphql|tests|tsconfig[\w.]*\.json|web)(\/[\w.@-]+)*\/?$/;
    const missing = [...prose.matchAll(/`([^`\n]+)`/g)]
      .map((m) => m[1].trim())
      .filter((p) => repoPath.test(p) && !GENERATED.some((g) => g.test(p)))
      .filter((p) => !existsSync(path.join(ROOT, p)));
    expect([...new Set(missing)]).toEqual([]);
  });

  it('runs only npm scripts that package.json has', () => {
    const scripts = Object.keys((JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts);
    const named = [...text.matchAll(/npm run ([\w:-]+)/g)].map((m) => m[1]);
    expect([...new Set(named)].filter((s) => !scripts.includes(s))).toEqual([]);
  });
});

describe('docs/configuration.md', () => {
  const page = read('docs/configuration.md');
  /** Variables in the first column of the page's tables. */
  const documented = new Set(
    [...page.matchAll(/^\|([^|]+)\|/gm)].flatMap((m) => [...m[1].matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((v) => v[1])),
  );
  const config = read('src/config.ts');
  const envSchema = config.slice(config.indexOf('const Env = z.object({'), config.indexOf('});', config.indexOf('const Env = z.object({')));
  const read_ = (text: string) => [...text.matchAll(/\benv\.([A-Z][A-Z0-9_]+)/g)].map((m) => m[1]);
  const inCode = [
    ...[...envSchema.matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]),
    ...read_(read('gateway/config.ts')),
    ...read_(read('src/federation/names.ts')),
    ...SUBGRAPH_NAMES.flatMap((n) => [`${n.toUpperCase()}_SUBGRAPH_PORT`, `${n.toUpperCase()}_SUBGRAPH_URL`]),
    ...[...read('package.json').matchAll(/\$\{([A-Z][A-Z0-9_]+)[:}]/g)].map((m) => m[1]),
  ];

  it('documents every variable the code reads (src/config.ts, gateway/config.ts, federation, start scripts)', () => {
    expect(inCode.length).toBeGreaterThan(60);
    expect([...new Set(inCode)].filter((v) => !documented.has(v))).toEqual([]);
  });

  it('documents only variables the code reads', () => {
    expect([...documented].filter((v) => !inCode.includes(v))).toEqual([]);
  });
});

describe('slugOf', () => {
  it('makes the anchors GitHub makes', () => {
    expect(slugOf('Passes (畅行码), self-checks and person records')).toBe('passes-畅行码-self-checks-and-person-records');
    expect(slugOf('Risk: `CN_2020_COUNTY`')).toBe('risk-cn_2020_county');
    expect(slugOf('Through the federation gateway (issue 9)')).toBe('through-the-federation-gateway-issue-9');
  });
});
