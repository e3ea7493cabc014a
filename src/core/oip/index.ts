/** The Open Inference Protocol v2 wire codec: pure functions the REST and gRPC edges call. */
export { DEFAULT_JSON_LIMITS, parseJsonLimited } from './json-limits.js';
export type { JsonLimits } from './json-limits.js';
export {
  BINARY_DATA,
  BINARY_DATA_OUTPUT,
  BINARY_DATA_SIZE,
  DEFAULT_MAX_RANK,
  decodeInferRequest,
  decodeRawInput,
} from './decode-request.js';
export type { DecodeLimits, DecodedInferRequest } from './decode-request.js';
export { encodeInferResponse } from './encode-response.js';
export type { EncodeResponseOptions, EncodedInferResponse } from './encode-response.js';
export { assembleBinaryBody, splitBinaryBody } from './binary-body.js';
export { jsonToTensorData, tensorDataToJson } from './json-tensor-data.js';
export {
  HOST_IS_LITTLE_ENDIAN,
  assertTensorConsistent,
  dataMatchesDatatype,
  decodeTensorBytes,
  encodeTensorBytes,
} from './tensor-bytes.js';
export type { DecodeBytesOptions } from './tensor-bytes.js';
