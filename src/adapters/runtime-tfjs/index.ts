/**
 * TensorFlow.js runtime behind the InferenceRuntime port: model.json (graph or layers models) and
 * weight shards from the model repository, run on the wasm backend — in a worker thread per
 * instance (WorkerTfjsRuntime, what the server uses) or in the calling thread (TfjsRuntime).
 */
export {
  TfjsRuntime,
  TfjsSession,
  loadTfjsSession,
  readModelArtifacts,
  TFJS_BACKEND,
  TFJS_PLATFORM,
  TFJS_MODEL_FILENAME,
} from './tfjs-runtime.js';
export { WorkerTfjsRuntime, TfjsWorkerSession, liveTfjsWorkers } from './worker-runtime.js';
