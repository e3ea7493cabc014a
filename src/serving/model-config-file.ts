/**
 * Reads a model's config.json / config.yaml (Triton's ModelConfig in JSON form, snake_case) into
 * the camelCase `ModelConfig`, completing what is missing from the signature the runtime read out
 * of the model file, and renders it back in Triton's JSON form for GET …/config.
 *
 * Accepted spellings, so Triton users can bring their configs: datatypes as "FP32" or "TYPE_FP32";
 * delays as `max_queue_delay_ms` or Triton's `max_queue_delay_microseconds`; parameters as plain
 * strings or `{string_value}`; thread counts as top-level fields or the ORT backend's
 * `intra_op_thread_count` / `inter_op_thread_count` parameters.
 */
import { z } from 'zod';
import { KaleidoError } from '../core/errors.js';
import { defaultDynamicBatching, type ModelConfig, type VersionPolicy } from '../core/model-config.js';
import { isDatatype, type Datatype, type TensorMetadata } from '../core/tensor.js';

const dim = z.number().int().min(-1);
const datatype = z
  .string()
  .transform((s) => (s.startsWith('TYPE_') ? s.slice(5) : s))
  .transform((s) => (s === 'STRING' ? 'BYTES' : s))
  .refine(isDatatype, { message: 'unknown datatype' }) as unknown as z.ZodType<Datatype>;

const tensorSchema = z
  .object({
    name: z.string().min(1),
    data_type: datatype,
    dims: z.array(dim),
    label_filename: z.string().optional(),
    reshape: z.unknown().optional(),
    format: z.unknown().optional(),
    optional: z.boolean().optional(),
  })
  .strict();

const nonNegInt = z.number().int().min(0);

const instanceGroup = z
  .object({
    name: z.string().optional(),
    count: z.number().int().min(1).max(64).optional(),
    kind: z.enum(['KIND_CPU', 'KIND_AUTO']).optional(),
  })
  .strict();

const fileSchema = z
  .object({
    name: z.string().optional(),
    platform: z.string().optional(),
    backend: z.string().optional(),
    max_batch_size: nonNegInt.optional(),
    input: z.array(tensorSchema).optional(),
    output: z.array(tensorSchema).optional(),
    dynamic_batching: z
      .object({
        preferred_batch_sizes: z.array(z.number().int().min(1)).optional(),
        max_queue_delay_ms: z.number().min(0).optional(),
        max_queue_delay_microseconds: nonNegInt.optional(),
        max_queue_size: z.number().int().min(1).optional(),
        default_timeout_ms: nonNegInt.optional(),
        default_timeout_microseconds: nonNegInt.optional(),
        priority_levels: z.number().int().min(1).max(16).optional(),
        default_priority_level: z.number().int().min(1).optional(),
        default_queue_policy: z.unknown().optional(),
        preserve_ordering: z.boolean().optional(),
      })
      .strict()
      .optional(),
    // Triton writes a list; a single object is accepted too.
    instance_group: z.union([z.array(instanceGroup), instanceGroup.transform((g) => [g])]).optional(),
    intra_op_threads: nonNegInt.optional(),
    inter_op_threads: nonNegInt.optional(),
    version_policy: z
      .union([
        z.object({ latest: z.object({ num_versions: z.number().int().min(1) }).strict() }).strict(),
        z.object({ all: z.object({}).strict() }).strict(),
        z
          .object({ specific: z.object({ versions: z.array(z.number().int().min(1)).min(1) }).strict() })
          .strict(),
      ])
      .optional(),
    model_warmup: z
      .array(
        z
          .object({
            name: z.string().min(1),
            batch_size: z.number().int().min(1).optional(),
            count: z.number().int().min(1).max(1000).optional(),
            inputs: z.record(
              z.string(),
              z
                .object({
                  data_type: z.string().optional(),
                  dims: z.array(dim).optional(),
                  zero_data: z.boolean().optional(),
                  random_data: z.boolean().optional(),
                  /** Kaleido extension: every element set to this number (e.g. a sample rate). */
                  fill_value: z.number().optional(),
                })
                .strict(),
            ),
          })
          .strict(),
      )
      .optional(),
    labels_file: z.string().optional(),
    parameters: z
      .record(z.string(), z.union([z.string(), z.object({ string_value: z.string() }).strict()]))
      .optional(),
    default_model_filename: z.string().optional(),
    optimization: z.unknown().optional(),
  })
  .strict();

export type ModelConfigFile = z.infer<typeof fileSchema>;

