/**
 * One tenant's view of the inference service, for the protocol edges (OIP REST, gRPC): models
 * trained by another tenant are served under that tenant's qualified name (`<tenant>__<name>`,
 * core/security/tenancy.ts) and are invisible here: metadata, ready, config, statistics, load,
 * unload and infer answer exactly as for a model that does not exist, and the repository index
 * leaves them out. Bundled and configured repository models (plain names) belong to the system
 * tenant and are visible to every tenant. `model@alias` (or an alias as the version) is resolved
 * in the caller's own model registry, never in another tenant's.
 */
import { KaleidoError } from '../core/errors.js';
import type {
  InferenceService,
  InferRequest,
  InferResponse,
  LoadOptions,
  ModelMetadata,
  ModelStatistics,
  RepositoryIndexEntry,
  ServerMetadata,
} from '../core/ports/inference.js';
import { ownModelName, servedModelVisible } from '../core/security/tenancy.js';

/** Resolves an alias of the caller's registered model `model` to a version number. */
export type TenantAliasResolver = (tenantId: string, model: string, alias: string) => Promise<string>;

/** The error a model that does not exist gets from the model manager (same code, text and details). */
const missing = (name: string): KaleidoError =>
  new KaleidoError('ERR_MODEL_NOT_FOUND', `model "${name}" is not found`, { details: { model: name } });

export class TenantInferenceView implements InferenceService {
  constructor(
    private readonly inner: InferenceService,
    readonly tenantId: string,
    private readonly resolveAlias?: TenantAliasResolver,
  ) {}

  private visible(name: string): boolean {
    return servedModelVisible(this.tenantId, name);
  }

  private check(name: string): void {
    if (!this.visible(name)) throw missing(name);
  }

  serverMetadata(): ServerMetadata {
    return this.inner.serverMetadata();
  }
  isLive(): boolean {
    return this.inner.isLive();
  }
  isReady(): boolean {
    return this.inner.isReady();
  }
  modelReady(name: string, version?: string): boolean {
    return this.visible(name) && this.inner.modelReady(name, version);
  }
  modelMetadata(name: string, version?: string): ModelMetadata {
    this.check(name);
    return this.inner.modelMetadata(name, version);
  }
  modelConfig(name: string, version?: string): Record<string, unknown> {
    this.check(name);
    return this.inner.modelConfig(name, version);
  }
  modelStatistics(name?: string, version?: string): ModelStatistics[] {
    if (name !== undefined && name !== '') {
      this.check(name);
      return this.inner.modelStatistics(name, version);
    }
    return this.inner.modelStatistics(name, version).filter((s) => this.visible(s.name));
  }
  async repositoryIndex(readyOnly?: boolean): Promise<RepositoryIndexEntry[]> {
    return (await this.inner.repositoryIndex(readyOnly)).filter((e) => this.visible(e.name));
  }
  async loadModel(name: string, options?: LoadOptions): Promise<void> {
    this.check(name);
    await this.inner.loadModel(name, options);
  }
  async unloadModel(name: string): Promise<void> {
    this.check(name);
    await this.inner.unloadModel(name);
  }

  async infer(request: InferRequest): Promise<InferResponse> {
    const name = request.modelName;
    const at = name.lastIndexOf('@');
    const model = at > 0 ? name.slice(0, at) : name;
    this.check(model);
    const version = request.modelVersion;
    const alias =
      at > 0
        ? name.slice(at + 1)
        : version !== undefined && version !== '' && !/^[0-9]+$/.test(version)
          ? version
          : undefined;
    if (alias === undefined || this.resolveAlias === undefined) return this.inner.infer(request);
    if (at > 0 && version !== undefined && version !== '') {
      throw new KaleidoError('ERR_VALIDATION', `"${name}" names an alias; do not give a version as well`, {
        details: { model: name, version },
      });
    }
    // The alias is the caller's: looked up in the caller's registry, under the caller's own name.
    const resolved = await this.resolveAlias(this.tenantId, ownModelName(this.tenantId, model), alias);
    return this.inner.infer({ ...request, modelName: model, modelVersion: resolved });
  }
}

/** One cached view per tenant (tenants are few; a view holds no state of its own). */
export function tenantViews(
  service: InferenceService,
  resolveAlias?: TenantAliasResolver,
): (tenantId: string) => InferenceService {
  const views = new Map<string, TenantInferenceView>();
  return (tenantId) => {
    let view = views.get(tenantId);
    if (view === undefined) {
      view = new TenantInferenceView(service, tenantId, resolveAlias);
      views.set(tenantId, view);
    }
    return view;
  };
}
