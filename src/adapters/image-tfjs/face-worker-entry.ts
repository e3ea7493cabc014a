/**
 * Entry of the face-api worker thread (started by WorkerFaceApiFaces, face-worker.ts): loads and
 * warms up face-api with this thread's own tfjs, then answers `detect` messages in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EngineFace } from '../../core/ports/image.js';
import { FaceApiFaces, type FaceApiOptions } from './face-api-faces.js';
import { toWire, type FromFaceWorker, type ToFaceWorker } from './face-worker.js';

const port = parentPort;
if (port) {
  const engine = new FaceApiFaces(workerData as FaceApiOptions);
  const post = (m: FromFaceWorker) => port.postMessage(m);
  try {
    await engine.init();
    let queue: Promise<void> = Promise.resolve();
    port.on('message', (msg: ToFaceWorker) => {
      if (msg.type === 'close') {
        void engine.close().then(() => port.close());
        return;
      }
      queue = queue.then(async () => {
        try {
          const faces: EngineFace[] = await engine.detect(msg.image);
          post({ type: 'result', id: msg.id, faces });
        } catch (e) {
          post({ type: 'failed', id: msg.id, error: toWire(e) });
        }
      });
    });
    post({ type: 'ready' });
  } catch (e) {
    post({ type: 'load-failed', error: toWire(e) });
    port.close();
  }
}
