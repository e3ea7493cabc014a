/** ONNX export of trained classifier heads and publishing into a Triton-layout model repository. */
export {
  exportHeadToOnnx,
  HEAD_INPUT_NAME,
  HEAD_OPSET,
  HEAD_OUTPUT_NAME,
  type HeadExportOptions,
} from './head-to-onnx.js';
export {
  headModelConfig,
  OnnxRepositoryPublisher,
  probeRows,
  verifyOnnxHead,
  type RepositoryPublisherOptions,
} from './repository-publisher.js';
