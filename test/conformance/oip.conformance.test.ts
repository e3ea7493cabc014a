/**
 * Runs the OIP v2 conformance suites (REST and gRPC) against an in-process Kaleido started on
 * free ports with the fixture repository, or against any running server:
 *
 *   KALEIDO_CONFORMANCE_URL=http://host:8000 KALEIDO_CONFORMANCE_GRPC=host:8001 npx vitest run test/conformance
 *
 * (KALEIDO_CONFORMANCE_MAX_BODY_BYTES enables the 413 test against an outside server.) The outside
 * server must serve the models of models/fixtures. With only one of the two variables set, the
 * other protocol is tested against the in-process server.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/kaleido-server.js';
import { oipGrpcConformance } from './oip-grpc.suite.js';
import { oipRestConformance } from './oip-rest.suite.js';

const externalUrl = process.env['KALEIDO_CONFORMANCE_URL'];
const externalGrpc = process.env['KALEIDO_CONFORMANCE_GRPC'];
const externalLimit = process.env['KALEIDO_CONFORMANCE_MAX_BODY_BYTES'];

/** A small inference body limit for the in-process server, so the 413 test stays cheap. */
const IN_PROCESS_MAX_BODY_BYTES = 1024 * 1024;

let server: TestServer | undefined;

beforeAll(async () => {
  if (externalUrl !== undefined && externalGrpc !== undefined) return;
  server = await startTestServer({
    // Every fixture except the large benchmark MLP, which no conformance test uses.
    startupModels: [
      ...[
        'bool',
        'uint8',
        'uint16',
        'uint32',
        'uint64',
        'int8',
        'int16',
        'int32',
        'int64',
        'fp16',
        'fp32',
        'fp64',
        'bytes',
      ].map((d) => `identity_${d}`),
      'add_sub_fp32',
      'mlp_fp32',
    ],
    overrides: {
      'server.maxBodyBytes': String(IN_PROCESS_MAX_BODY_BYTES),
      // The production default: every model instance in its own worker thread.
      'models.runtimeIsolation': 'worker',
    },
  });
});

afterAll(async () => {
  await server?.close();
});

const baseUrl = (): string => {
  const url = externalUrl ?? server?.httpUrl;
  if (url === undefined) throw new Error('no server under test');
  return url.replace(/\/+$/, '');
};
const grpcTarget = (): string => {
  const target = externalGrpc ?? server?.grpcTarget;
  if (target === undefined) throw new Error('no gRPC server under test');
  return target;
};

describe('OIP v2 REST', () => {
  oipRestConformance(baseUrl, {
    ...(externalUrl !== undefined
      ? externalLimit !== undefined
        ? { maxBodyBytes: Number(externalLimit) }
        : {}
      : { maxBodyBytes: IN_PROCESS_MAX_BODY_BYTES }),
  });
});

describe('OIP v2 gRPC', () => {
  oipGrpcConformance(grpcTarget);
});
