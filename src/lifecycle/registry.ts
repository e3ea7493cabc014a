/**
 * The registry service: registered models, immutable model versions and aliases over the
 * RegistryStore port. It validates every input, computes or checks the artifact's sha256 when the
 * source is in the artifact store, snapshots the run's metrics into the version, and answers
 * "which version does `model@alias` mean — now, or at time T".
 *
 * Serving resolves references with `resolveVersion(registry, model, versionOrAlias)`.
 */
import { KaleidoError } from '../core/errors.js';
import { SYSTEM_TENANT } from '../core/security/principal.js';
import type { ArtifactStore } from '../core/ports/artifact-store.js';
import {
  ModelVersionStatus,
  type AliasMove,
  type ModelSignature,
  type ModelVersion,
  type RegisteredModel,
  type RegistryStore,
} from '../core/ports/registry-store.js';
import type { TrackingStore } from '../core/ports/tracking-store.js';
import { isDatatype, type TensorMetadata } from '../core/tensor.js';
import { parseFilter, parseOrderBy, type SearchSpec } from './search-filter.js';
import { runId as parseRunId } from './tracking.js';
import {
  MAX_DESCRIPTION_LENGTH,
  MAX_URI_LENGTH,
  decodePageToken,
  displayName,
  encodePageToken,
  finite,
  integer,
  invalid,
  key,
  maxResults,
  tags as tagList,
  text,
  timestamp,
} from './validation.js';

export const MODEL_SEARCH_SPEC: SearchSpec = {
  kinds: ['tag'],
  attributes: { name: 'text', creation_timestamp: 'number', last_updated_timestamp: 'number' },
  aliases: { timestamp: 'last_updated_timestamp' },
};

export const VERSION_SEARCH_SPEC: SearchSpec = {
  kinds: ['tag'],
  attributes: {
    name: 'text',
    version: 'number',
    run_id: 'text',
    source: 'text',
    status: 'text',
    creation_timestamp: 'number',
    last_updated_timestamp: 'number',
  },
  aliases: { version_number: 'version', timestamp: 'last_updated_timestamp' },
};

/** Characters that would make `model@alias`, URL paths or artifact keys ambiguous. */
const MODEL_NAME_FORBIDDEN = /[@/\\:%?#]/;
/** MLflow's alias rule; "latest" and "v<digits>" are reserved because they read as versions. */
const ALIAS = /^[A-Za-z_][A-Za-z0-9_-]{0,254}$/;
const VERSION = /^[1-9][0-9]{0,14}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const MAX_SIGNATURE_TENSORS = 1024;
const MAX_METRICS = 1000;
const MAX_MODEL_CARD_BYTES = 256 * 1024;
const MAX_SHAPE_RANK = 32;
const ARTIFACTS_SCHEME = 'artifacts:';
const ANONYMOUS = 'anonymous';

export function modelName(value: unknown, field = 'name'): string {
  const name = displayName(field, value);
  if (MODEL_NAME_FORBIDDEN.test(name)) throw invalid(field, 'must not contain @ / \\ : % ? or #', name);
  return name;
}

export function aliasName(value: unknown, field = 'alias'): string {
  if (typeof value !== 'string' || !ALIAS.test(value)) {
    throw invalid(
      field,
      'must start with a letter or underscore and hold only letters, digits, _ and - (at most 255)',
      value,
    );
  }
  if (value.toLowerCase() === 'latest' || /^v\d+$/i.test(value)) {
    throw invalid(field, `"${value}" is reserved (it reads as a version)`, value);
  }
  return value;
}

export function versionNumber(value: unknown, field = 'version'): string {
  const s = typeof value === 'number' ? String(value) : value;
  if (typeof s !== 'string' || !VERSION.test(s))
    throw invalid(field, 'must be a positive integer version', value);
  return s;
}

function actorName(value: unknown): string {
  if (value === undefined || value === null || value === '') return ANONYMOUS;
  return displayName('actor', value);
}

function tensorList(field: string, value: unknown): TensorMetadata[] {
  if (!Array.isArray(value)) throw invalid(field, 'must be a list of {name, datatype, shape}');
  if (value.length > MAX_SIGNATURE_TENSORS)
    throw invalid(field, `must hold at most ${MAX_SIGNATURE_TENSORS} tensors`);
  const seen = new Set<string>();
  return value.map((t, i) => {
    const f = `${field}[${i}]`;
    if (t === null || typeof t !== 'object' || Array.isArray(t)) throw invalid(f, 'must be an object');
    const m = t as { name?: unknown; datatype?: unknown; shape?: unknown };
    const name = displayName(`${f}.name`, m.name);
    if (seen.has(name)) throw invalid(`${f}.name`, `repeats "${name}"`);
    seen.add(name);
    if (!isDatatype(m.datatype))
      throw invalid(`${f}.datatype`, 'must be an OIP datatype (BOOL, INT8 … FP64, BYTES, BF16)', m.datatype);
    if (!Array.isArray(m.shape) || m.shape.length > MAX_SHAPE_RANK)
      throw invalid(`${f}.shape`, `must be a list of at most ${MAX_SHAPE_RANK} dimensions`);
    const shape = m.shape.map((d, j) => integer(`${f}.shape[${j}]`, d, -1));
    return { name, datatype: m.datatype, shape };
  });
}

export function signature(value: unknown, field = 'signature'): ModelSignature {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalid(field, 'must be {inputs, outputs}');
  const s = value as { inputs?: unknown; outputs?: unknown };
  return {
    inputs: tensorList(`${field}.inputs`, s.inputs ?? []),
    outputs: tensorList(`${field}.outputs`, s.outputs ?? []),
  };
}

function metricsSnapshot(value: unknown): Record<string, number> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalid('metrics', 'must be an object of finite numbers');
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length > MAX_METRICS) throw invalid('metrics', `must hold at most ${MAX_METRICS} entries`);
  const out: Record<string, number> = {};
  for (const [k, v] of entries) out[key('metrics key', k)] = finite(`metrics.${k}`, v);
  return out;
}

