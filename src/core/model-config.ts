/**
 * Per-model configuration (Triton `config.pbtxt` semantics, stored as config.json or config.yaml
 * beside the versions). Files are snake_case; this is the camelCase in-memory form.
 *
 * As in Triton, when maxBatchSize > 0 the input/output `shape`s here exclude the batch dimension,
 * and the model's full shapes are [-1, ...shape].
 */
import type { TensorMetadata } from './tensor.js';

export type VersionPolicy =
  | { readonly kind: 'latest'; readonly numVersions: number }
  | { readonly kind: 'specific'; readonly versions: readonly number[] }
  | { readonly kind: 'all' };

export interface DynamicBatchingConfig {
  readonly preferredBatchSizes: readonly number[];
  readonly maxQueueDelayMs: number;
  /** Requests (not rows) that may wait; 0 = unbounded is not allowed, the queue is always bounded. */
  readonly maxQueueSize: number;
  /** Deadline applied to requests that carry no timeout; 0 = none. */
  readonly defaultTimeoutMs: number;
  /** Number of priority levels; priority 1 is the highest. */
  readonly priorityLevels: number;
  /** Priority given to requests that do not ask for one. */
  readonly defaultPriorityLevel: number;
}

export interface WarmupInput {
  readonly fill: 'zero' | 'random' | 'value';
  /** The constant for fill = 'value'. */
  readonly value?: number;
  /** Concrete dims without the batch dimension. */
  readonly dims?: readonly number[];
}

export interface WarmupSample {
  readonly name: string;
  readonly batchSize: number;
  /** Per input: how to fill it, and optionally concrete dims (else variable dims become 1). */
  readonly inputs: Readonly<Record<string, WarmupInput>>;
  readonly count: number;
}

export interface ModelConfig {
  readonly name: string;
  readonly platform: string;
  readonly backend: string;
  readonly maxBatchSize: number;
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
  /** Absent: requests are executed one by one as they come (still bounded by instance count). */
  readonly dynamicBatching?: DynamicBatchingConfig;
  readonly instanceCount: number;
  readonly intraOpThreads: number;
  readonly interOpThreads: number;
  readonly versionPolicy: VersionPolicy;
  readonly warmup: readonly WarmupSample[];
  /** File name (in the model directory) with one label per line for classification outputs. */
  readonly labelsFile?: string;
  readonly parameters: Readonly<Record<string, string>>;
}

export const defaultDynamicBatching: DynamicBatchingConfig = {
  preferredBatchSizes: [],
  maxQueueDelayMs: 2,
  maxQueueSize: 1024,
  defaultTimeoutMs: 0,
  priorityLevels: 2,
  defaultPriorityLevel: 2,
};

/** Full shape of a model tensor as seen by clients (batch dimension included when batching). */
export function fullShape(config: Pick<ModelConfig, 'maxBatchSize'>, t: TensorMetadata): number[] {
  return config.maxBatchSize > 0 ? [-1, ...t.shape] : [...t.shape];
}

/**
 * Picks the versions to serve from those available on disk, per the policy.
 * Returns version numbers in descending order.
 */
export function selectVersions(policy: VersionPolicy, available: readonly number[]): number[] {
  const sorted = [...new Set(available)].sort((a, b) => b - a);
  switch (policy.kind) {
    case 'all':
      return sorted;
    case 'latest':
      return sorted.slice(0, Math.max(1, policy.numVersions));
    case 'specific': {
      const want = new Set(policy.versions);
      return sorted.filter((v) => want.has(v));
    }
  }
}
