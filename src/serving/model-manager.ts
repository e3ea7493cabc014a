/**
 * The model manager: loads, reloads and unloads model versions from a ModelSource into runtime
 * sessions, each version behind its own dynamic batcher.
 *
 * Reload is an atomic swap: the new version set is fully loaded and warmed up before it replaces
 * the old one in the routing table; requests already queued or running on the old set finish
 * there (its batchers drain), then the old sessions close. A failed reload leaves the old set
 * serving and records the failure reason.
 */
import { DynamicBatcher, type BatcherConfig, type QueuedItem } from '../core/batcher.js';
import type { Clock } from '../core/clock.js';
import { KaleidoError, toKaleidoError } from '../core/errors.js';
import { selectVersions, type ModelConfig, type WarmupInput } from '../core/model-config.js';
import { ModelState } from '../core/ports/inference.js';
import type { Logger } from '../core/ports/logger.js';
import type { MetadataStore } from '../core/ports/metadata-store.js';
import type { ServingMetrics } from '../core/ports/metrics.js';
import type { ModelSource, ModelVersionFiles } from '../core/ports/model-source.js';
import type { InferenceRuntime, RuntimeSession } from '../core/ports/runtime.js';
import {
  allocate,
  elementCount,
  type NumericArray,
  type Tensor,
  type TensorMetadata,
} from '../core/tensor.js';
import {
  completeModelConfig,
  parseModelConfigFile,
  threadCountsOf,
  versionPolicyOf,
} from './model-config-file.js';
import { StatsCollector } from './stats.js';
import { concatBatch, shapeKey, splitBatch } from './tensor-ops.js';

/** What one request hands to the batcher: its inputs in config order and the outputs it wants. */
export interface ExecPayload {
  readonly inputs: readonly Tensor[];
  readonly outputNames: readonly string[];
  readonly rows: number;
}

export interface ExecResult {
  readonly outputs: Tensor[];
  readonly queueSeconds: number;
  readonly computeInputSeconds: number;
  readonly computeInferSeconds: number;
  readonly computeOutputSeconds: number;
}

export interface ServingDeps {
  readonly source: ModelSource;
  /** The default runtime: models whose config names no other backend/platform use it. */
  readonly runtime: InferenceRuntime;
  /**
   * Further runtimes (e.g. tfjs), chosen per model by the config's `backend` (or `platform`),
   * Triton style; see {@link ModelManager.runtimeFor}.
   */
  readonly runtimes?: readonly InferenceRuntime[];
  readonly clock: Clock;
  readonly epochMs: () => number;
  readonly metrics: ServingMetrics;
  readonly logger: Logger;
  /** Optional: model version states and load events are recorded here. */
  readonly store?: Pick<MetadataStore, 'upsertModelVersion' | 'appendModelEvent'>;
  readonly defaultIntraOpThreads: number;
  readonly defaultInterOpThreads: number;
  /**
   * Optional: checks a model file before the runtime opens it (ONNX external-data confinement,
   * digests); throws a KaleidoError to refuse the load. Wired in main.ts.
   */
  readonly verifyModelFile?: (path: string) => Promise<void>;
}

export class LoadedVersion {
  readonly stats: StatsCollector;
  private readonly free: RuntimeSession[];
  readonly batcher: DynamicBatcher<ExecPayload, ExecResult>;

  constructor(
    readonly model: string,
    readonly version: number,
    readonly config: ModelConfig,
    readonly sessions: readonly RuntimeSession[],
    readonly labels: readonly string[] | undefined,
    readonly sha256: string,
    private readonly deps: ServingDeps,
  ) {
    this.stats = new StatsCollector(model, String(version));
    this.free = [...sessions];
    const db = config.dynamicBatching;
    const batcherConfig: BatcherConfig = {
      mode: db ? 'dynamic' : 'none',
      maxBatchSize: Math.max(1, config.maxBatchSize),
      preferredBatchSizes: db?.preferredBatchSizes ?? [],
      maxQueueDelayMs: db?.maxQueueDelayMs ?? 0,
      maxQueueSize: db?.maxQueueSize ?? 1024,
      priorityLevels: db?.priorityLevels ?? 2,
      defaultPriorityLevel: db?.defaultPriorityLevel ?? 2,
      defaultTimeoutMs: db?.defaultTimeoutMs ?? 0,
      maxConcurrentBatches: sessions.length,
    };
    const v = String(version);
    this.batcher = new DynamicBatcher<ExecPayload, ExecResult>(
      batcherConfig,
      deps.clock,
      (b) => this.execute(b),
      {
        onBatch: (e) => deps.metrics.batch(model, v, e.rows),
      },
    );
  }

