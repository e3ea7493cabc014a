/**
 * Port: the inference service as seen by the protocol front ends (REST and gRPC call the same
 * implementation, src/serving/inference-service.ts). Shapes follow the OIP/Triton vocabulary in
 * camelCase; the edges convert to snake_case JSON or protobuf.
 */
import type { Parameters, Tensor, TensorMetadata } from '../tensor.js';

/** Minimal cancellation view (AbortSignal satisfies it). */
export interface CancelSignal {
  readonly aborted: boolean;
}

export interface RequestedOutput {
  readonly name: string;
  readonly parameters?: Parameters;
}

export interface InferRequest {
  readonly modelName: string;
  /** Empty or absent: the server picks (highest ready version). */
  readonly modelVersion?: string;
  readonly id?: string;
  readonly parameters?: Parameters;
  readonly inputs: readonly Tensor[];
  /** Absent: all outputs. */
  readonly outputs?: readonly RequestedOutput[];
  readonly signal?: CancelSignal;
}

export interface InferResponse {
  readonly modelName: string;
  readonly modelVersion: string;
  readonly id?: string;
  readonly parameters?: Parameters;
  readonly outputs: readonly Tensor[];
}

export interface ServerMetadata {
  readonly name: string;
  readonly version: string;
  readonly extensions: readonly string[];
}

export interface ModelMetadata {
  readonly name: string;
  readonly versions: readonly string[];
  readonly platform: string;
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
  readonly properties?: Readonly<Record<string, string>>;
}

export const ModelState = {
  UNAVAILABLE: 'UNAVAILABLE',
  LOADING: 'LOADING',
  READY: 'READY',
  UNLOADING: 'UNLOADING',
} as const;
export type ModelState = (typeof ModelState)[keyof typeof ModelState];

export interface RepositoryIndexEntry {
  readonly name: string;
  readonly version?: string;
  readonly state: ModelState;
  readonly reason: string;
}

export interface StatDuration {
  readonly count: number;
  readonly ns: number;
}

export interface InferenceStats {
  readonly success: StatDuration;
  readonly fail: StatDuration;
  readonly queue: StatDuration;
  readonly computeInput: StatDuration;
  readonly computeInfer: StatDuration;
  readonly computeOutput: StatDuration;
  readonly cacheHit: StatDuration;
  readonly cacheMiss: StatDuration;
}

export interface BatchStats {
  readonly batchSize: number;
  readonly computeInput: StatDuration;
  readonly computeInfer: StatDuration;
  readonly computeOutput: StatDuration;
}

export interface ModelStatistics {
  readonly name: string;
  readonly version: string;
  /** Milliseconds since the epoch of the last inference, 0 if none. */
  readonly lastInference: number;
  readonly inferenceCount: number;
  readonly executionCount: number;
  readonly inferenceStats: InferenceStats;
  readonly batchStats: readonly BatchStats[];
}

export interface LoadOptions {
  /** JSON text of a model config that overrides the one on disk (Triton `parameters.config`). */
  readonly config?: string;
}

export interface InferenceService {
  serverMetadata(): ServerMetadata;
  isLive(): boolean;
  isReady(): boolean;
  /** False for unknown models and versions (never throws), as Triton does. */
  modelReady(name: string, version?: string): boolean;
  /** Throws ERR_MODEL_NOT_FOUND / ERR_VERSION_NOT_FOUND / ERR_MODEL_NOT_READY. */
  modelMetadata(name: string, version?: string): ModelMetadata;
  /** The Triton `ModelConfig` as a snake_case JSON object (what /config returns). */
  modelConfig(name: string, version?: string): Record<string, unknown>;
  modelStatistics(name?: string, version?: string): ModelStatistics[];
  repositoryIndex(readyOnly?: boolean): Promise<RepositoryIndexEntry[]>;
  loadModel(name: string, options?: LoadOptions): Promise<void>;
  unloadModel(name: string): Promise<void>;
  infer(request: InferRequest): Promise<InferResponse>;
}
