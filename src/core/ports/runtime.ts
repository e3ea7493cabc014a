/** Port: an inference runtime (onnxruntime-node, tfjs …) that turns a model file into a session. */
import type { Tensor, TensorMetadata } from '../tensor.js';

export interface RuntimeLoadOptions {
  readonly intraOpThreads: number;
  readonly interOpThreads: number;
}

export interface RuntimeSession {
  /** Signature read from the model file itself (full shapes, -1 or symbolic dims as -1). */
  readonly inputs: readonly TensorMetadata[];
  readonly outputs: readonly TensorMetadata[];
  /** Free-form model metadata (e.g. ONNX metadata_props, producer). */
  readonly metadata: Readonly<Record<string, string>>;
  /**
   * Runs the model. `inputs` must cover every model input with concrete shapes; returns the
   * requested outputs in the order of `outputNames`.
   */
  run(inputs: readonly Tensor[], outputNames: readonly string[]): Promise<Tensor[]>;
  close(): Promise<void>;
}

export interface InferenceRuntime {
  /** Backend name (Triton's `backend`), e.g. "onnxruntime". */
  readonly backend: string;
  /** Platform string (Triton's `platform`), e.g. "onnxruntime_onnx". */
  readonly platform: string;
  /** File name inside a version directory, e.g. "model.onnx". */
  readonly defaultModelFilename: string;
  load(modelPath: string, options: RuntimeLoadOptions): Promise<RuntimeSession>;
}
