/**
 * Serves the web console (the Vite build in web/dist) from the Kaleido server itself.
 *
 * - `GET /` and the console's client routes (/playground, /models/…, …) answer index.html, so a
 *   reload or a shared link of any page works (SPA fallback). The fallback covers only the
 *   console's own route prefixes, never /v1, /v2, /api or /metrics, whose unknown paths keep
 *   answering the API's JSON 404.
 * - `/assets/*` are Vite's content-hashed files: cached for a year as immutable. index.html is
 *   `no-cache` (revalidated with an ETag), so a new build is picked up on the next load.
 * - Compressible files are sent gzip-compressed when the client accepts it (compressed once per
 *   file version and kept in memory; the whole build is a few hundred kilobytes).
 * - A path that tries to leave the build directory is refused before the file system is touched.
 * - With no build (web/dist/index.html missing), the console's routes answer a 503 page that
 *   says how to build it; the API is unaffected.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { extname, resolve, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { KaleidoError } from '../../core/errors.js';
import { sendError } from '../errors.js';

export interface WebUiOptions {
  /** The Vite build output (holds index.html and assets/). */
  readonly distDir: string;
}

/**
 * The console's client-side routes (first path segment). Keep in step with web/src/routes.ts; the
 * browser end-to-end test reloads every page by URL, which fails if one is missing here.
 */
export const WEB_UI_ROUTES = [
  'playground',
  'models',
  'experiments',
  'datasets',
  'studies',
  'monitoring',
  'admin',
] as const;

/** Files at the root of the build that are served as themselves (Vite copies web/public here). */
export const WEB_UI_ROOT_FILES = ['favicon.svg'] as const;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};
const COMPRESSIBLE = new Set([
  '.html',
  '.js',
  '.mjs',
  '.css',
  '.json',
  '.map',
  '.svg',
  '.txt',
  '.webmanifest',
]);
/** Below this, gzip's header and the extra work are not worth it. */
const MIN_GZIP_BYTES = 1024;
/** Files larger than this are not kept in memory (a build has none; this bounds a mistake). */
const MAX_CACHED_BYTES = 8 * 1024 * 1024;
/** Vite names emitted files `<name>-<hash>.<ext>`; the hash is 8 url-safe base64 characters. */
const HASHED_NAME = /-[A-Za-z0-9_-]{8,}\.[a-z0-9]+$/;

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

/**
 * The console talks only to this origin; nothing is inlined (Vite emits external scripts and
 * stylesheets; React sets styles through the CSSOM, which style-src does not govern). Images and
 * media the user picks are shown from blob: URLs.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "media-src 'self' blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

interface CachedFile {
  readonly mtimeMs: number;
  readonly size: number;
  readonly body: Buffer;
  readonly etag: string;
  gzip?: Buffer;
}

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kaleido console not built</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem;color:#1a1a1a;background:#fff}
code{background:#f0f0f0;padding:.1em .3em;border-radius:3px}@media (prefers-color-scheme:dark){body{color:#eee;background:#121212}code{background:#2a2a2a}}</style>
</head>
<body>
<h1>The web console is not built</h1>
<p>This server has no web console build to serve. Build it once with
<code>npm run build</code> (or only the console: <code>npm run build -w web</code>), then reload
this page; no restart is needed.</p>
<p>The API is running: <a href="/v1/openapi.json">/v1/openapi.json</a> describes it.</p>
</body>
</html>
`;

/**
 * The file a request path names inside `root`, or undefined when the path is not a plain relative
 * path: `..`, `.`, empty segments, backslashes and NUL are refused outright rather than
 * normalised, and the resolved path must still lie inside `root`.
 */
export function resolveInside(root: string, relativePath: string): string | undefined {
  if (relativePath === '' || relativePath.includes('\0') || relativePath.includes('\\')) return undefined;
  const segments = relativePath.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) return undefined;
  const base = resolve(root);
  const target = resolve(base, ...segments);
  return target.startsWith(base + sep) ? target : undefined;
}

