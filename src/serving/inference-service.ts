/**
 * The inference service: the one implementation of the InferenceService port that the REST and
 * gRPC front ends call. It validates requests against the model's config, applies the
 * schedule_policy parameters (priority, timeout in µs), hands the request to the version's
 * batcher, records statistics and metrics, and implements the classification extension.
 */
import type { Clock } from '../core/clock.js';
import { KaleidoError, toKaleidoError } from '../core/errors.js';
import { fullShape } from '../core/model-config.js';
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
import type { RequestOutcome, ServingMetrics } from '../core/ports/metrics.js';
import {
  elementCount,
  shapeMatches,
  type NumericArray,
  type Parameters,
  type Tensor,
} from '../core/tensor.js';
import { renderTritonConfig } from './model-config-file.js';
import type { ExecPayload, LoadedVersion, ModelManager } from './model-manager.js';

export const SERVER_EXTENSIONS = [
  'binary_tensor_data',
  'classification',
  'model_repository',
  'schedule_policy',
  'model_configuration',
  'statistics',
] as const;

export interface InferenceServiceOptions {
  readonly name: string;
  readonly version: string;
  readonly clock: Clock;
  readonly epochMs: () => number;
  readonly metrics: ServingMetrics;
  /**
   * Resolves a registry alias (e.g. "champion") of a model to a version number. With it,
   * `model@alias` names and non-numeric versions are served; without it they are not found.
   */
  readonly resolveAlias?: (model: string, alias: string) => Promise<string>;
}

const outcomeOf = (e: KaleidoError): RequestOutcome => {
  switch (e.code) {
    case 'ERR_QUEUE_FULL':
    case 'ERR_SHUTTING_DOWN':
    case 'ERR_MODEL_NOT_READY':
      return 'rejected';
    case 'ERR_TIMEOUT':
      return 'timeout';
    case 'ERR_CANCELLED':
      return 'cancelled';
    default:
      return e.status === 'INTERNAL' ? 'error' : 'client_error';
  }
};

export class KaleidoInferenceService implements InferenceService {
  private shuttingDown = false;
  private draining = false;
  private startupComplete = false;

  constructor(
    private readonly models: ModelManager,
    private readonly options: InferenceServiceOptions,
  ) {}

  /** Called by main once the startup models have been loaded (or failed). */
  markStartupComplete(): void {
    this.startupComplete = true;
  }

  /** First step of a shutdown: readiness turns false, but requests are still served (drain delay). */
  markDraining(): void {
    this.draining = true;
  }

