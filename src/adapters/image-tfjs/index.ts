/**
 * TensorFlow.js (wasm backend) engines: COCO-80 objects (Human nanodet/centernet), faces with
 * age/gender/expression (face-api, also as WorkerFaceApiFaces in a worker thread of its own), NSFW
 * classes (nsfwjs MobileNetV2). The server serves the NSFW and NanoDet models from the model
 * repository through adapters/runtime-tfjs instead (modalities/image/served.ts); the in-process
 * Human and nsfwjs engines remain for tools and for checking the served models against them.
 */
export { tfjsWasm, fileModelHandler, packageDir, Serial, type Tf } from './backend.js';
export {
  HumanObjectDetector,
  COCO_LABELS,
  type HumanObjectModel,
  type HumanObjectsOptions,
} from './human-objects.js';
export { FaceApiFaces, type FaceApiOptions, type FaceDetectorModel } from './face-api-faces.js';
export { NsfwjsClassifier, NSFW_CLASSES, convertNsfwModel, type NsfwjsOptions } from './nsfwjs-classifier.js';
export { WorkerFaceApiFaces } from './face-worker.js';