function configError(model: string, issue: z.core.$ZodIssue | undefined, extra = ''): KaleidoError {
  const keys = issue && 'keys' in issue ? (issue.keys as string[]) : [];
  const field = [...(issue?.path ?? []), ...keys].join('.') || '(root)';
  return new KaleidoError(
    'ERR_BAD_CONFIG',
    `model "${model}": invalid config field "${field}": ${issue?.message ?? 'invalid'}${extra}`,
    { details: { model, field } },
  );
}

/** Validates the raw (already JSON/YAML-parsed) config object. */
export function parseModelConfigFile(model: string, raw: unknown): ModelConfigFile {
  const r = fileSchema.safeParse(raw ?? {});
  if (!r.success) throw configError(model, r.error.issues[0]);
  if (r.data.name !== undefined && r.data.name !== model) {
    throw new KaleidoError(
      'ERR_BAD_CONFIG',
      `model "${model}": config name "${r.data.name}" differs from the directory name`,
      { details: { model, field: 'name' } },
    );
  }
  return r.data;
}

export interface CompletionContext {
  readonly model: string;
  readonly platform: string;
  readonly backend: string;
  readonly defaultIntraOpThreads: number;
  readonly defaultInterOpThreads: number;
  /** The signature the runtime read from the model file (full shapes; -1 variable). */
  readonly signature?: { inputs: readonly TensorMetadata[]; outputs: readonly TensorMetadata[] };
}

const fromFileTensor = (t: z.infer<typeof tensorSchema>): TensorMetadata => ({
  name: t.name,
  datatype: t.data_type,
  shape: t.dims,
});

/**
 * Builds the effective ModelConfig. Without inputs/outputs in the file they come from the
 * signature; without max_batch_size, a model whose every tensor starts with a variable dimension
 * is treated as batchable (max 8, as Triton's auto-complete does), others as non-batching.
 * With both, the file must agree with the signature (names and datatypes; shapes compatible).
 */