  /** Second step: new inference requests are refused; queued and running work still finishes. */
  beginShutdown(): void {
    this.draining = true;
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  serverMetadata(): ServerMetadata {
    return { name: this.options.name, version: this.options.version, extensions: [...SERVER_EXTENSIONS] };
  }

  isLive(): boolean {
    return true;
  }

  isReady(): boolean {
    return this.startupComplete && !this.draining;
  }

  modelReady(name: string, version?: string): boolean {
    if (this.shuttingDown) return false;
    try {
      this.models.resolve(name, version);
      return true;
    } catch {
      return false;
    }
  }

  modelMetadata(name: string, version?: string): ModelMetadata {
    const v = this.models.resolve(name, version);
    const c = v.config;
    return {
      name,
      versions: this.models.loadedVersions(name).map((x) => x.versionString),
      platform: c.platform,
      inputs: c.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: fullShape(c, t) })),
      outputs: c.outputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: fullShape(c, t) })),
      properties: { max_batch_size: String(c.maxBatchSize), sha256: v.sha256 },
    };
  }

  modelConfig(name: string, version?: string): Record<string, unknown> {
    return renderTritonConfig(this.models.resolve(name, version).config);
  }

  modelStatistics(name?: string, version?: string): ModelStatistics[] {
    if (name === undefined || name === '') {
      return this.models
        .allLoaded()
        .sort((a, b) => a.model.localeCompare(b.model) || a.version - b.version)
        .map((v) => v.stats.snapshot());
    }
    if (version) return [this.models.resolve(name, version).stats.snapshot()];
    const versions = this.models.loadedVersions(name);
    if (versions.length === 0) this.models.resolve(name); // throws the right not-found / not-ready error
    return versions.reverse().map((v) => v.stats.snapshot());
  }

  /** Every model in the repositories with its state (reads the model source, hence async). */
  async repositoryIndex(readyOnly = false): Promise<RepositoryIndexEntry[]> {
    const all = await this.models.index();
    return readyOnly ? all.filter((e) => e.state === 'READY') : all;
  }

  async loadModel(name: string, options: LoadOptions = {}): Promise<void> {
    if (this.shuttingDown) throw new KaleidoError('ERR_SHUTTING_DOWN', 'the server is shutting down');
    let override: unknown;
    if (options.config !== undefined) {
      try {
        override = JSON.parse(options.config);
      } catch (e) {
        throw new KaleidoError(
          'ERR_BAD_CONFIG',
          `parameters.config is not valid JSON: ${(e as Error).message}`,
          {
            details: { field: 'parameters.config' },
          },
        );
      }
    }
    await this.models.load(name, override);
  }

  async unloadModel(name: string): Promise<void> {
    await this.models.unload(name);
  }

  async infer(request: InferRequest): Promise<InferResponse> {
    const { clock } = this.options;
    const started = clock.now();
    let target: LoadedVersion | undefined;
    try {
      if (this.shuttingDown)
        throw new KaleidoError('ERR_SHUTTING_DOWN', 'the server is shutting down', { retryAfterSeconds: 1 });
      const ref = await this.resolveReference(request.modelName, request.modelVersion);
      target = this.models.resolve(ref.model, ref.version);
      const { payload, classification } = this.prepare(target, request);
      const sched = scheduleOf(request.parameters, target);
      const result = await target.batcher.submit(payload, {
        rows: payload.rows,
        ...(sched.priority !== undefined ? { priority: sched.priority } : {}),
        ...(sched.timeoutMs !== undefined ? { timeoutMs: sched.timeoutMs } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      });
      const outputs = result.outputs.map((t) => {
        const k = classification.get(t.name);
        return k === undefined ? t : classify(t, k, target?.labels);
      });
      const total = (clock.now() - started) / 1e3;
      const phases = {
        queue: result.queueSeconds,
        computeInput: result.computeInputSeconds,
        computeInfer: result.computeInferSeconds,
        computeOutput: result.computeOutputSeconds,
      };
      target.stats.recordSuccess(payload.rows, total, phases, this.options.epochMs());
      this.options.metrics.phases(target.model, target.versionString, phases);
      this.options.metrics.request(target.model, target.versionString, 'success', total);
      return {
        modelName: target.model,
        modelVersion: target.versionString,
        ...(request.id !== undefined ? { id: request.id } : {}),
        outputs,
      };
    } catch (err) {
      const e = toKaleidoError(err);
      const total = (clock.now() - started) / 1e3;
      if (target) {
        target.stats.recordFailure(total);
        this.options.metrics.request(target.model, target.versionString, outcomeOf(e), total);
      }
      throw e;
    } finally {
      if (target)
        this.options.metrics.queueDepth(target.model, target.versionString, target.batcher.queueDepth);
    }
  }

  /**
   * `name@alias` or a non-numeric version is an alias of the model registry; numeric versions and
   * plain names pass through unchanged (no lookup on the hot path).
   */
  private async resolveReference(
    name: string,
    version: string | undefined,
  ): Promise<{ model: string; version?: string }> {
    const at = name.lastIndexOf('@');
    let model = name;
    let alias: string | undefined;
    if (at > 0) {
      model = name.slice(0, at);
      alias = name.slice(at + 1);
      if (version !== undefined && version !== '') {
        throw new KaleidoError('ERR_VALIDATION', `"${name}" names an alias; do not give a version as well`, {
          details: { model: name, version },
        });
      }
    } else if (version !== undefined && version !== '' && !/^[0-9]+$/.test(version)) {
      alias = version;
    }
    if (alias === undefined) return { model, ...(version !== undefined ? { version } : {}) };
    if (!this.options.resolveAlias) {
      throw new KaleidoError(
        'ERR_VERSION_NOT_FOUND',
        `model "${model}" has no version "${alias}" (no model registry)`,
        {
          details: { model, version: alias },
        },
      );
    }
    return { model, version: await this.options.resolveAlias(model, alias) };
  }

  /** Validates inputs and requested outputs against the config; orders inputs as the config does. */
  private prepare(
    v: LoadedVersion,
    request: InferRequest,
  ): { payload: ExecPayload; classification: Map<string, number> } {
    const c = v.config;
    const byName = new Map<string, Tensor>();
    for (const t of request.inputs) {
      if (byName.has(t.name)) {
        throw new KaleidoError('ERR_DUPLICATE_NAME', `input "${t.name}" appears more than once`, {
          details: { input: t.name },
        });
      }
      byName.set(t.name, t);
    }
    for (const name of byName.keys()) {
      if (!c.inputs.some((i) => i.name === name)) {
        throw new KaleidoError(
          'ERR_UNKNOWN_INPUT',
          `unexpected input "${name}" for model "${c.name}"; inputs are ${c.inputs.map((i) => i.name).join(', ')}`,
          {
            details: { input: name },
          },
        );
      }
    }
    let rows: number | undefined;
    const inputs = c.inputs.map((meta) => {
      const t = byName.get(meta.name);
      if (!t) {
        throw new KaleidoError('ERR_MISSING_INPUT', `model "${c.name}" needs input "${meta.name}"`, {
          details: { input: meta.name },
        });
      }
      if (t.datatype !== meta.datatype) {
        throw new KaleidoError(
          'ERR_DATATYPE_MISMATCH',
          `input "${t.name}": datatype ${t.datatype}, model expects ${meta.datatype}`,
          {
            details: { input: t.name, expected: meta.datatype, got: t.datatype },
          },
        );
      }
      const expected = fullShape(c, meta);
      if (!shapeMatches(expected, t.shape)) {
        throw new KaleidoError(
          'ERR_SHAPE_MISMATCH',
          `input "${t.name}": shape [${t.shape.join(',')}] does not match [${expected.join(',')}]`,
          {
            details: { input: t.name, expected, got: [...t.shape] },
          },
        );
      }
      if (t.data.length !== elementCount(t.shape)) {
        throw new KaleidoError(
          'ERR_SHAPE_MISMATCH',
          `input "${t.name}": ${t.data.length} elements for shape [${t.shape.join(',')}]`,
          {
            details: { input: t.name },
          },
        );
      }
      if (c.maxBatchSize > 0) {
        const b = t.shape[0] as number;
        if (b < 1)
          throw new KaleidoError('ERR_SHAPE_MISMATCH', `input "${t.name}": batch size must be ≥ 1`, {
            details: { input: t.name },
          });
        if (b > c.maxBatchSize) {
          throw new KaleidoError(
            'ERR_BATCH_TOO_LARGE',
            `input "${t.name}": batch size ${b} exceeds max_batch_size ${c.maxBatchSize}`,
            {
              details: { input: t.name, maxBatchSize: c.maxBatchSize },
            },
          );
        }
        if (rows !== undefined && rows !== b) {
          throw new KaleidoError(
            'ERR_SHAPE_MISMATCH',
            `inputs disagree on the batch size (${rows} vs ${b})`,
            { details: { input: t.name } },
          );
        }
        rows = b;
      }
      return t;
    });
    const classification = new Map<string, number>();
    let outputNames: string[];
    if (request.outputs && request.outputs.length > 0) {
      const seen = new Set<string>();
      outputNames = request.outputs.map((o) => {
        if (seen.has(o.name)) {
          throw new KaleidoError('ERR_DUPLICATE_NAME', `output "${o.name}" is requested more than once`, {
            details: { output: o.name },
          });
        }
        seen.add(o.name);
        const meta = c.outputs.find((m) => m.name === o.name);
        if (!meta) {
          throw new KaleidoError(
            'ERR_UNKNOWN_OUTPUT',
            `model "${c.name}" has no output "${o.name}"; outputs are ${c.outputs.map((m) => m.name).join(', ')}`,
            {
              details: { output: o.name },
            },
          );
        }
        const k = o.parameters?.classification;
        if (k !== undefined) {
          if (typeof k !== 'number' || !Number.isInteger(k) || k < 1) {
            throw new KaleidoError(
              'ERR_VALIDATION',
              `output "${o.name}": parameters.classification must be an integer ≥ 1`,
              {
                details: { field: `outputs.${o.name}.parameters.classification` },
              },
            );
          }
          if (meta.datatype === 'BYTES' || meta.datatype === 'FP16' || meta.datatype === 'BF16') {
            throw new KaleidoError(
              'ERR_VALIDATION',
              `output "${o.name}": classification needs a numeric output`,
              {
                details: { field: `outputs.${o.name}.parameters.classification` },
              },
            );
          }
          classification.set(o.name, k);
        }
        return o.name;
      });
    } else {
      outputNames = c.outputs.map((o) => o.name);
    }
    return { payload: { inputs, outputNames, rows: rows ?? 1 }, classification };
  }
}

