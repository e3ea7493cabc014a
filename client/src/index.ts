/**
 * @kaleido/client — typed client for Kaleido's public API (Open Inference Protocol v2 over HTTP,
 * JSON and binary tensors, Triton extensions, operations endpoints). Browser and Node 20.
 */

export { KaleidoClient } from './client.js';
export type {
  BatchStatistics,
  CallOptions,
  InferenceStatistics,
  InferOptions,
  KaleidoClientOptions,
  LoadModelOptions,
  MemoryUsage,
  ModelMetadata,
  ModelStatistics,
  RepositoryIndexEntry,
  ServerMetadata,
  StatisticDuration,
  TensorMetadata,
  UnloadModelOptions,
} from './client.js';
export { InferResult, ResultTensor, decodeInferResponse, encodeInferRequest } from './infer.js';
export type {
  ClientTensor,
  EncodedInferRequest,
  InferEncodeOptions,
  InferInput,
  ParameterValue,
  Parameters,
  RequestedOutput,
} from './infer.js';
export { KaleidoApiError, parseErrorBody, parseRetryAfter } from './errors.js';
export type { KaleidoApiErrorKind } from './errors.js';
export { DATATYPES, Datatype, datatypeByteSize, elementCount, isDatatype } from './datatypes.js';
export type { DatatypeData, NumericArray, TensorData } from './datatypes.js';
export { fromBfloat16Bits, fromFloat16Bits, toBfloat16Bits, toFloat16Bits } from './half.js';
export { fromWireBytes, normalizeData, toJsonDataText, toWireBytes } from './tensor-data.js';
export type { DataElement, DataInput, NestedElement } from './tensor-data.js';
