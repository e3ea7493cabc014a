/**
 * The gRPC front end has no credential check of its own yet (its handlers never see call
 * metadata), so with authentication on it must not become a way around the HTTP edge — the
 * "unauthenticated admin API" class of bugs (Ray's ShadowRay, CVE-2023-48022). This wraps the
 * InferenceService handed to the gRPC server so that it serves exactly what an anonymous caller
 * may do over HTTP:
 *
 * - required: the health probes only (ServerLive/ServerReady/Check); everything else answers
 *   UNAUTHENTICATED.
 * - open-inference: also inference and model metadata, as the anonymous service principal gets
 *   over HTTP; the repository (load/unload/index) stays closed.
 *
 * Authenticated gRPC (API keys in `authorization` metadata) needs the gRPC server to pass call
 * metadata to an authenticate hook; until then, clients that need more use REST.
 */
import { KaleidoError } from '../../core/errors.js';
import type { InferenceService } from '../../core/ports/inference.js';
import type { AuthMode } from '../plugins/security.js';

const refused = (what: string): KaleidoError =>
  new KaleidoError(
    'ERR_UNAUTHENTICATED',
    `${what} over gRPC needs authentication, which the gRPC endpoint does not support yet: use the REST API with an API key`,
  );

export function guardGrpcService(service: InferenceService, mode: AuthMode): InferenceService {
  const anonymousInference = mode === 'open-inference';
  const open = <A extends unknown[], R>(what: string, fn: (...args: A) => R): ((...args: A) => R) =>
    anonymousInference
      ? fn
      : () => {
          throw refused(what);
        };
  return {
    isLive: () => service.isLive(),
    isReady: () => service.isReady(),
    serverMetadata: open('server metadata', () => service.serverMetadata()),
    modelReady: open('model readiness', (name: string, version?: string) =>
      service.modelReady(name, version),
    ),
    modelMetadata: open('model metadata', (name: string, version?: string) =>
      service.modelMetadata(name, version),
    ),
    modelConfig: open('model configuration', (name: string, version?: string) =>
      service.modelConfig(name, version),
    ),
    modelStatistics: open('model statistics', (name?: string, version?: string) =>
      service.modelStatistics(name, version),
    ),
    infer: anonymousInference
      ? (request) => service.infer(request)
      : () => Promise.reject(refused('inference')),
    // Repository operations are administrative: never anonymous.
    repositoryIndex: () => Promise.reject(refused('the model repository')),
    loadModel: () => Promise.reject(refused('loading models')),
    unloadModel: () => Promise.reject(refused('unloading models')),
  };
}
