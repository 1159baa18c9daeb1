import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { type Request, type Response, type NextFunction, type RequestHandler } from 'express';
import helmet from 'helmet';
import { projectPath } from '../paths';
import { compressResponses } from './compression';

/** Where `npm run build:web` (Vite) writes the pages: web/dist at the project root. */
export const WEB_DIST = projectPath('web', 'dist');

/**
 * The built pages, served like any static site: the dashboard at `/`, the holder's pass page at
 * `/pass`, the partner's check at `/partner`, and GraphiQL at `/explorer` when `explorer` is on
 * (outside production, or EXPLORER=on). They use the API only through /graphql (and /export), as an
 * outside team's pages would. Assets have hashed names, so they may be cached for long; the HTML not.
 */
export function webRoutes(options: { explorer: boolean; dist?: string }): express.Router {
  const dist = options.dist ?? WEB_DIST;
  const router = express.Router();
  // the pages and their assets compressed as they are sent (src/http/compression.ts)
  const compress = compressResponses();
  const page = (file: string) => (_req: Request, res: Response) => {
    const full = path.join(dist, file);
    if (!existsSync(full)) {
      res.status(503).type('text/plain').send('The web pages are not built: run `npm run build:web` (npm start builds them when missing).\n');
      return;
    }
    res.set('cache-control', 'no-cache').sendFile(full);
  };
  router.get('/', compress, page('index.html'));
  router.get('/pass', compress, page('pass.html'));
  router.get('/partner', compress, page('partner.html'));
  if (options.explorer) {
    router.get('/explorer', compress, page('explorer.html'));
    // A browser opening /graphql gets the explorer; API clients (Accept: application/json…) are untouched.
    router.get('/graphql', (req: Request, res: Response, next: NextFunction) => {
      const accept = req.headers.accept ?? '';
      if (req.query.query === undefined && accept.includes('text/html')) res.redirect(302, '/explorer');
      else next();
    });
  }
  router.use('/assets', compress, express.static(path.join(dist, 'assets'), { immutable: true, maxAge: '365d', fallthrough: false }));
  return router;
}

/**
 * Security headers of every answer (helmet 8), for the pages above all: a Content-Security-Policy
 * that lets a page load scripts, styles, images and fonts only from this origin (no inline or
 * injected script, no plugin, no <base> or form posts elsewhere), talk only to this origin (fetch,
 * and the live updates' WebSocket: CSP 3 lets 'self' match ws: of the same host), and be framed by
 * nobody (`frame-ancestors 'none'`, and X-Frame-Options DENY for browsers without CSP 3): the pass
 * page and the partner check must not be clickjacked inside another site. `nosniff`, and no Referer
 * at all (a page's URL may carry a region code a user chose; nothing of ours needs it elsewhere).
 * Styles may be inline: React, ECharts and GraphiQL set element styles; scripts may not.
 * Helmet's `upgrade-insecure-requests` is left out: TLS is the proxy's, and the development server
 * answers plain HTTP on any host. tests/browser/pages.test.ts fails on any CSP violation.
 */
export function securityHeaders(): RequestHandler {
  const strict = headersWith(["'self'"]);
  // /partner decodes QR codes with WebAssembly where the browser has no BarcodeDetector (zxing-wasm):
  // 'wasm-unsafe-eval' lets it compile WebAssembly, and still no JavaScript eval. No other page gets it.
  const partner = headersWith(["'self'", "'wasm-unsafe-eval'"]);
  return (req, res, next) => (req.path === '/partner' ? partner : strict)(req, res, next);
}

function headersWith(scriptSrc: string[]): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: true,
      directives: {
        'default-src': ["'self'"],
        'connect-src': ["'self'"],
        'script-src': scriptSrc,
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
        'font-src': ["'self'", 'data:'],
        'frame-ancestors': ["'none'"],
        'upgrade-insecure-requests': null,
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
}
