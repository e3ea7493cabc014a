import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../core/errors.js';
import { ENV_VARIABLES, envNameOf, loadConfig } from './load.js';

const tmpFile = (name: string, text: string): string => {
  const p = join(mkdtempSync(join(tmpdir(), 'kaleido-config-')), name);
  writeFileSync(p, text);
  return p;
};

const failure = (fn: () => unknown): KaleidoError => {
  try {
    fn();
  } catch (e) {
    if (e instanceof KaleidoError) return e;
    throw e;
  }
  throw new Error('expected a KaleidoError');
};

describe('loadConfig', () => {
  it('gives documented defaults', () => {
    const c = loadConfig();
    expect(c.server.httpPort).toBe(8080);
    expect(c.server.grpcPort).toBe(8081);
    expect(c.server.host).toBe('127.0.0.1');
    expect(c.metadata.url).toBe('sqlite:kaleido.db');
    expect(Object.isFrozen(c.server)).toBe(true);
  });

  it('applies file < env < overrides', () => {
    const file = tmpFile('k.yaml', 'server:\n  httpPort: 9000\n  grpcPort: 9001\nlog:\n  level: debug\n');
    const c = loadConfig({
      file,
      env: { KALEIDO_SERVER_GRPC_PORT: '9101', KALEIDO_MODELS_REPOSITORIES: 'a, b', UNRELATED: 'x' },
      overrides: { 'log.level': 'warn' },
    });
    expect(c.server.httpPort).toBe(9000);
    expect(c.server.grpcPort).toBe(9101);
    expect(c.models.repositories).toEqual(['a', 'b']);
    expect(c.log.level).toBe('warn');
  });

  it('reads the file named by KALEIDO_CONFIG', () => {
    const file = tmpFile('k.yaml', 'server: { httpPort: 1234 }');
    expect(loadConfig({ env: { KALEIDO_CONFIG: file } }).server.httpPort).toBe(1234);
  });

  it('names the field of a bad value', () => {
    const e = failure(() => loadConfig({ env: { KALEIDO_SERVER_HTTP_PORT: 'eighty' } }));
    expect(e.code).toBe('ERR_BAD_CONFIG');
    expect(e.message).toContain('KALEIDO_SERVER_HTTP_PORT');
    const e2 = failure(() => loadConfig({ file: tmpFile('k.yaml', 'server:\n  httpPort: 70000\n') }));
    expect(e2.message).toContain('server.httpPort');
    const e3 = failure(() => loadConfig({ file: tmpFile('k.yaml', 'server:\n  htpPort: 1\n') }));
    expect(e3.message).toContain('server.htpPort');
    const e4 = failure(() => loadConfig({ overrides: { 'server.nope': '1' } }));
    expect(e4.message).toContain('server.nope');
    const e5 = failure(() => loadConfig({ env: { KALEIDO_SERVER_GRPC_ENABLED: 'maybe' } }));
    expect(e5.message).toContain('KALEIDO_SERVER_GRPC_ENABLED');
  });

  it('refuses unreadable or malformed files', () => {
    expect(failure(() => loadConfig({ file: '/nonexistent/k.yaml' })).code).toBe('ERR_BAD_CONFIG');
    expect(failure(() => loadConfig({ file: tmpFile('k.yaml', '- a\n- b\n') })).message).toContain('mapping');
    expect(failure(() => loadConfig({ file: tmpFile('k.yaml', 'a: [\n') })).code).toBe('ERR_BAD_CONFIG');
  });

  it('lists every env variable', () => {
    expect(envNameOf(['server', 'httpPort'])).toBe('KALEIDO_SERVER_HTTP_PORT');
    expect(ENV_VARIABLES.map((v) => v.env)).toContain('KALEIDO_METADATA_URL');
  });
});
