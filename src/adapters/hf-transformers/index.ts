/** Bring-your-own Hugging Face classifiers (Optimum ONNX layout) through transformers.js, offline. */
export {
  scanHfModels,
  inspectHfDirectory,
  hfTaskName,
  type HfModelEntry,
  type HfPipelineTask,
} from './scan.js';
export { HfClassifier, createHfClassifiers, transformersVersion } from './hf-classifier.js';
export { WorkerHfClassifier } from './hf-worker.js';