  get versionString(): string {
    return String(this.version);
  }

  /** Runs one batch formed by the batcher on a free session. */
  private async execute(items: readonly QueuedItem<ExecPayload>[]): Promise<ExecResult[]> {
    const session = this.free.pop();
    // The batcher never runs more batches than there are sessions; this is a guard against a bug.
    if (!session) throw new KaleidoError('ERR_INTERNAL', 'no free model instance');
    try {
      const startedAt = this.deps.clock.now();
      const results: ExecResult[] = new Array(items.length);
      // Requests whose non-batch dimensions differ cannot share one tensor: run each group apart.
      const groups = new Map<string, number[]>();
      items.forEach((item, i) => {
        const key = this.config.maxBatchSize > 0 ? shapeKey(item.payload.inputs) : `#${i}`;
        const g = groups.get(key);
        if (g) g.push(i);
        else groups.set(key, [i]);
      });
      for (const indices of groups.values()) {
        const t0 = this.deps.clock.now();
        const group = indices.map((i) => (items[i] as QueuedItem<ExecPayload>).payload);
        const wanted = [...new Set(group.flatMap((p) => p.outputNames))];
        const inputs =
          group.length === 1
            ? (group[0] as ExecPayload).inputs
            : this.config.inputs.map((_, k) => concatBatch(group.map((p) => p.inputs[k] as Tensor)));
        const t1 = this.deps.clock.now();
        const outputs = await session.run(inputs, wanted);
        const t2 = this.deps.clock.now();
        const rows = group.map((p) => p.rows);
        const perOutput =
          group.length === 1 ? outputs.map((o) => [o]) : outputs.map((o) => splitBatch(o, rows));
        const t3 = this.deps.clock.now();
        const totalRows = rows.reduce((a, b) => a + b, 0);
        this.stats.recordExecution(totalRows, (t1 - t0) / 1e3, (t2 - t1) / 1e3, (t3 - t2) / 1e3);
        indices.forEach((itemIndex, j) => {
          const p = group[j] as ExecPayload;
          const item = items[itemIndex] as QueuedItem<ExecPayload>;
          results[itemIndex] = {
            outputs: p.outputNames.map((name) => {
              const k = wanted.indexOf(name);
              return (perOutput[k] as Tensor[])[j] as Tensor;
            }),
            queueSeconds: Math.max(0, startedAt - item.enqueuedAt) / 1e3,
            computeInputSeconds: (t1 - t0) / 1e3,
            computeInferSeconds: (t2 - t1) / 1e3,
            computeOutputSeconds: (t3 - t2) / 1e3,
          };
        });
      }
      return results;
    } finally {
      this.free.push(session);
    }
  }

  async close(): Promise<void> {
    await this.batcher.drain();
    await Promise.allSettled(this.sessions.map((s) => s.close()));
  }
}

interface ModelEntry {
  name: string;
  versions: ReadonlyMap<number, LoadedVersion>;
  state: ModelState;
  reason: string;
  /** Serialises load/unload of this model. */
  lock: Promise<unknown>;
}

export class ModelManager {
  private readonly models = new Map<string, ModelEntry>();

  constructor(private readonly deps: ServingDeps) {}

  private entry(name: string): ModelEntry {
    let e = this.models.get(name);
    if (!e) {
      e = {
        name,
        versions: new Map(),
        state: ModelState.UNAVAILABLE,
        reason: 'unloaded',
        lock: Promise.resolve(),
      };
      this.models.set(name, e);
    }
    return e;
  }

  /** Runs `fn` after any load/unload of the same model already in progress. */
  private serialise<T>(e: ModelEntry, fn: () => Promise<T>): Promise<T> {
    const run = e.lock.then(fn, fn);
    e.lock = run.catch(() => undefined);
    return run;
  }

  /** The loaded version to serve: the named one, or the highest loaded. */
  resolve(name: string, version?: string): LoadedVersion {
    const e = this.models.get(name);
    if (!e || e.versions.size === 0) {
      if (e) {
        throw new KaleidoError(
          'ERR_MODEL_NOT_READY',
          `model "${name}" is not ready (${e.state.toLowerCase()}: ${e.reason})`,
          {
            details: { model: name },
            retryAfterSeconds: 1,
          },
        );
      }
      throw new KaleidoError('ERR_MODEL_NOT_FOUND', `model "${name}" is not found`, {
        details: { model: name },
      });
    }
    if (version === undefined || version === '') {
      let best: LoadedVersion | undefined;
      for (const v of e.versions.values()) if (!best || v.version > best.version) best = v;
      return best as LoadedVersion;
    }
    const n = /^[0-9]+$/.test(version) ? Number(version) : NaN;
    const v = e.versions.get(n);
    if (!v) {
      throw new KaleidoError('ERR_VERSION_NOT_FOUND', `model "${name}" has no loaded version "${version}"`, {
        details: { model: name, version },
      });
    }
    return v;
  }