/** schedule_policy: `priority` (1 = highest, 0 = default) and `timeout` in microseconds. */
function scheduleOf(
  params: Parameters | undefined,
  v: LoadedVersion,
): { priority?: number; timeoutMs?: number } {
  const out: { priority?: number; timeoutMs?: number } = {};
  const p = params?.priority;
  if (p !== undefined) {
    const levels = v.config.dynamicBatching?.priorityLevels ?? 2;
    if (typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p > levels) {
      throw new KaleidoError(
        'ERR_VALIDATION',
        `parameters.priority must be an integer in 0..${levels} (1 is the highest, 0 the default)`,
        {
          details: { field: 'parameters.priority' },
        },
      );
    }
    if (p > 0) out.priority = p;
  }
  const t = params?.timeout;
  if (t !== undefined) {
    if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) {
      throw new KaleidoError('ERR_VALIDATION', 'parameters.timeout must be a number of microseconds ≥ 0', {
        details: { field: 'parameters.timeout' },
      });
    }
    if (t > 0) out.timeoutMs = t / 1000;
  }
  return out;
}

/** Triton's classification extension: the top-k of each row as "value:index[:label]" strings. */
function classify(t: Tensor, k: number, labels: readonly string[] | undefined): Tensor {
  const rowsShape = t.shape.length > 1 ? t.shape.slice(0, -1) : [];
  const classes = t.shape.length > 0 ? (t.shape[t.shape.length - 1] as number) : 1;
  const rows = elementCount(rowsShape);
  const top = Math.min(k, classes);
  const data = t.data as NumericArray;
  const enc = new TextEncoder();
  const out: Uint8Array[] = [];
  for (let r = 0; r < rows; r++) {
    const idx = Array.from({ length: classes }, (_, i) => i);
    const val = (i: number): number => Number(data[r * classes + i]);
    idx.sort((a, b) => val(b) - val(a) || a - b);
    for (const i of idx.slice(0, top)) {
      const label = labels?.[i];
      out.push(enc.encode(`${val(i)}:${i}${label !== undefined ? `:${label}` : ''}`));
    }
  }
  return { name: t.name, datatype: 'BYTES', shape: [...rowsShape, top], data: out };
}
