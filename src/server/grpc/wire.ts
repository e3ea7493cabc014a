/**
 * The protobuf messages of api/proto as plain objects, in the form @grpc/proto-loader gives and
 * takes them with PROTO_LOADER_OPTIONS (src/server/grpc/proto.ts): snake_case field names,
 * 64-bit integers as decimal strings when decoded, enums as their names, absent scalars and
 * repeated fields filled with defaults, absent sub-messages as null, and every oneof exposed
 * through a virtual field naming the member that is set.
 *
 * Incoming types (`…Request`, decoded) are exact; outgoing types are what we build, where a
 * 64-bit integer may be a number or a decimal string (protobufjs accepts both).
 */

/** A decoded 64-bit integer. */
export type Int64String = string;
/** An outgoing 64-bit integer. */
export type Int64Out = number | string;

export interface InferParameterMsg {
  parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'double_param' | 'uint64_param';
  bool_param?: boolean;
  int64_param?: Int64Out;
  string_param?: string;
  double_param?: number;
  uint64_param?: Int64Out;
}

export type ParameterMapMsg = Record<string, InferParameterMsg>;

export interface InferTensorContentsMsg {
  bool_contents: boolean[];
  int_contents: number[];
  int64_contents: Int64String[];
  uint_contents: number[];
  uint64_contents: Int64String[];
  fp32_contents: number[];
  fp64_contents: number[];
  bytes_contents: Uint8Array[];
}

export interface InferInputTensorMsg {
  name: string;
  datatype: string;
  shape: Int64String[];
  parameters: ParameterMapMsg;
  contents: InferTensorContentsMsg | null;
}

export interface InferRequestedOutputTensorMsg {
  name: string;
  parameters: ParameterMapMsg;
}

export interface ModelInferRequestMsg {
  model_name: string;
  model_version: string;
  id: string;
  parameters: ParameterMapMsg;
  inputs: InferInputTensorMsg[];
  outputs: InferRequestedOutputTensorMsg[];
  raw_input_contents: Uint8Array[];
}

export interface InferOutputTensorMsg {
  name: string;
  datatype: string;
  shape: Int64Out[];
  parameters?: ParameterMapMsg;
}

export interface ModelInferResponseMsg {
  model_name: string;
  model_version: string;
  id: string;
  parameters?: ParameterMapMsg;
  outputs: InferOutputTensorMsg[];
  raw_output_contents: Uint8Array[];
}

export interface ModelStreamInferResponseMsg {
  error_message: string;
  infer_response: Partial<ModelInferResponseMsg> | null;
}

/** ModelReadyRequest, ModelMetadataRequest, ModelConfigRequest and ModelStatisticsRequest. */
export interface NameVersionMsg {
  name: string;
  version: string;
}

export interface TensorMetadataMsg {
  name: string;
  datatype: string;
  shape: Int64Out[];
}

export interface ModelMetadataResponseMsg {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorMetadataMsg[];
  outputs: TensorMetadataMsg[];
}

export interface ServerMetadataResponseMsg {
  name: string;
  version: string;
  extensions: string[];
}

export interface StatisticDurationMsg {
  count: Int64Out;
  ns: Int64Out;
}

export interface InferStatisticsMsg {
  success: StatisticDurationMsg;
  fail: StatisticDurationMsg;
  queue: StatisticDurationMsg;
  compute_input: StatisticDurationMsg;
  compute_infer: StatisticDurationMsg;
  compute_output: StatisticDurationMsg;
  cache_hit: StatisticDurationMsg;
  cache_miss: StatisticDurationMsg;
}

export interface InferBatchStatisticsMsg {
  batch_size: Int64Out;
  compute_input: StatisticDurationMsg;
  compute_infer: StatisticDurationMsg;
  compute_output: StatisticDurationMsg;
}

export interface ModelStatisticsMsg {
  name: string;
  version: string;
  last_inference: Int64Out;
  inference_count: Int64Out;
  execution_count: Int64Out;
  inference_stats: InferStatisticsMsg;
  batch_stats: InferBatchStatisticsMsg[];
}

export interface ModelStatisticsResponseMsg {
  model_stats: ModelStatisticsMsg[];
}

export interface ModelRepositoryParameterMsg {
  parameter_choice?: 'bool_param' | 'int64_param' | 'string_param' | 'bytes_param';
  bool_param?: boolean;
  int64_param?: Int64String;
  string_param?: string;
  bytes_param?: Uint8Array;
}

export interface RepositoryIndexRequestMsg {
  repository_name: string;
  ready: boolean;
}

export interface ModelIndexMsg {
  name: string;
  version: string;
  state: string;
  reason: string;
}

export interface RepositoryIndexResponseMsg {
  models: ModelIndexMsg[];
}

/** RepositoryModelLoadRequest and RepositoryModelUnloadRequest. */
export interface RepositoryModelRequestMsg {
  repository_name: string;
  model_name: string;
  parameters: Record<string, ModelRepositoryParameterMsg>;
}

/** The reduced Triton ModelConfig of api/proto/model_config.proto, as built for the wire. */
export type ModelConfigMsg = Record<string, unknown>;

export interface ModelConfigResponseMsg {
  config: ModelConfigMsg;
}

export interface HealthCheckRequestMsg {
  service: string;
}

export interface HealthCheckResponseMsg {
  status: 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
}