  isKnown(name: string): boolean {
    return this.models.has(name);
  }

  loadedVersions(name: string): LoadedVersion[] {
    return [...(this.models.get(name)?.versions.values() ?? [])].sort((a, b) => b.version - a.version);
  }

  allLoaded(): LoadedVersion[] {
    return [...this.models.values()].flatMap((e) => [...e.versions.values()]);
  }

  /** Every model the source has, plus every model known here (for the repository index). */
  async index(): Promise<Array<{ name: string; version?: string; state: ModelState; reason: string }>> {
    const names = new Set([...(await this.deps.source.list()), ...this.models.keys()]);
    const out: Array<{ name: string; version?: string; state: ModelState; reason: string }> = [];
    for (const name of [...names].sort()) {
      const e = this.models.get(name);
      if (e && e.versions.size > 0) {
        for (const v of [...e.versions.values()].sort((a, b) => a.version - b.version)) {
          out.push({
            name,
            version: v.versionString,
            state: ModelState.READY,
            reason: e.state === ModelState.READY ? '' : e.reason,
          });
        }
      } else {
        out.push({ name, state: e?.state ?? ModelState.UNAVAILABLE, reason: e?.reason ?? 'unloaded' });
      }
    }
    return out;
  }

  /** Loads (or reloads) a model; resolves once the new versions serve. */
  load(name: string, configOverride?: unknown): Promise<void> {
    const e = this.entry(name);
    return this.serialise(e, async () => {
      const wasServing = e.versions.size > 0;
      const prevState = e.state;
      e.state = wasServing ? e.state : ModelState.LOADING;
      e.reason = 'loading';
      await this.record(name, undefined, 'load-requested', {});
      let fresh: Map<number, LoadedVersion>;
      try {
        fresh = await this.loadVersions(name, configOverride);
      } catch (err) {
        const k = toKaleidoError(err);
        const failure =
          k.code === 'ERR_INTERNAL'
            ? new KaleidoError(
                'ERR_MODEL_LOAD_FAILED',
                `model "${name}" failed to load: ${(err as Error).message}`,
                {
                  details: { model: name },
                  cause: err,
                },
              )
            : k;
        e.state = wasServing ? prevState : ModelState.UNAVAILABLE;
        e.reason = failure.message;
        this.deps.logger.error({ model: name, err: failure.message }, 'model load failed');
        await this.record(name, undefined, 'load-failed', { reason: failure.message, code: failure.code });
        if (!wasServing) this.forgetIfUnknown(name, failure);
        throw failure;
      }
      const old = e.versions;
      e.versions = fresh; // the atomic swap: new requests resolve to the fresh set from here on
      e.state = ModelState.READY;
      e.reason = '';
      for (const v of fresh.values()) {
        this.deps.metrics.modelState(name, v.versionString, ModelState.READY);
        await this.deps.store?.upsertModelVersion({
          model: name,
          version: v.versionString,
          state: ModelState.READY,
          reason: '',
          sha256: v.sha256,
          platform: v.config.platform,
        });
      }
      await this.record(name, undefined, old.size > 0 ? 'reloaded' : 'loaded', {
        versions: [...fresh.keys()],
      });
      this.deps.logger.info(
        { model: name, versions: [...fresh.keys()] },
        old.size > 0 ? 'model reloaded' : 'model loaded',
      );
      await this.retire(name, old, fresh);
    });
  }

  /** A model that does not exist in the source is not kept as a ghost entry. */
  private forgetIfUnknown(name: string, err: KaleidoError): void {
    if (err.code === 'ERR_MODEL_NOT_FOUND') this.models.delete(name);
  }

  unload(name: string): Promise<void> {
    const e = this.models.get(name);
    if (!e) {
      return Promise.reject(
        new KaleidoError('ERR_MODEL_NOT_FOUND', `model "${name}" is not found`, { details: { model: name } }),
      );
    }
    return this.serialise(e, async () => {
      const old = e.versions;
      e.state = ModelState.UNLOADING;
      e.reason = 'unloading';
      e.versions = new Map();
      await this.retire(name, old, new Map());
      e.state = ModelState.UNAVAILABLE;
      e.reason = 'unloaded';
      await this.record(name, undefined, 'unloaded', { versions: [...old.keys()] });
      this.deps.logger.info({ model: name }, 'model unloaded');
    });
  }