function modelCard(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw invalid('model_card', 'must be a JSON object');
  let json: string;
  try {
    json = JSON.stringify(value);
  } catch (cause) {
    throw new KaleidoError('ERR_VALIDATION', 'model_card is not serialisable as JSON', {
      details: { field: 'model_card' },
      cause,
    });
  }
  if (json.length > MAX_MODEL_CARD_BYTES)
    throw invalid('model_card', `must be at most ${MAX_MODEL_CARD_BYTES} bytes of JSON`);
  if (json.includes('\\u0000')) throw invalid('model_card', 'must not contain NUL characters');
  return JSON.parse(json) as Record<string, unknown>;
}

/**
 * The version `versionOrAlias` names for `model`: a version number (which must exist), "latest"
 * (the highest READY version) or an alias. ERR_MODEL_NOT_FOUND for an unknown model,
 * ERR_VERSION_NOT_FOUND for a missing version, an unset alias or a model without READY versions.
 */
export async function resolveVersion(
  registry: RegistryStore,
  model: string,
  versionOrAlias: string,
): Promise<string> {
  const name = modelName(model, 'model');
  if (typeof versionOrAlias !== 'string' || versionOrAlias === '')
    throw invalid('version', 'must be a version number, "latest" or an alias');
  const missingModel = async (): Promise<never> => {
    throw new KaleidoError('ERR_MODEL_NOT_FOUND', `registered model "${name}" does not exist`, {
      details: { model: name },
    });
  };
  if (VERSION.test(versionOrAlias)) {
    if ((await registry.getModelVersion(name, versionOrAlias)) !== undefined) return versionOrAlias;
    if ((await registry.getRegisteredModel(name)) === undefined) return missingModel();
    throw new KaleidoError(
      'ERR_VERSION_NOT_FOUND',
      `registered model "${name}" has no version ${versionOrAlias}`,
      {
        details: { model: name, version: versionOrAlias },
      },
    );
  }
  if (versionOrAlias.toLowerCase() === 'latest') {
    if ((await registry.getRegisteredModel(name)) === undefined) return missingModel();
    const page = await registry.searchModelVersions({
      filter: [
        { kind: 'attribute', key: 'name', op: '=', value: name },
        { kind: 'attribute', key: 'status', op: '=', value: ModelVersionStatus.READY },
      ],
      orderBy: [{ kind: 'attribute', key: 'version', ascending: false }],
      maxResults: 1,
      offset: 0,
    });
    const latest = page.items[0];
    if (latest === undefined) {
      throw new KaleidoError('ERR_VERSION_NOT_FOUND', `registered model "${name}" has no READY version`, {
        details: { model: name },
      });
    }
    return latest.version;
  }
  const alias = aliasName(versionOrAlias, 'alias');
  const version = await registry.getAlias(name, alias);
  if (version !== undefined) return version;
  if ((await registry.getRegisteredModel(name)) === undefined) return missingModel();
  throw new KaleidoError('ERR_VERSION_NOT_FOUND', `registered model "${name}" has no alias "${alias}"`, {
    details: { model: name, alias },
  });
}

