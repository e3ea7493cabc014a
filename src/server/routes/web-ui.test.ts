import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sendError } from '../errors.js';
import { registerWebUi, resolveInside } from './web-ui.js';

const INDEX =
  '<!doctype html><html><head><title>Kaleido</title></head><body><div id="root"></div></body></html>';
const BIG_JS = `console.log(${JSON.stringify('kaleido '.repeat(400))});\n`;

let parent: string;
let dir: string;
let app: FastifyInstance;

async function appFor(distDir: string): Promise<FastifyInstance> {
  const a = Fastify({ routerOptions: { ignoreTrailingSlash: true } });
  a.setErrorHandler((err, request, reply) => sendError(request, reply, err));
  await registerWebUi(a, { distDir });
  return a;
}

beforeEach(async () => {
  // The build lies in <parent>/dist; a file beside it stands for what traversal must not reach.
  parent = mkdtempSync(join(tmpdir(), 'kaleido-web-'));
  dir = join(parent, 'dist');
  mkdirSync(join(dir, 'assets'), { recursive: true });
  writeFileSync(join(dir, 'index.html'), INDEX);
  writeFileSync(join(dir, 'assets', 'index-B2x9_kQa.js'), BIG_JS);
  writeFileSync(join(dir, 'assets', 'index-Cq7hN3dE.css'), 'body{color:red}');
  writeFileSync(join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(parent, 'kaleido-web-secret.txt'), 'TOP-SECRET-CONTENT');
  app = await appFor(dir);
});

afterEach(async () => {
  await app.close();
  rmSync(parent, { recursive: true, force: true });
});

describe('registerWebUi', () => {
  it('serves index.html at / with no-cache, an ETag and a content security policy', async () => {
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.headers['content-security-policy']).toContain("script-src 'self'");
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body).toBe(INDEX);
    const again = await app.inject({
      method: 'GET',
      url: '/',
      headers: { 'if-none-match': String(res.headers.etag) },
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('answers index.html for client routes (SPA fallback), with and without sub-paths', async () => {
    for (const url of [
      '/playground',
      '/models',
      '/models/spam_classifier',
      '/monitoring/',
      '/experiments/3',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toBe(INDEX);
    }
  });

  it('does not swallow unknown API paths or other paths', async () => {
    const res = await app.inject({ method: 'GET', url: '/v2/nothing-here' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).not.toContain('text/html');
    expect((await app.inject({ method: 'GET', url: '/api/2.0/other' })).statusCode).toBe(404);
  });

  it('serves hashed assets as immutable with their content type, gzip when accepted', async () => {
    const plain = await app.inject({ method: 'GET', url: '/assets/index-B2x9_kQa.js' });
    expect(plain.statusCode).toBe(200);
    expect(plain.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(BIG_JS);

    const gz = await app.inject({
      method: 'GET',
      url: '/assets/index-B2x9_kQa.js',
      headers: { 'accept-encoding': 'br, gzip' },
    });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gz.headers.vary).toBe('accept-encoding');
    expect(gz.rawPayload.length).toBeLessThan(BIG_JS.length / 4);
    expect(gunzipSync(gz.rawPayload).toString('utf8')).toBe(BIG_JS);

    const refused = await app.inject({
      method: 'GET',
      url: '/assets/index-B2x9_kQa.js',
      headers: { 'accept-encoding': 'gzip;q=0' },
    });
    expect(refused.headers['content-encoding']).toBeUndefined();

    const css = await app.inject({ method: 'GET', url: '/assets/index-Cq7hN3dE.css' });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    // Under the gzip threshold: sent as is.
    expect(css.headers['content-encoding']).toBeUndefined();
  });

  it('serves root files revalidated, and 404s a missing asset instead of answering the page', async () => {
    const icon = await app.inject({ method: 'GET', url: '/favicon.svg' });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['content-type']).toBe('image/svg+xml');
    expect(icon.headers['cache-control']).toBe('no-cache');
    const missing = await app.inject({ method: 'GET', url: '/assets/missing-AAAAAAAA.js' });
    expect(missing.statusCode).toBe(404);
    expect(JSON.parse(missing.body).error.code).toBe('ERR_NOT_FOUND');
  });

  it('refuses path traversal, encoded or not', async () => {
    for (const url of [
      '/assets/..%2f..%2fkaleido-web-secret.txt',
      '/assets/..%2F..%2F..%2Fdist%2F..%2Fkaleido-web-secret.txt',
      '/assets/%2e%2e/%2e%2e/kaleido-web-secret.txt',
      '/assets/..%5c..%5ckaleido-web-secret.txt',
      '/assets/a%00.js',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      expect([400, 404], url).toContain(res.statusCode);
      expect(res.body, url).not.toContain('TOP-SECRET-CONTENT');
    }
  });

  it('picks up a rebuilt index.html without a restart', async () => {
    const first = await app.inject({ method: 'GET', url: '/' });
    writeFileSync(join(dir, 'index.html'), INDEX.replace('Kaleido', 'Kaleido v2'));
    const second = await app.inject({ method: 'GET', url: '/' });
    expect(second.body).toContain('Kaleido v2');
    expect(second.headers.etag).not.toBe(first.headers.etag);
  });

  it('answers a 503 page that says how to build when there is no build', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'kaleido-web-empty-'));
    const bare = await appFor(join(empty, 'dist'));
    try {
      const res = await bare.inject({ method: 'GET', url: '/models' });
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.body).toContain('npm run build');
      const asset = await bare.inject({ method: 'GET', url: '/assets/index-B2x9_kQa.js' });
      expect(asset.statusCode).toBe(503);
      expect(JSON.parse(asset.body).error.code).toBe('ERR_UNAVAILABLE');
    } finally {
      await bare.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('resolveInside', () => {
  it('accepts plain relative paths and refuses everything else', () => {
    expect(resolveInside('/srv/web', 'assets/a.js')).toBe('/srv/web/assets/a.js');
    for (const bad of ['', '../x', 'assets/../../x', './a', 'a//b', 'a\\..\\b', 'a\0b', '/etc/passwd']) {
      expect(resolveInside('/srv/web', bad), JSON.stringify(bad)).toBeUndefined();
    }
  });
});