const acceptsGzip = (request: FastifyRequest): boolean => {
  const header = request.headers['accept-encoding'];
  if (typeof header !== 'string') return false;
  // "gzip;q=0" explicitly refuses it.
  return header.split(',').some((part) => {
    const [coding, ...params] = part.trim().split(';');
    if (coding?.trim().toLowerCase() !== 'gzip') return false;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
};

export async function registerWebUi(app: FastifyInstance, options: WebUiOptions): Promise<void> {
  const root = resolve(options.distDir);
  const indexPath = resolve(root, 'index.html');
  const cache = new Map<string, CachedFile>();

  /** Reads a file through the cache; undefined when it is not a regular file. */
  async function load(path: string): Promise<CachedFile | undefined> {
    let info;
    try {
      info = await stat(path);
    } catch {
      return undefined;
    }
    if (!info.isFile()) return undefined;
    const cached = cache.get(path);
    if (cached && cached.mtimeMs === info.mtimeMs && cached.size === info.size) return cached;
    const body = await readFile(path);
    const file: CachedFile = {
      mtimeMs: info.mtimeMs,
      size: body.length,
      body,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
    };
    if (body.length <= MAX_CACHED_BYTES) cache.set(path, file);
    return file;
  }

  function send(
    request: FastifyRequest,
    reply: FastifyReply,
    path: string,
    file: CachedFile,
    cacheControl: string,
  ): FastifyReply {
    const ext = extname(path).toLowerCase();
    reply
      .header('content-type', CONTENT_TYPES[ext] ?? 'application/octet-stream')
      .header('cache-control', cacheControl)
      .header('etag', file.etag)
      .header('x-content-type-options', 'nosniff');
    if (ext === '.html') {
      reply
        .header('content-security-policy', CONTENT_SECURITY_POLICY)
        .header('referrer-policy', 'no-referrer')
        .header('x-frame-options', 'DENY');
    }
    const compressible = COMPRESSIBLE.has(ext) && file.size >= MIN_GZIP_BYTES;
    if (compressible) reply.header('vary', 'accept-encoding');
    const ifNoneMatch = request.headers['if-none-match'];
    if (typeof ifNoneMatch === 'string' && ifNoneMatch.split(',').some((t) => t.trim() === file.etag)) {
      return reply.code(304).send();
    }
    if (compressible && acceptsGzip(request)) {
      file.gzip ??= gzipSync(file.body, { level: 9 });
      return reply.code(200).header('content-encoding', 'gzip').send(file.gzip);
    }
    return reply.code(200).send(file.body);
  }

  async function sendIndex(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const index = await load(indexPath);
    if (index === undefined) {
      return reply
        .code(503)
        .header('cache-control', 'no-store')
        .header('retry-after', '30')
        .type('text/html; charset=utf-8')
        .send(NOT_BUILT_PAGE);
    }
    return send(request, reply, indexPath, index, REVALIDATE);
  }

  async function sendFile(
    request: FastifyRequest,
    reply: FastifyReply,
    relativePath: string,
  ): Promise<FastifyReply> {
    const path = resolveInside(root, relativePath);
    if (path === undefined) {
      return sendError(
        request,
        reply,
        new KaleidoError('ERR_BAD_REQUEST', 'the path is not a plain file path inside the web console', {
          details: { field: 'path' },
        }),
      );
    }
    const file = await load(path);
    if (file === undefined) {
      const built = (await load(indexPath)) !== undefined;
      return sendError(
        request,
        reply,
        built
          ? new KaleidoError('ERR_NOT_FOUND', `no file /${relativePath} in the web console build`)
          : new KaleidoError('ERR_UNAVAILABLE', 'the web console is not built: run `npm run build -w web`'),
      );
    }
    const hashed = relativePath.startsWith('assets/') && HASHED_NAME.test(relativePath);
    return send(request, reply, path, file, hashed ? IMMUTABLE : REVALIDATE);
  }

  app.get('/', sendIndex);
  for (const route of WEB_UI_ROUTES) {
    app.get(`/${route}`, sendIndex);
    app.get(`/${route}/*`, sendIndex);
  }
  app.get<{ Params: { '*': string } }>('/assets/*', (request, reply) =>
    sendFile(request, reply, `assets/${request.params['*']}`),
  );
  for (const name of WEB_UI_ROOT_FILES) {
    app.get(`/${name}`, (request, reply) => sendFile(request, reply, name));
  }
}