/** Splits "model@alias", "model/3" or "model" (→ "latest") into its parts. */
export function parseModelRef(ref: string): { model: string; versionOrAlias: string } {
  if (typeof ref !== 'string') throw invalid('model', 'must be a string');
  const at = ref.lastIndexOf('@');
  if (at > 0)
    return { model: modelName(ref.slice(0, at), 'model'), versionOrAlias: aliasName(ref.slice(at + 1)) };
  const slash = ref.lastIndexOf('/');
  if (slash > 0)
    return {
      model: modelName(ref.slice(0, slash), 'model'),
      versionOrAlias: versionNumber(ref.slice(slash + 1)),
    };
  return { model: modelName(ref, 'model'), versionOrAlias: 'latest' };
}

export interface RegistryServiceOptions {
  readonly now?: () => number;
  /** When given, sources "artifacts:<key>" are checked and their sha256 is computed from the store. */
  readonly artifacts?: ArtifactStore;
  /** When given, a version's run must exist, and its latest metrics are snapshotted if none are passed. */
  readonly tracking?: TrackingStore;
  /**
   * Called before an alias is pointed at a version (a promotion); throwing refuses the move.
   * The composition root uses it for signature checks (security/model-integrity.ts).
   */
  readonly beforeAliasMove?: (version: ModelVersion, alias: string) => Promise<void>;
}

export interface NewVersionInput {
  name: unknown;
  source: unknown;
  runId?: unknown;
  runLink?: unknown;
  description?: unknown;
  userId?: unknown;
  tags?: unknown;
  signature?: unknown;
  metrics?: unknown;
  sha256?: unknown;
  modelCard?: unknown;
  /** READY (default) or PENDING_REGISTRATION while an upload finishes. */
  status?: unknown;
}

export class RegistryService {
  private readonly now: () => number;

  private readonly views = new Map<string, RegistryService>();

