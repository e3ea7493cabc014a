/**
 * Entry of a tfjs model worker thread (started by WorkerTfjsRuntime; protocol in
 * worker-runtime.ts). Loads one model.json with the in-thread runtime, then answers `run`
 * messages in order until told to close.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { KaleidoError } from '../../core/errors.js';
import type { Tensor } from '../../core/tensor.js';
import { loadTfjsSession, type TfjsSession } from './tfjs-runtime.js';
import {
  encodeTensors,
  serializeError,
  type FromTfjsWorker,
  type TfjsWorkerData,
  type ToTfjsWorker,
} from './worker-runtime.js';

function post(port: MessagePort, message: FromTfjsWorker, transfer: ArrayBuffer[] = []): void {
  try {
    port.postMessage(message, transfer);
  } catch (e) {
    if (message.type === 'result') {
      port.postMessage({
        type: 'failed',
        id: message.id,
        error: serializeError(
          new KaleidoError('ERR_INTERNAL', 'the outputs could not be sent', { cause: e }),
        ),
      } satisfies FromTfjsWorker);
    } else if (message.type === 'failed' || message.type === 'load-failed') {
      port.postMessage({
        ...message,
        error: { code: message.error.code, message: message.error.message },
      } satisfies FromTfjsWorker);
    } else {
      throw e;
    }
  }
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new KaleidoError('ERR_INTERNAL', 'session-worker must run in a worker thread');
  const { modelPath } = workerData as TfjsWorkerData;
  let session: TfjsSession;
  try {
    session = await loadTfjsSession(modelPath);
  } catch (e) {
    post(port, { type: 'load-failed', error: serializeError(e) });
    port.close();
    return;
  }
  port.on('messageerror', (err) => {
    throw new KaleidoError('ERR_INTERNAL', 'a run request could not be deserialised', { cause: err });
  });
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (msg: ToTfjsWorker) => {
    queue = queue.then(async () => {
      if (msg.type === 'close') {
        await session.close();
        post(port, { type: 'closed' });
        port.close();
        return;
      }
      try {
        const outputs = await session.run(msg.inputs as readonly Tensor[], msg.outputNames);
        const { tensors, transfer } = encodeTensors(outputs, true);
        post(port, { type: 'result', id: msg.id, outputs: tensors }, transfer);
      } catch (e) {
        post(port, { type: 'failed', id: msg.id, error: serializeError(e) });
      }
    });
  });
  post(port, {
    type: 'ready',
    inputs: session.inputs,
    outputs: session.outputs,
    metadata: session.metadata,
  });
}

await main();