export function completeModelConfig(file: ModelConfigFile, ctx: CompletionContext): ModelConfig {
  const sig = ctx.signature;
  const allVariableFirst =
    !!sig &&
    [...sig.inputs, ...sig.outputs].every((t) => t.shape.length > 0 && t.shape[0] === -1) &&
    sig.inputs.length > 0;
  const maxBatchSize = file.max_batch_size ?? (allVariableFirst ? 8 : 0);
  const strip = (t: TensorMetadata): TensorMetadata =>
    maxBatchSize > 0 ? { ...t, shape: t.shape.slice(1) } : { ...t, shape: [...t.shape] };

  const inputs = file.input?.map(fromFileTensor) ?? sig?.inputs.map(strip);
  const outputs = file.output?.map(fromFileTensor) ?? sig?.outputs.map(strip);
  if (!inputs || !outputs) {
    throw new KaleidoError(
      'ERR_BAD_CONFIG',
      `model "${ctx.model}": inputs/outputs unknown (no config and no signature)`,
      {
        details: { model: ctx.model, field: 'input' },
      },
    );
  }
  if (sig) checkAgainstSignature(ctx.model, maxBatchSize, inputs, sig.inputs, 'input');
  if (sig) checkAgainstSignature(ctx.model, maxBatchSize, outputs, sig.outputs, 'output');
  for (const [kind, list] of [
    ['input', inputs],
    ['output', outputs],
  ] as const) {
    const seen = new Set<string>();
    for (const t of list) {
      if (seen.has(t.name)) {
        throw new KaleidoError('ERR_BAD_CONFIG', `model "${ctx.model}": duplicate ${kind} "${t.name}"`, {
          details: { model: ctx.model, field: kind },
        });
      }
      seen.add(t.name);
    }
  }

  const db = file.dynamic_batching;
  if (db && maxBatchSize === 0) {
    throw new KaleidoError(
      'ERR_BAD_CONFIG',
      `model "${ctx.model}": dynamic_batching needs max_batch_size > 0`,
      {
        details: { model: ctx.model, field: 'dynamic_batching' },
      },
    );
  }
  const dynamicBatching = db
    ? {
        preferredBatchSizes: (db.preferred_batch_sizes ?? []).filter((s) => s <= maxBatchSize),
        maxQueueDelayMs:
          db.max_queue_delay_ms ??
          (db.max_queue_delay_microseconds !== undefined
            ? db.max_queue_delay_microseconds / 1000
            : defaultDynamicBatching.maxQueueDelayMs),
        maxQueueSize: db.max_queue_size ?? defaultDynamicBatching.maxQueueSize,
        defaultTimeoutMs:
          db.default_timeout_ms ??
          (db.default_timeout_microseconds !== undefined
            ? db.default_timeout_microseconds / 1000
            : defaultDynamicBatching.defaultTimeoutMs),
        priorityLevels: db.priority_levels ?? defaultDynamicBatching.priorityLevels,
        defaultPriorityLevel: Math.min(
          db.default_priority_level ?? db.priority_levels ?? defaultDynamicBatching.defaultPriorityLevel,
          db.priority_levels ?? defaultDynamicBatching.priorityLevels,
        ),
      }
    : undefined;

  const params = parametersOf(file);
  const { intraOpThreads, interOpThreads } = threadCountsOf(ctx.model, file, ctx);
  const versionPolicy = versionPolicyOf(file);

  const labelsFile = file.labels_file ?? file.output?.find((o) => o.label_filename)?.label_filename;
  const inputNames = new Set(inputs.map((i) => i.name));
  const warmup = (file.model_warmup ?? []).map((w) => {
    for (const name of Object.keys(w.inputs)) {
      if (!inputNames.has(name)) {
        throw new KaleidoError(
          'ERR_BAD_CONFIG',
          `model "${ctx.model}": warm-up "${w.name}" names unknown input "${name}"`,
          {
            details: { model: ctx.model, field: `model_warmup.${w.name}.inputs.${name}` },
          },
        );
      }
    }
    return {
      name: w.name,
      batchSize: Math.max(1, Math.min(w.batch_size ?? 1, Math.max(1, maxBatchSize))),
      count: w.count ?? 1,
      inputs: Object.fromEntries(
        Object.entries(w.inputs).map(([k, v]) => [
          k,
          {
            fill:
              v.fill_value !== undefined
                ? ('value' as const)
                : v.random_data
                  ? ('random' as const)
                  : ('zero' as const),
            ...(v.fill_value !== undefined ? { value: v.fill_value } : {}),
            ...(v.dims ? { dims: v.dims } : {}),
          },
        ]),
      ),
    };
  });

  return {
    name: ctx.model,
    platform: file.platform ?? ctx.platform,
    backend: file.backend ?? ctx.backend,
    maxBatchSize,
    inputs,
    outputs,
    ...(dynamicBatching ? { dynamicBatching } : {}),
    instanceCount: (file.instance_group ?? []).reduce((n, g) => n + (g.count ?? 1), 0) || 1,
    intraOpThreads,
    interOpThreads,
    versionPolicy,
    warmup,
    // One labels file per model: the model-level one, else the first output's label_filename.
    ...(labelsFile ? { labelsFile } : {}),
    parameters: params,
  };
}

const parametersOf = (file: ModelConfigFile): Record<string, string> => {
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(file.parameters ?? {}))
    params[k] = typeof v === 'string' ? v : v.string_value;
  return params;
};

/** Thread counts: top-level fields, else the ORT backend's parameters, else the server defaults. */
export function threadCountsOf(
  model: string,
  file: ModelConfigFile,
  defaults: Pick<CompletionContext, 'defaultIntraOpThreads' | 'defaultInterOpThreads'>,
): { intraOpThreads: number; interOpThreads: number } {
  const params = parametersOf(file);
  const threads = (field: string, top: number | undefined, fallback: number): number => {
    if (top !== undefined) return top;
    const p = params[field];
    if (p === undefined) return fallback;
    const n = Number(p);
    if (!Number.isInteger(n) || n < 0) {
      throw new KaleidoError(
        'ERR_BAD_CONFIG',
        `model "${model}": parameter ${field} must be an integer ≥ 0`,
        {
          details: { model, field: `parameters.${field}` },
        },
      );
    }
    return n;
  };
  return {
    intraOpThreads: threads('intra_op_thread_count', file.intra_op_threads, defaults.defaultIntraOpThreads),
    interOpThreads: threads('inter_op_thread_count', file.inter_op_threads, defaults.defaultInterOpThreads),
  };
}

/** The version policy (Triton's default: the latest version only). */
export function versionPolicyOf(file: ModelConfigFile): VersionPolicy {
  const vp = file.version_policy;
  if (!vp) return { kind: 'latest', numVersions: 1 };
  if ('latest' in vp) return { kind: 'latest', numVersions: vp.latest.num_versions };
  if ('all' in vp) return { kind: 'all' };
  return { kind: 'specific', versions: vp.specific.versions };
}

