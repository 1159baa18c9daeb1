import path from 'node:path';
import { defineConfig } from 'vite';

const root = path.dirname(new URL(import.meta.url).pathname);

/** Four pages (dashboard, holder pass, partner check, explorer) built into web/dist; src/http/web.ts serves them. */
export default defineConfig({
  root,
  base: '/',
  logLevel: 'warn',
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
