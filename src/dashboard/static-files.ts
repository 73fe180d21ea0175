import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { AppError } from '../errors.js';

/** `dashboard/dist/` of the package, from `src/dashboard/` and from `dist/dashboard/` alike. */
export const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../dashboard/dist/', import.meta.url));

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Centinela</title></head>
<body style="font-family:system-ui;max-width:40rem;margin:3rem auto;line-height:1.5">
<h1>Centinela</h1><p>The dashboard has not been built. Run <code>npm run build:dashboard</code>
(<code>npm install</code> does it) and reload. The API is running: see <a href="/docs">/docs</a>.</p></body></html>`;

/**
 * Serves the built dashboard: `/` is its `index.html`, `/assets/*` its hashed bundles
 * (cached for a year). Public: the page holds no data; every data call it makes carries
 * the signed-in key.
 */
export function staticRoutes(app: FastifyInstance, dir: string): void {
  const index = join(dir, 'index.html');
  const hide = { hide: true } as const;
  app.get('/', { config: { access: 'public' }, schema: hide }, async (_request, reply) => {
    if (!existsSync(index)) return html(reply, NOT_BUILT, 200);
    return html(reply, await readFile(index, 'utf8'), 200);
  });
  app.get<{ Params: { '*': string } }>(
    '/assets/*',
    { config: { access: 'public' }, schema: hide },
    async (request, reply) => {
      const file = safeJoin(join(dir, 'assets'), request.params['*']);
      if (!file || !existsSync(file)) throw new AppError('NOT_FOUND', 'No such dashboard asset.');
      return reply
        .type(TYPES[extname(file)] ?? 'application/octet-stream')
        .header('cache-control', 'public, max-age=31536000, immutable')
        .send(await readFile(file));
    },
  );
}

function html(reply: FastifyReply, body: string, status: number) {
  return reply
    .status(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-cache')
    .header(
      'content-security-policy',
      "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'",
    )
    .send(body);
}

/** `root/relative` when it stays inside `root`; undefined for `..` tricks. */
function safeJoin(root: string, relative: string): string | undefined {
  const path = normalize(join(root, relative));
  return path.startsWith(root + sep) ? path : undefined;
}
