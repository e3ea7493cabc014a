/**
 * Entry of a plugged classifier's worker thread (started by WorkerHfClassifier, hf-worker.ts):
 * loads the model with this thread's own transformers.js, then answers `classify` messages in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { HfClassifier } from './hf-classifier.js';
import { toWire, type FromHfWorker, type ToHfWorker } from './hf-worker.js';
import type { HfModelEntry } from './scan.js';

const port = parentPort;
if (port) {
  const classifier = new HfClassifier(workerData as HfModelEntry);
  const post = (m: FromHfWorker) => port.postMessage(m);
  await classifier.init(); // never throws: a failure is in status()
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (msg: ToHfWorker) => {
    if (msg.type === 'close') {
      void classifier.close().then(() => port.close());
      return;
    }
    queue = queue.then(async () => {
      try {
        post({ type: 'result', id: msg.id, labels: await classifier.classify(msg.input) });
      } catch (e) {
        post({ type: 'failed', id: msg.id, error: toWire(e) });
      }
    });
  });
  post({ type: 'ready', version: classifier.version, status: classifier.status() });
}