  /** Drains and closes versions that are no longer routed to. */
  private async retire(
    name: string,
    old: ReadonlyMap<number, LoadedVersion>,
    fresh: ReadonlyMap<number, LoadedVersion>,
  ): Promise<void> {
    await Promise.all(
      [...old.values()].map(async (v) => {
        await v.close();
        if (!fresh.has(v.version)) {
          this.deps.metrics.forget(name, v.versionString);
          await this.deps.store?.upsertModelVersion({
            model: name,
            version: v.versionString,
            state: ModelState.UNAVAILABLE,
            reason: 'unloaded',
            sha256: v.sha256,
            platform: v.config.platform,
          });
        }
      }),
    );
  }

  /**
   * The runtime a model config asks for: the extra runtime whose backend is the config's
   * `backend` (or, without one, whose platform is its `platform`); otherwise the default runtime,
   * as before extra runtimes existed (so configs naming e.g. "onnxruntime" keep loading there).
   */
  runtimeFor(config: unknown): InferenceRuntime {
    const c = (typeof config === 'object' && config !== null ? config : {}) as Record<string, unknown>;
    const backend = typeof c.backend === 'string' && c.backend !== '' ? c.backend : undefined;
    const platform = typeof c.platform === 'string' && c.platform !== '' ? c.platform : undefined;
    if (backend === undefined && platform === undefined) return this.deps.runtime;
    const found = (this.deps.runtimes ?? []).find((r) =>
      backend !== undefined ? r.backend === backend : r.platform === platform,
    );
    return found ?? this.deps.runtime;
  }

  private async loadVersions(name: string, configOverride?: unknown): Promise<Map<number, LoadedVersion>> {
    const { source } = this.deps;
    const first = await source.read(name, this.deps.runtime.defaultModelFilename);
    const runtime = this.runtimeFor(configOverride ?? first.config);
    const entry =
      runtime === this.deps.runtime ? first : await source.read(name, runtime.defaultModelFilename);
    const file = parseModelConfigFile(name, configOverride ?? entry.config);
    if (entry.versions.length === 0) {
      throw new KaleidoError(
        'ERR_MODEL_LOAD_FAILED',
        `model "${name}" has no version directory with a model file`,
        {
          details: { model: name },
        },
      );
    }
    // The policy needs the config, and completing the config needs a signature: read the file's
    // signature from the newest version first (cheap: one session, reused as instance 0).
    const byVersion = new Map(entry.versions.map((v) => [v.version, v]));
    const loaded = new Map<number, LoadedVersion>();
    try {
      const wanted = selectVersions(
        versionPolicyOf(file),
        entry.versions.map((v) => v.version),
      );
      if (wanted.length === 0) {
        throw new KaleidoError(
          'ERR_MODEL_LOAD_FAILED',
          `model "${name}": the version policy selects no version on disk`,
          {
            details: { model: name },
          },
        );
      }
      for (const version of wanted) {
        const files = byVersion.get(version) as ModelVersionFiles;
        loaded.set(version, await this.loadVersion(name, files, file, runtime));
      }
      return loaded;
    } catch (err) {
      await Promise.allSettled([...loaded.values()].map((v) => v.close()));
      throw err;
    }
  }

  private completionContext(name: string, runtime: InferenceRuntime = this.deps.runtime) {
    return {
      model: name,
      platform: runtime.platform,
      backend: runtime.backend,
      defaultIntraOpThreads: this.deps.defaultIntraOpThreads,
      defaultInterOpThreads: this.deps.defaultInterOpThreads,
    };
  }