  constructor(
    private readonly store: RegistryStore,
    private readonly options: RegistryServiceOptions = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** The tenant whose registered models this service sees (the store view's tenant). */
  get tenantId(): string {
    return this.store.tenantId;
  }

  /**
   * The same service for another tenant: registered models, versions, aliases and the alias
   * history are that tenant's only (names are per tenant), run ids are checked in that tenant's
   * experiment tracking, and another tenant's model is answered like a missing one.
   */
  forTenant(tenantId: string): RegistryService {
    if (tenantId === this.store.tenantId) return this;
    let view = this.views.get(tenantId);
    if (view === undefined) {
      const tracking = this.options.tracking;
      view = new RegistryService(this.store.forTenant(tenantId), {
        ...this.options,
        ...(tracking === undefined ? {} : { tracking: tracking.forTenant(tenantId) }),
      });
      this.views.set(tenantId, view);
    }
    return view;
  }

  // ---- registered models --------------------------------------------------------------------

  async createRegisteredModel(input: {
    name: unknown;
    description?: unknown;
    tags?: unknown;
  }): Promise<RegisteredModel> {
    return this.store.createRegisteredModel({
      name: modelName(input.name),
      description: text('description', input.description ?? '', MAX_DESCRIPTION_LENGTH),
      tags: tagList('tags', input.tags),
      time: this.now(),
    });
  }

  async getRegisteredModel(name: unknown): Promise<RegisteredModel> {
    const n = modelName(name);
    const m = await this.store.getRegisteredModel(n);
    if (m === undefined) {
      throw new KaleidoError('ERR_NOT_FOUND', `registered model "${n}" does not exist`, {
        details: { resource: 'registered-model', name: n },
      });
    }
    return m;
  }

  async searchRegisteredModels(q: {
    filter?: unknown;
    orderBy?: unknown;
    maxResults?: unknown;
    pageToken?: unknown;
  }): Promise<{
    registeredModels: RegisteredModel[];
    nextPageToken?: string;
  }> {
    const limit = maxResults(q.maxResults, 100);
    const offset = decodePageToken(q.pageToken);
    const page = await this.store.searchRegisteredModels({
      filter: parseFilter(q.filter, MODEL_SEARCH_SPEC),
      orderBy: parseOrderBy(q.orderBy, MODEL_SEARCH_SPEC),
      maxResults: limit,
      offset,
    });
    return page.nextOffset === undefined
      ? { registeredModels: page.items }
      : { registeredModels: page.items, nextPageToken: encodePageToken(page.nextOffset) };
  }

  async updateRegisteredModel(name: unknown, update: { description?: unknown }): Promise<RegisteredModel> {
    return this.store.updateRegisteredModel(
      modelName(name),
      { description: text('description', update.description ?? '', MAX_DESCRIPTION_LENGTH) },
      this.now(),
    );
  }

  async deleteRegisteredModel(name: unknown, actor?: unknown): Promise<void> {
    await this.store.deleteRegisteredModel(modelName(name), actorName(actor), this.now());
  }

  async setRegisteredModelTag(name: unknown, tagKey: unknown, value: unknown): Promise<void> {
    const [t] = tagList('tag', [{ key: tagKey, value }]);
    await this.store.setRegisteredModelTag(modelName(name), t as { key: string; value: string }, this.now());
  }

  async deleteRegisteredModelTag(name: unknown, tagKey: unknown): Promise<void> {
    await this.store.deleteRegisteredModelTag(modelName(name), key('key', tagKey), this.now());
  }

  // ---- model versions -----------------------------------------------------------------------

  async createModelVersion(input: NewVersionInput): Promise<ModelVersion> {
    const name = modelName(input.name);
    const source = text('source', input.source, MAX_URI_LENGTH);
    if (source === '') throw invalid('source', 'must not be empty');
    const status =
      input.status === undefined || input.status === null ? ModelVersionStatus.READY : input.status;
    if (status !== ModelVersionStatus.READY && status !== ModelVersionStatus.PENDING_REGISTRATION) {
      throw invalid('status', 'must be READY or PENDING_REGISTRATION at creation', status);
    }
    let sha256: string | undefined;
    if (input.sha256 !== undefined && input.sha256 !== null && input.sha256 !== '') {
      if (typeof input.sha256 !== 'string' || !SHA256.test(input.sha256))
        throw invalid('sha256', 'must be 64 lowercase hex digits', input.sha256);
      sha256 = input.sha256;
    }
    if (this.options.artifacts !== undefined && source.startsWith(ARTIFACTS_SCHEME)) {
      const artifactKey = source.slice(ARTIFACTS_SCHEME.length).replace(/^\/+/, '');
      const visible = await this.artifactVisible(artifactKey);
      const info = visible ? await this.options.artifacts.stat(artifactKey) : undefined;
      if (info === undefined) {
        throw new KaleidoError('ERR_NOT_FOUND', `artifact ${artifactKey} does not exist`, {
          details: { resource: 'artifact', key: artifactKey },
        });
      }
      if (sha256 !== undefined && sha256 !== info.sha256) {
        throw invalid('sha256', `does not match the artifact (${info.sha256})`, sha256);
      }
      sha256 = info.sha256;
    }
    const run =
      input.runId === undefined || input.runId === null || input.runId === ''
        ? undefined
        : parseRunId(input.runId);
    let metrics =
      input.metrics === undefined || input.metrics === null ? undefined : metricsSnapshot(input.metrics);
    if (run !== undefined && this.options.tracking !== undefined) {
      const found = await this.options.tracking.getRun(run);
      if (found === undefined) {
        throw new KaleidoError('ERR_NOT_FOUND', `run ${run} does not exist`, {
          details: { resource: 'run', id: run },
        });
      }
      metrics ??= Object.fromEntries(found.data.metrics.map((m) => [m.key, m.value]));
    }
    return this.store.createModelVersion({
      name,
      source,
      ...(run === undefined ? {} : { runId: run }),
      ...(input.runLink === undefined || input.runLink === null || input.runLink === ''
        ? {}
        : { runLink: text('run_link', input.runLink, MAX_URI_LENGTH) }),
      description: text('description', input.description ?? '', MAX_DESCRIPTION_LENGTH),
      userId: text('user_id', input.userId ?? '', 256),
      status,
      statusMessage: '',
      ...(input.signature === undefined || input.signature === null
        ? {}
        : { signature: signature(input.signature) }),
      metrics: metrics ?? {},
      ...(sha256 === undefined ? {} : { sha256 }),
      ...(input.modelCard === undefined || input.modelCard === null
        ? {}
        : { modelCard: modelCard(input.modelCard) }),
      tags: tagList('tags', input.tags),
      time: this.now(),
    });
  }

  /**
   * Whether this tenant may register the artifact `key` as a model source. The artifact store is
   * shared, so without this a tenant could point a version at another tenant's run artifacts and
   * learn that they exist and their SHA-256. The system tenant (single-tenant installations, the
   * operator) sees every key; any other tenant only keys under `experiments/<id>/` of an experiment
   * its own tracking view holds. A key it may not see is answered exactly like a missing one.
   */
  private async artifactVisible(key: string): Promise<boolean> {
    if (this.store.tenantId === SYSTEM_TENANT) return true;
    const m = /^experiments\/([^/]+)\/(.+)$/.exec(key);
    if (m === null || key.split('/').some((segment) => segment === '..' || segment === '.')) return false;
    const tracking = this.options.tracking;
    if (tracking === undefined) return false;
    return (await tracking.getExperiment(m[1] as string)) !== undefined;
  }

  async getModelVersion(name: unknown, version: unknown): Promise<ModelVersion> {
    const n = modelName(name);
    const v = versionNumber(version);
    const found = await this.store.getModelVersion(n, v);
    if (found === undefined) {
      throw new KaleidoError('ERR_NOT_FOUND', `version ${v} of registered model "${n}" does not exist`, {
        details: { resource: 'model-version', name: n, version: v },
      });
    }
    return found;
  }

  /** Only description, and a PENDING_REGISTRATION version's outcome, can change. */
  async updateModelVersion(
    name: unknown,
    version: unknown,
    update: { description?: unknown; status?: unknown; statusMessage?: unknown },
  ): Promise<ModelVersion> {
    let status: ModelVersionStatus | undefined;
    if (update.status !== undefined && update.status !== null) {
      if (
        typeof update.status !== 'string' ||
        !Object.values(ModelVersionStatus).includes(update.status as ModelVersionStatus)
      ) {
        throw invalid(
          'status',
          `must be one of ${Object.values(ModelVersionStatus).join(', ')}`,
          update.status,
        );
      }
      status = update.status as ModelVersionStatus;
    }
    return this.store.updateModelVersion(
      modelName(name),
      versionNumber(version),
      {
        ...(update.description === undefined || update.description === null
          ? {}
          : { description: text('description', update.description, MAX_DESCRIPTION_LENGTH) }),
        ...(status === undefined ? {} : { status }),
        ...(update.statusMessage === undefined || update.statusMessage === null
          ? {}
          : { statusMessage: text('status_message', update.statusMessage, 4096) }),
      },
      this.now(),
    );
  }

  async deleteModelVersion(name: unknown, version: unknown, actor?: unknown): Promise<void> {
    await this.store.deleteModelVersion(
      modelName(name),
      versionNumber(version),
      actorName(actor),
      this.now(),
    );
  }

  async setModelVersionTag(name: unknown, version: unknown, tagKey: unknown, value: unknown): Promise<void> {
    const [t] = tagList('tag', [{ key: tagKey, value }]);
    await this.store.setModelVersionTag(
      modelName(name),
      versionNumber(version),
      t as { key: string; value: string },
      this.now(),
    );
  }

  async deleteModelVersionTag(name: unknown, version: unknown, tagKey: unknown): Promise<void> {
    await this.store.deleteModelVersionTag(
      modelName(name),
      versionNumber(version),
      key('key', tagKey),
      this.now(),
    );
  }

  async searchModelVersions(q: {
    filter?: unknown;
    orderBy?: unknown;
    maxResults?: unknown;
    pageToken?: unknown;
  }): Promise<{
    modelVersions: ModelVersion[];
    nextPageToken?: string;
  }> {
    const page = await this.store.searchModelVersions({
      filter: parseFilter(q.filter, VERSION_SEARCH_SPEC),
      orderBy: parseOrderBy(q.orderBy, VERSION_SEARCH_SPEC),
      maxResults: maxResults(q.maxResults, 200),
      offset: decodePageToken(q.pageToken),
    });
    return page.nextOffset === undefined
      ? { modelVersions: page.items }
      : { modelVersions: page.items, nextPageToken: encodePageToken(page.nextOffset) };
  }

  /** The highest version of the model (MLflow's get-latest-versions without stages). */
  async getLatestVersions(name: unknown): Promise<ModelVersion[]> {
    const model = await this.getRegisteredModel(name);
    if (model.latestVersion === undefined) return [];
    const v = await this.store.getModelVersion(model.name, model.latestVersion);
    return v === undefined ? [] : [v];
  }

  // ---- aliases ------------------------------------------------------------------------------

  /** Moves (or sets) the alias atomically; undefined when it already pointed at `version`. */
  async setAlias(
    name: unknown,
    alias: unknown,
    version: unknown,
    actor?: unknown,
  ): Promise<AliasMove | undefined> {
    const check = this.options.beforeAliasMove;
    if (check !== undefined) {
      const target = await this.store.getModelVersion(modelName(name), versionNumber(version));
      if (target !== undefined) await check(target, aliasName(alias));
    }
    return this.store.setAlias(
      modelName(name),
      aliasName(alias),
      versionNumber(version),
      actorName(actor),
      this.now(),
    );
  }

  async deleteAlias(name: unknown, alias: unknown, actor?: unknown): Promise<AliasMove | undefined> {
    const n = modelName(name);
    const a = aliasName(alias);
    const move = await this.store.deleteAlias(n, a, actorName(actor), this.now());
    if (move === undefined) {
      throw new KaleidoError('ERR_NOT_FOUND', `registered model "${n}" has no alias "${a}"`, {
        details: { resource: 'alias', name: n, alias: a },
      });
    }
    return move;
  }

  /** The version the alias points at now, or (with `at`) pointed at then. */
  async getModelVersionByAlias(name: unknown, alias: unknown, at?: unknown): Promise<ModelVersion> {
    const n = modelName(name);
    const a = aliasName(alias);
    const version =
      at === undefined || at === null || at === ''
        ? await this.store.getAlias(n, a)
        : await this.store.aliasAt(n, a, timestamp('at', at));
    if (version === undefined) {
      if ((await this.store.getRegisteredModel(n)) === undefined) {
        throw new KaleidoError('ERR_NOT_FOUND', `registered model "${n}" does not exist`, {
          details: { resource: 'registered-model', name: n },
        });
      }
      throw new KaleidoError(
        'ERR_NOT_FOUND',
        `registered model "${n}" has no alias "${a}"${at === undefined || at === null || at === '' ? '' : ' at that time'}`,
        {
          details: { resource: 'alias', name: n, alias: a },
        },
      );
    }
    const v = await this.store.getModelVersion(n, version);
    if (v === undefined) {
      // Only reachable for a past time: the version has since been deleted.
      throw new KaleidoError(
        'ERR_NOT_FOUND',
        `version ${version} of "${n}" held alias "${a}" then but has been deleted`,
        {
          details: { resource: 'model-version', name: n, version },
        },
      );
    }
    return v;
  }

  /** Which version held the alias at time `at` (ms since the epoch); undefined if none. */
  async aliasAt(name: unknown, alias: unknown, at: unknown): Promise<string | undefined> {
    return this.store.aliasAt(modelName(name), aliasName(alias), timestamp('at', at));
  }

  async aliasHistory(
    name: unknown,
    q: { alias?: unknown; maxResults?: unknown; pageToken?: unknown } = {},
  ): Promise<{ moves: AliasMove[]; nextPageToken?: string }> {
    const n = modelName(name);
    const limit = maxResults(q.maxResults, 100);
    // The token carries the last history id (a cursor, not an offset), so any safe integer is fine.
    const afterId = decodePageToken(q.pageToken, Number.MAX_SAFE_INTEGER);
    const moves = await this.store.aliasHistory(n, {
      ...(q.alias === undefined || q.alias === null || q.alias === '' ? {} : { alias: aliasName(q.alias) }),
      afterId,
      limit: limit + 1,
    });
    // An empty first page of a model that does not exist (never did, or lives in another tenant) is
    // a 404, as MLflow answers for unknown models, not an empty history that reads as "never aliased".
    // A deleted model's past moves are kept and still listed: "what was live at T" outlives it.
    if (moves.length === 0 && q.pageToken === undefined) await this.getRegisteredModel(n);
    const page = moves.slice(0, limit);
    const last = page.at(-1);
    return moves.length > limit && last !== undefined
      ? { moves: page, nextPageToken: encodePageToken(last.id) }
      : { moves: page };
  }

  /** See the module-level `resolveVersion`. */
  resolveVersion(model: string, versionOrAlias: string): Promise<string> {
    return resolveVersion(this.store, model, versionOrAlias);
  }
}
