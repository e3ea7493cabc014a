/**
 * The gRPC server's security hooks with a real @grpc/grpc-js client (test/helpers/grpc-client.ts,
 * built from the published proto): the guard runs before every handler (unary and streaming) and
 * its refusals travel as gRPC statuses with the catalog's code, and TLS serves with a generated
 * certificate while plaintext clients are refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInferenceGrpcClient } from '../../../test/helpers/grpc-client.js';
import { loadTlsMaterial, type TlsMaterial } from '../../adapters/tls-node/index.js';
import { KaleidoError } from '../../core/errors.js';
import type { InferenceService } from '../../core/ports/inference.js';
import type { Principal } from '../../core/security/principal.js';
import { openRoutesFor } from '../security/route-table.js';
import { createGrpcGuard } from '../security/grpc-guard.js';
import { createGrpcServer, type GrpcLogger, type GrpcServer } from './grpc-server.js';

const silent: GrpcLogger = { info: () => {}, warn: () => {}, error: () => {}, child: () => silent };

function fakeService(calls: string[]): InferenceService {
  return {
    isLive: () => true,
    isReady: () => true,
    serverMetadata: () => ({ name: 'kaleido', version: '0', extensions: [] }),
    modelReady: () => true,
    modelMetadata: (name) => {
      calls.push(`metadata:${name}`);
      return { name, versions: ['1'], platform: 'fake', inputs: [], outputs: [] };
    },
    modelConfig: () => ({}),
    modelStatistics: () => [],
    repositoryIndex: async () => [],
    loadModel: async (name) => {
      calls.push(`load:${name}`);
    },
    unloadModel: async (name) => {
      calls.push(`unload:${name}`);
    },
    infer: async (request) => {
      calls.push(`infer:${request.modelName}`);
      return { modelName: request.modelName, modelVersion: '1', outputs: [] };
    },
  };
}

const operator: Principal = {
  kind: 'api_key',
  subject: 'k1',
  tenantId: 't',
  role: 'operator',
  scopes: [],
};
const analyst: Principal = { kind: 'api_key', subject: 'k2', tenantId: 't', role: 'analyst', scopes: [] };

describe('gRPC server with the security guard', () => {
  const calls: string[] = [];
  let server: GrpcServer;
  let target: string;

  beforeAll(async () => {
    server = createGrpcServer({
      service: fakeService(calls),
      logger: silent,
      maxMessageBytes: 1 << 20,
      guard: createGrpcGuard({
        mode: 'required',
        openRoutes: openRoutesFor(),
        authenticate: async (authorization) => {
          if (authorization === undefined) return undefined;
          if (authorization === 'Bearer operator') return operator;
          if (authorization === 'Bearer analyst') return analyst;
          throw new KaleidoError('ERR_UNAUTHENTICATED', 'invalid or expired credentials');
        },
      }),
    });
    target = `127.0.0.1:${await server.start('127.0.0.1', 0)}`;
  });
  afterAll(() => server.stop(1000));

  it('refuses unauthenticated calls before the handler runs; health stays open', async () => {
    const anon = createInferenceGrpcClient(target);
    try {
      calls.length = 0;
      expect(await anon.call('ServerLive', {})).toEqual({ live: true });
      const err = await anon.fail('ModelMetadata', { name: 'm' });
      expect(err.code).toBe(16);
      expect(err.metadata.get('kaleido-error-code')).toEqual(['ERR_UNAUTHENTICATED']);
      const stream = await anon.stream([
        { model_name: 'm', inputs: [] },
        { model_name: 'm', inputs: [] },
      ]);
      expect(stream.error?.code).toBe(16);
      expect(stream.responses).toEqual([]);
      expect(calls).toEqual([]);
    } finally {
      anon.close();
    }
  });

  it('serves what the role allows and answers PERMISSION_DENIED for the rest', async () => {
    const a = createInferenceGrpcClient(target, { metadata: { authorization: 'Bearer analyst' } });
    const m = createInferenceGrpcClient(target, { metadata: { 'x-api-key': 'operator' } });
    try {
      calls.length = 0;
      expect(await a.call('ModelMetadata', { name: 'm' })).toMatchObject({ name: 'm' });
      const denied = await a.fail('RepositoryModelLoad', { model_name: 'm' });
      expect(denied.code).toBe(7);
      expect(denied.metadata.get('kaleido-error-code')).toEqual(['ERR_PERMISSION_DENIED']);
      expect(await m.call('RepositoryModelLoad', { model_name: 'm' })).toEqual({});
      const stream = await a.stream([
        { model_name: 'm', inputs: [] },
        { model_name: 'n', inputs: [] },
      ]);
      expect(stream.error).toBeNull();
      expect(stream.responses).toHaveLength(2);
      expect(calls).toEqual(['metadata:m', 'load:m', 'infer:m', 'infer:n']);
    } finally {
      a.close();
      m.close();
    }
  });
});

describe('gRPC over TLS', () => {
  let dir: string;
  let tls: TlsMaterial;
  let server: GrpcServer;
  let target: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'kaleido-grpc-tls-'));
    tls = await loadTlsMaterial(
      { certFile: '', keyFile: '', caFile: '', selfSigned: true },
      { dataDir: dir },
    );
    server = createGrpcServer({
      service: fakeService([]),
      logger: silent,
      maxMessageBytes: 1 << 20,
      tls: { cert: tls.cert, key: tls.key },
    });
    target = `localhost:${await server.start('127.0.0.1', 0)}`;
  });
  afterAll(async () => {
    await server.stop(1000);
    rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips with a client that trusts the certificate', async () => {
    const client = createInferenceGrpcClient(target, { rootCert: tls.cert });
    try {
      expect(await client.call('ModelMetadata', { name: 'm' })).toMatchObject({
        name: 'm',
        platform: 'fake',
      });
    } finally {
      client.close();
    }
  });

  it('refuses plaintext clients and clients that do not trust the certificate', async () => {
    const plain = createInferenceGrpcClient(target);
    try {
      expect((await plain.fail('ServerLive', {})).code).toBe(14); // UNAVAILABLE: no TLS handshake
    } finally {
      plain.close();
    }
    const untrusting = createInferenceGrpcClient(target, {
      rootCert: (
        await loadTlsMaterial(
          { certFile: '', keyFile: '', caFile: '', selfSigned: true },
          { dataDir: mkdtempSync(join(dir, 'other-')) },
        )
      ).cert,
    });
    try {
      expect((await untrusting.fail('ServerLive', {})).code).toBe(14);
    } finally {
      untrusting.close();
    }
  });
});