  private async loadVersion(
    name: string,
    files: ModelVersionFiles,
    file: ReturnType<typeof parseModelConfigFile>,
    runtime: InferenceRuntime,
  ): Promise<LoadedVersion> {
    const { source, metrics } = this.deps;
    const v = String(files.version);
    metrics.modelState(name, v, ModelState.LOADING);
    const sha256 = await source.sha256(files.modelPath);
    const sessions: RuntimeSession[] = [];
    try {
      await this.deps.verifyModelFile?.(files.modelPath);
      const first = await runtime.load(files.modelPath, threadCountsOf(name, file, this.deps));
      sessions.push(first);
      const config = completeModelConfig(file, {
        ...this.completionContext(name, runtime),
        signature: { inputs: first.inputs, outputs: first.outputs },
      });
      for (let i = 1; i < config.instanceCount; i++) {
        sessions.push(
          await runtime.load(files.modelPath, {
            intraOpThreads: config.intraOpThreads,
            interOpThreads: config.interOpThreads,
          }),
        );
      }
      const labels = config.labelsFile
        ? (await source.readText(name, config.labelsFile)).split(/\r?\n/).filter((l) => l.length > 0)
        : undefined;
      await this.warmUp(name, config, sessions);
      return new LoadedVersion(name, files.version, config, sessions, labels, sha256, this.deps);
    } catch (err) {
      metrics.modelState(name, v, ModelState.UNAVAILABLE);
      await Promise.allSettled(sessions.map((s) => s.close()));
      if (err instanceof KaleidoError) throw err;
      throw new KaleidoError(
        'ERR_MODEL_LOAD_FAILED',
        `model "${name}" version ${v} failed to load: ${(err as Error).message}`,
        {
          details: { model: name, version: v },
          cause: err,
        },
      );
    }
  }

  /**
   * Runs the configured warm-up samples on every instance before the version takes traffic, so
   * the first real request does not pay for lazy allocations. Without configured samples, one
   * zero-filled batch-1 run is tried; its failure is only logged (some models reject zeros).
   */
  private async warmUp(
    name: string,
    config: ModelConfig,
    sessions: readonly RuntimeSession[],
  ): Promise<void> {
    const samples =
      config.warmup.length > 0 ? config.warmup : [{ name: 'auto', batchSize: 1, count: 1, inputs: {} }];
    const explicit = config.warmup.length > 0;
    for (const sample of samples) {
      const inputs = config.inputs.map((meta) =>
        warmupTensor(config, sample.batchSize, meta, sample.inputs[meta.name]),
      );
      for (const s of sessions) {
        for (let i = 0; i < sample.count; i++) {
          try {
            await s.run(
              inputs,
              config.outputs.map((o) => o.name),
            );
          } catch (err) {
            if (explicit) {
              throw new KaleidoError(
                'ERR_MODEL_LOAD_FAILED',
                `model "${name}": warm-up "${sample.name}" failed: ${(err as Error).message}`,
                {
                  details: { model: name, warmup: sample.name },
                  cause: err,
                },
              );
            }
            this.deps.logger.warn({ model: name, err: (err as Error).message }, 'automatic warm-up skipped');
            return;
          }
        }
      }
    }
  }

  private async record(
    model: string,
    version: string | undefined,
    type: 'load-requested' | 'loaded' | 'load-failed' | 'unloaded' | 'reloaded',
    detail: Record<string, unknown>,
  ): Promise<void> {
    try {
      await this.deps.store?.appendModelEvent({
        model,
        ...(version ? { version } : {}),
        type,
        at: this.deps.epochMs(),
        detail,
      });
    } catch (err) {
      // Losing an audit event must not take serving down; it is logged loudly instead.
      this.deps.logger.error({ model, err: (err as Error).message }, 'could not record model event');
    }
  }

  /** Stops every batcher (queued work finishes) and closes every session. */
  async shutdown(): Promise<void> {
    await Promise.all(
      [...this.models.values()].map((e) =>
        this.serialise(e, async () => {
          const old = e.versions;
          e.versions = new Map();
          e.state = ModelState.UNAVAILABLE;
          e.reason = 'server shutting down';
          await Promise.all([...old.values()].map((v) => v.close()));
        }),
      ),
    );
  }
}

/** A warm-up input: zeros, deterministic pseudo-random values, or a constant, of concrete shape. */
function warmupTensor(
  config: ModelConfig,
  batchSize: number,
  meta: TensorMetadata,
  spec: WarmupInput | undefined,
): Tensor {
  const base = spec?.dims ?? meta.shape;
  const dims = (config.maxBatchSize > 0 ? [batchSize, ...base] : [...base]).map((d) => (d < 0 ? 1 : d));
  const data = allocate(meta.datatype, elementCount(dims));
  if (spec && spec.fill !== 'zero' && meta.datatype !== 'BYTES') {
    const arr = data as NumericArray;
    const big = arr instanceof BigInt64Array || arr instanceof BigUint64Array;
    const float = meta.datatype === 'FP32' || meta.datatype === 'FP64';
    for (let i = 0; i < arr.length; i++) {
      const x =
        spec.fill === 'value' ? (spec.value ?? 0) : float ? ((i * 2654435761) % 1000) / 1000 - 0.5 : i % 2;
      (arr as unknown as Array<number | bigint>)[i] = big ? BigInt(Math.trunc(x)) : x;
    }
  }
  return { name: meta.name, datatype: meta.datatype, shape: dims, data };
}
