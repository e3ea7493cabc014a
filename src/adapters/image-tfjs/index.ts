/**
 * TensorFlow.js (wasm backend) adapter: COCO-80 objects (Human nanodet/centernet), faces with
 * age/gender/expression (face-api), NSFW classes (nsfwjs MobileNetV2). One tfjs instance and one
 * wasm backend serve all three; models load once at init and are warmed up there.
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
