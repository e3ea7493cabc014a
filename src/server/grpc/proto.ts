/**
 * Loads the gRPC contracts from api/proto at run time (no generated code to keep in step).
 *
 * The .proto files are found from the package root, the nearest directory above this module that
 * holds package.json, so the same code works from src/ under tsx and from dist/src/ after tsc.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSync } from '@grpc/proto-loader';
import type { Options, PackageDefinition } from '@grpc/proto-loader';
import { KaleidoError } from '../../core/errors.js';

/** Fully-qualified service names, as used in method paths and health checks. */
export const INFERENCE_SERVICE = 'inference.GRPCInferenceService';
export const HEALTH_SERVICE = 'grpc.health.v1.Health';

export const PROTO_FILES = ['grpc_service.proto', 'health.proto'] as const;

/**
 * How messages map to JS objects (the shapes in wire.ts). 64-bit integers decode as decimal
 * strings, because INT64/UINT64 tensor elements and parameters must survive beyond 2^53.
 */
export const PROTO_LOADER_OPTIONS: Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
};

/** The nearest directory at or above `startDir` that contains package.json. */
export function findPackageRoot(startDir: string): string {
  let dir = startDir;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new KaleidoError('ERR_BAD_CONFIG', 'cannot find the package root (no package.json above)', {
        details: { startDir },
      });
    }
    dir = parent;
  }
}

/** Absolute path of api/proto. */
export function protoDirectory(): string {
  return join(findPackageRoot(dirname(fileURLToPath(import.meta.url))), 'api', 'proto');
}

let cached: PackageDefinition | undefined;

/** The package definition of every Kaleido proto, loaded once per process. */
export function loadProtoDefinition(): PackageDefinition {
  if (cached === undefined) {
    const dir = protoDirectory();
    try {
      cached = loadSync(
        PROTO_FILES.map((file) => join(dir, file)),
        { ...PROTO_LOADER_OPTIONS, includeDirs: [dir] },
      );
    } catch (cause) {
      throw new KaleidoError('ERR_BAD_CONFIG', `cannot load the gRPC contracts from ${dir}`, { cause });
    }
  }
  return cached;
}