function checkAgainstSignature(
  model: string,
  maxBatchSize: number,
  declared: readonly TensorMetadata[],
  actual: readonly TensorMetadata[],
  kind: 'input' | 'output',
): void {
  const byName = new Map(actual.map((t) => [t.name, t]));
  for (const d of declared) {
    const a = byName.get(d.name);
    const fail = (why: string): never => {
      throw new KaleidoError('ERR_BAD_CONFIG', `model "${model}": ${kind} "${d.name}" ${why}`, {
        details: { model, field: kind, name: d.name },
      });
    };
    if (!a) fail(`is not in the model (it has ${[...byName.keys()].join(', ') || 'none'})`);
    else {
      if (a.datatype !== d.datatype) fail(`is ${d.datatype} in the config but ${a.datatype} in the model`);
      const full = maxBatchSize > 0 ? [-1, ...d.shape] : d.shape;
      if (maxBatchSize > 0 && a.shape.length > 0 && a.shape[0] !== -1) {
        fail(`has a fixed first dimension ${a.shape[0]} in the model, so max_batch_size must be 0`);
      }
      const compatible =
        full.length === a.shape.length &&
        full.every((x, i) => x === -1 || a.shape[i] === -1 || a.shape[i] === x);
      if (!compatible)
        fail(`has shape [${full.join(',')}] in the config but [${a.shape.join(',')}] in the model`);
    }
  }
  if (kind === 'input') {
    const declaredNames = new Set(declared.map((d) => d.name));
    const missing = actual.filter((a) => !declaredNames.has(a.name));
    if (missing.length > 0) {
      throw new KaleidoError(
        'ERR_BAD_CONFIG',
        `model "${model}": the config omits model inputs ${missing.map((m) => m.name).join(', ')}`,
        { details: { model, field: 'input' } },
      );
    }
  }
}

/** Triton's JSON form of the effective config (what GET …/config returns). */
export function renderTritonConfig(c: ModelConfig): Record<string, unknown> {
  const tensor = (t: TensorMetadata) => ({
    name: t.name,
    data_type: `TYPE_${t.datatype === 'BYTES' ? 'STRING' : t.datatype}`,
    dims: [...t.shape],
  });
  const policy =
    c.versionPolicy.kind === 'latest'
      ? { latest: { num_versions: c.versionPolicy.numVersions } }
      : c.versionPolicy.kind === 'all'
        ? { all: {} }
        : { specific: { versions: [...c.versionPolicy.versions] } };
  return {
    name: c.name,
    platform: c.platform,
    backend: c.backend,
    version_policy: policy,
    max_batch_size: c.maxBatchSize,
    input: c.inputs.map(tensor),
    output: c.outputs.map(tensor),
    ...(c.dynamicBatching
      ? {
          dynamic_batching: {
            preferred_batch_sizes: [...c.dynamicBatching.preferredBatchSizes],
            max_queue_delay_microseconds: Math.round(c.dynamicBatching.maxQueueDelayMs * 1000),
            priority_levels: c.dynamicBatching.priorityLevels,
            default_priority_level: c.dynamicBatching.defaultPriorityLevel,
            default_queue_policy: {
              max_queue_size: c.dynamicBatching.maxQueueSize,
              default_timeout_microseconds: Math.round(c.dynamicBatching.defaultTimeoutMs * 1000),
            },
          },
        }
      : {}),
    instance_group: [{ name: `${c.name}_0`, kind: 'KIND_CPU', count: c.instanceCount }],
    model_warmup: c.warmup.map((w) => ({
      name: w.name,
      batch_size: w.batchSize,
      count: w.count,
      inputs: Object.fromEntries(
        Object.entries(w.inputs).map(([k, v]) => [
          k,
          {
            ...(v.fill === 'random'
              ? { random_data: true }
              : v.fill === 'value'
                ? { fill_value: v.value }
                : { zero_data: true }),
            ...(v.dims ? { dims: [...v.dims] } : {}),
          },
        ]),
      ),
    })),
    parameters: Object.fromEntries([
      ['intra_op_thread_count', { string_value: String(c.intraOpThreads) }],
      ['inter_op_thread_count', { string_value: String(c.interOpThreads) }],
      ...Object.entries(c.parameters)
        .filter(([k]) => k !== 'intra_op_thread_count' && k !== 'inter_op_thread_count')
        .map(([k, v]) => [k, { string_value: v }]),
    ]),
  };
}
