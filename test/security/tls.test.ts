/**
 * TLS on the server itself (server.tls): HTTPS for REST and the web UI and TLS for gRPC with one
 * certificate (here `selfSigned`, generated into <data.dir>/tls), HSTS sent automatically,
 * plaintext refused on the TLS ports, the CLI and @kaleido/client reaching it with --ca, and bad
 * certificate files refused at start with ERR_BAD_CONFIG.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KaleidoClient } from '@kaleido/client';
import { Agent, fetch as undiciFetch } from 'undici';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadTlsMaterial } from '../../src/adapters/tls-node/index.js';
import { buildCli } from '../../src/cli/main.js';
import { createInferenceGrpcClient } from '../helpers/grpc-client.js';
import { startTestServer, TEST_ADMIN_KEY, type TestServer } from '../helpers/kaleido-server.js';

describe('server.tls.selfSigned: HTTPS and gRPC over TLS', () => {
  let dataDir: string;
  let server: TestServer;
  let certFile: string;
  let ca: Buffer;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kaleido-tls-'));
    server = await startTestServer({
      startupModels: ['add_sub_fp32'],
      auth: {},
      overrides: { 'data.dir': dataDir, 'server.tls.selfSigned': 'true', 'analysis.modalities': 'text' },
    });
    certFile = join(dataDir, 'tls', 'selfsigned-cert.pem');
    ca = readFileSync(certFile);
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('serves REST over HTTPS to a client that trusts the certificate, with HSTS', async () => {
    expect(server.httpUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const dispatcher = new Agent({ connect: { ca } });
    try {
      const res = await undiciFetch(`${server.httpUrl}/v2/models/add_sub_fp32`, {
        headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
        dispatcher,
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { name: string }).name).toBe('add_sub_fp32');
      expect(res.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
      // The typed client, with the same dispatcher.
      const client = new KaleidoClient({
        baseUrl: server.httpUrl,
        apiKey: TEST_ADMIN_KEY,
        fetch: undiciFetch as unknown as typeof fetch,
        dispatcher,
      });
      expect(await client.serverReady()).toBe(true);
    } finally {
      await dispatcher.close();
    }
  });

  it('refuses plain HTTP on the TLS port, and clients that do not trust the certificate', async () => {
    const port = new URL(server.httpUrl).port;
    await expect(fetch(`http://127.0.0.1:${port}/v2/health/live`)).rejects.toThrow();
    await expect(fetch(`${server.httpUrl}/v2/health/live`)).rejects.toThrow();
  });

  it('serves gRPC over TLS with the same certificate, authenticated by metadata', async () => {
    const port = server.grpcTarget.split(':').at(-1) as string;
    const client = createInferenceGrpcClient(`localhost:${port}`, {
      rootCert: ca,
      metadata: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
    });
    const plain = createInferenceGrpcClient(`127.0.0.1:${port}`, {
      metadata: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
    });
    try {
      expect(await client.call('ModelMetadata', { name: 'add_sub_fp32' })).toMatchObject({
        name: 'add_sub_fp32',
      });
      expect((await plain.fail('ServerLive', {})).code).toBe(14); // UNAVAILABLE: no TLS
    } finally {
      client.close();
      plain.close();
    }
  });

  it('the CLI reaches it with --ca (and KALEIDO_CA_FILE), and refuses without', async () => {
    const cli = async (...args: string[]): Promise<string> => {
      let out = '';
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        out += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
        return true;
      });
      try {
        await buildCli()
          .exitOverride()
          .parseAsync(['node', 'kaleido', ...args]);
      } finally {
        spy.mockRestore();
      }
      return out;
    };
    const base = ['--url', server.httpUrl, '--api-key', TEST_ADMIN_KEY];
    expect(await cli('keys', 'list', ...base, '--ca', certFile)).toContain('bootstrap');
    vi.stubEnv('KALEIDO_CA_FILE', certFile);
    try {
      expect(await cli('keys', 'list', ...base)).toContain('bootstrap');
    } finally {
      vi.unstubAllEnvs();
    }
    await expect(cli('keys', 'list', ...base)).rejects.toThrow();
  });

  it('reuses the generated certificate on the next start', async () => {
    const again = await loadTlsMaterial(
      { certFile: '', keyFile: '', caFile: '', selfSigned: true },
      { dataDir },
    );
    expect(again.generated).toBe(false);
    expect(again.cert.equals(ca)).toBe(true);
    expect(again.subjectAltName).toContain('IP Address:127.0.0.1');
  });
});

describe('server.tls with bad files refuses to start (ERR_BAD_CONFIG)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kaleido-tls-bad-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const start = (tls: Record<string, string>) =>
    startTestServer({
      startupModels: [],
      overrides: {
        'analysis.modalities': 'text',
        ...Object.fromEntries(Object.entries(tls).map(([k, v]) => [`server.tls.${k}`, v])),
      },
    });

  it('missing, unreadable, non-PEM and mismatched files', async () => {
    const a = await loadTlsMaterial(
      { certFile: '', keyFile: '', caFile: '', selfSigned: true },
      { dataDir: join(dir, 'a') },
    );
    const b = await loadTlsMaterial(
      { certFile: '', keyFile: '', caFile: '', selfSigned: true },
      { dataDir: join(dir, 'b') },
    );
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate');
    const cases: Array<[Record<string, string>, RegExp]> = [
      [
        { certFile: join(dir, 'missing.pem'), keyFile: a.keyFile },
        /server\.tls\.certFile: cannot read .*ENOENT/,
      ],
      [{ certFile: a.certFile }, /both certFile and keyFile/],
      [{ certFile: junk, keyFile: a.keyFile }, /not a PEM file/],
      [{ certFile: a.certFile, keyFile: b.keyFile }, /does not belong to the certificate/],
      [{ certFile: a.certFile, keyFile: a.keyFile, caFile: junk }, /server\.tls\.caFile/],
      [{ certFile: a.certFile, keyFile: a.keyFile, selfSigned: 'true' }, /not both/],
    ];
    for (const [tls, message] of cases) {
      await expect(start(tls), JSON.stringify(tls)).rejects.toMatchObject({
        code: 'ERR_BAD_CONFIG',
        message,
      });
    }
  });

  it('a configured certificate and key serve HTTPS', async () => {
    const a = await loadTlsMaterial(
      { certFile: '', keyFile: '', caFile: '', selfSigned: true },
      { dataDir: join(dir, 'c') },
    );
    const s = await start({ certFile: a.certFile, keyFile: a.keyFile });
    const dispatcher = new Agent({ connect: { ca: a.cert } });
    try {
      const res = await undiciFetch(`${s.httpUrl}/v2/health/live`, { dispatcher });
      expect(res.status).toBe(200);
    } finally {
      await dispatcher.close();
      await s.close();
    }
  });
});

describe('server.tls.clientCaFile: mutual TLS on HTTPS and gRPC', () => {
  let dataDir: string;
  let server: TestServer;
  let serverCa: Buffer;
  let client: { cert: Buffer; key: Buffer };
  let stranger: { cert: Buffer; key: Buffer };

  /** A CA and one client certificate it issued (CN=probe). */
  async function clientCa(cn: string): Promise<{ ca: string; cert: Buffer; key: Buffer }> {
    const pems = await generate([{ name: 'commonName', value: cn }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, digitalSignature: true, critical: true },
      ],
      clientCertificate: { cn: 'probe' },
    });
    if (pems.clientcert === undefined || pems.clientprivate === undefined)
      throw new Error('no client certificate');
    return { ca: pems.cert, cert: Buffer.from(pems.clientcert), key: Buffer.from(pems.clientprivate) };
  }

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'kaleido-mtls-'));
    const trusted = await clientCa('Kaleido test client CA');
    const other = await clientCa('Some other CA');
    client = { cert: trusted.cert, key: trusted.key };
    stranger = { cert: other.cert, key: other.key };
    const caFile = join(dataDir, 'client-ca.pem');
    writeFileSync(caFile, trusted.ca);
    server = await startTestServer({
      startupModels: ['add_sub_fp32'],
      auth: {},
      overrides: {
        'data.dir': dataDir,
        'server.tls.selfSigned': 'true',
        'server.tls.clientCaFile': caFile,
        'analysis.modalities': 'text',
      },
    });
    serverCa = readFileSync(join(dataDir, 'tls', 'selfsigned-cert.pem'));
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const get = async (identity?: { cert: Buffer; key: Buffer }): Promise<number> => {
    const dispatcher = new Agent({ connect: { ca: serverCa, ...(identity ?? {}) } });
    try {
      const res = await undiciFetch(`${server.httpUrl}/v2/models/add_sub_fp32`, {
        headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
        dispatcher,
      });
      return res.status;
    } finally {
      await dispatcher.close();
    }
  };

  it('HTTPS: a certificate from the trusted CA gets through; none, or another CA’s, fails the handshake', async () => {
    expect(await get(client)).toBe(200);
    await expect(get()).rejects.toThrow();
    await expect(get(stranger)).rejects.toThrow();
  });

  it('the certificate does not replace authentication: without a key it is still 401', async () => {
    const dispatcher = new Agent({ connect: { ca: serverCa, ...client } });
    try {
      const res = await undiciFetch(`${server.httpUrl}/v2/models/add_sub_fp32`, { dispatcher });
      expect(res.status).toBe(401);
    } finally {
      await dispatcher.close();
    }
  });

  it('gRPC: the same rule', async () => {
    const port = server.grpcTarget.split(':').at(-1) as string;
    const metadata = { authorization: `Bearer ${TEST_ADMIN_KEY}` };
    const good = createInferenceGrpcClient(`localhost:${port}`, {
      rootCert: serverCa,
      clientCert: client,
      metadata,
    });
    const none = createInferenceGrpcClient(`localhost:${port}`, { rootCert: serverCa, metadata });
    const other = createInferenceGrpcClient(`localhost:${port}`, {
      rootCert: serverCa,
      clientCert: stranger,
      metadata,
    });
    try {
      expect(await good.call('ModelMetadata', { name: 'add_sub_fp32' })).toMatchObject({
        name: 'add_sub_fp32',
      });
      expect((await none.fail('ServerLive', {})).code).toBe(14); // UNAVAILABLE: handshake refused
      expect((await other.fail('ServerLive', {})).code).toBe(14);
    } finally {
      good.close();
      none.close();
      other.close();
    }
  });

  it('the CLI presents --client-cert/--client-key (or $KALEIDO_CLIENT_CERT/KEY)', async () => {
    const files = {
      ca: join(dataDir, 'tls', 'selfsigned-cert.pem'),
      cert: join(dataDir, 'client-cert.pem'),
      key: join(dataDir, 'client-key.pem'),
    };
    writeFileSync(files.cert, client.cert);
    writeFileSync(files.key, client.key, { mode: 0o600 });
    const cli = async (...args: string[]): Promise<string> => {
      let out = '';
      const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        out += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
        return true;
      });
      try {
        await buildCli()
          .exitOverride()
          .parseAsync(['node', 'kaleido', ...args]);
      } finally {
        spy.mockRestore();
      }
      return out;
    };
    const base = ['keys', 'list', '--url', server.httpUrl, '--api-key', TEST_ADMIN_KEY, '--ca', files.ca];
    expect(await cli(...base, '--client-cert', files.cert, '--client-key', files.key)).toContain('bootstrap');
    vi.stubEnv('KALEIDO_CLIENT_CERT', files.cert);
    vi.stubEnv('KALEIDO_CLIENT_KEY', files.key);
    try {
      expect(await cli(...base)).toContain('bootstrap');
    } finally {
      vi.unstubAllEnvs();
    }
    await expect(cli(...base)).rejects.toThrow();
    await expect(cli(...base, '--client-cert', files.cert)).rejects.toThrow(/go together/);
  });

  it('a clientCaFile that is not a certificate refuses to start', async () => {
    const junk = join(dataDir, 'junk-ca.pem');
    writeFileSync(junk, '-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n');
    await expect(
      loadTlsMaterial(
        { certFile: '', keyFile: '', caFile: '', clientCaFile: junk, selfSigned: true },
        { dataDir: join(dataDir, 'junk') },
      ),
    ).rejects.toMatchObject({ code: 'ERR_BAD_CONFIG', message: /server\.tls\.clientCaFile/ });
  });
});
