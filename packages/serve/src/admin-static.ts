// The admin page at /admin/: the static files @feather-db/admin built, served without a key (they hold no
// data; every data call the page makes carries the key), with headers that keep the page to its own origin.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { FeatherError } from 'feather-db';
import { sendError } from './error-to-http.js';

/**
 * Scripts, styles and data calls only from this origin; no inline script, no framing, no referrer (a record id
 * in the page's hash would otherwise travel to another site with a click).
 */
const kSecurityHeaders: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
});

/** The folder @feather-db/admin builds into, or undefined when that package is not installed. */
export function defaultAdminRoot(): string | undefined {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('@feather-db/admin/package.json')), 'dist');
  } catch {
    return undefined;
  }
}

/**
 * Serves `root` at /admin/ (and redirects /admin there). Without a built page there (no index.html), /admin/
 * answers a 404 that says how to build it. Registered in its own encapsulated context, so its routes alone skip the key.
 */
export function registerAdmin(app: FastifyInstance, root: string | undefined): void {
  void app.register(async (admin) => {
    // onRoute hooks are encapsulated: this one marks only the routes registered below.
    admin.addHook('onRoute', (route) => {
      route.config = { ...route.config, auth: false };
    });
    admin.addHook('onSend', async (_request, reply) => {
      void reply.headers(kSecurityHeaders);
    });
    admin.get('/admin', (_request, reply) => reply.redirect('/admin/', 301));
    if (root === undefined || !existsSync(join(root, 'index.html'))) {
      admin.get('/admin/*', (_request, reply) =>
        sendError(
          reply,
          new FeatherError(
            'FEATHER_ERR_NOT_FOUND',
            'the admin page is not built: run `npx -y pnpm@10.34.8 build` (it builds packages/admin into its dist/ folder), then restart feather-serve',
          ),
        ),
      );
      return;
    }
    await admin.register(fastifyStatic, {
      root,
      prefix: '/admin/',
      index: 'index.html',
      dotfiles: 'deny',
      decorateReply: false,
      // Hashed file names under assets/ never change content; index.html must be revalidated to pick up a new build.
      setHeaders: (reply, path) => {
        void reply.header('cache-control', /[\\/]assets[\\/]/.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache');
      },
    });
  });
}
