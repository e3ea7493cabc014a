/**
 * Entry of a session worker thread (started by WorkerOnnxRuntime; see worker-runtime.ts for the
 * protocol and the memory rules). It loads one model with the in-thread OnnxRuntime, so input
 * validation and error mapping are exactly those of the in-thread runtime, then answers `run`
 * messages in the order they arrive until it is told to close.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { KaleidoError } from '../../core/errors.js';
import type { RuntimeSession } from '../../core/ports/runtime.js';
import type { Tensor } from '../../core/tensor.js';
import { OnnxRuntime } from './onnx-runtime.js';
import {
  CONTROL_ACTIVE,
  CONTROL_STOP,
  encodeTensors,
  serializeError,
  type FromSessionWorker,
  type SessionWorkerData,
  type ToSessionWorker,
} from './worker-runtime.js';

/**
 * Posts a message. If it cannot be sent as is (error details that do not clone, a buffer that
 * cannot be transferred), what is sent instead still settles the caller's promise.
 */
function post(port: MessagePort, message: FromSessionWorker, transfer: ArrayBuffer[] = []): void {
  try {
    port.postMessage(message, transfer);
    return;
  } catch (e) {
    if (message.type === 'result') {
      const error = serializeError(
        new KaleidoError('ERR_INTERNAL', 'the model outputs could not be sent to the main thread', {
          cause: e,
        }),
      );
      port.postMessage({ type: 'failed', id: message.id, error } satisfies FromSessionWorker);
    } else if (message.type === 'failed' || message.type === 'load-failed') {
      const { code, message: text } = message.error;
      port.postMessage({ ...message, error: { code, message: text } } satisfies FromSessionWorker);
    } else {
      throw e;
    }
  }
}

const STOPPED = Symbol('stopped');

/**
 * Runs `call` (which enters onnxruntime's native code) unless the main thread has asked this
 * thread to stop; while it runs, the main thread will not terminate the thread (see
 * worker-runtime.ts on why that matters, and on the order of the two atomic operations).
 */
async function native<T>(control: Int32Array, call: () => Promise<T>): Promise<T | typeof STOPPED> {
  Atomics.add(control, CONTROL_ACTIVE, 1);
  try {
    if (Atomics.load(control, CONTROL_STOP) !== 0) return STOPPED;
    return await call();
  } finally {
    Atomics.sub(control, CONTROL_ACTIVE, 1);
  }
}

async function run(
  port: MessagePort,
  control: Int32Array,
  session: RuntimeSession,
  msg: Extract<ToSessionWorker, { type: 'run' }>,
): Promise<void> {
  try {
    const outputs = await native(control, () =>
      session.run(msg.inputs as readonly Tensor[], msg.outputNames),
    );
    // Stopped: the main thread has already failed this run and is about to end the thread.
    if (outputs === STOPPED) return;
    // The outputs are fresh buffers only this message references: move them, do not copy them.
    const { tensors, transfer } = encodeTensors(outputs, 'transfer');
    post(port, { type: 'result', id: msg.id, outputs: tensors }, transfer);
  } catch (e) {
    post(port, { type: 'failed', id: msg.id, error: serializeError(e) });
  }
}

function serve(port: MessagePort, control: Int32Array, session: RuntimeSession): void {
  // A message that cannot be deserialised is dropped by Node, and its run would never answer.
  // Failing the whole instance instead makes the main thread reject every pending run.
  port.on('messageerror', (err) => {
    throw new KaleidoError('ERR_INTERNAL', 'a run request could not be deserialised', { cause: err });
  });
  const close = async (): Promise<void> => {
    try {
      await native(control, () => session.close());
    } finally {
      post(port, { type: 'closed' });
      port.close();
    }
  };
  // Requests are handled one at a time, in order. onnxruntime would run them one after another
  // on this thread anyway; queueing them here also puts each run's stop check right before its
  // own native call, so a stop waits for at most one inference, and a close comes after every
  // run posted before it (whose results therefore reach the main thread first).
  let queue: Promise<void> = Promise.resolve();
  port.on('message', (msg: ToSessionWorker) => {
    queue = queue
      .then(() => (msg.type === 'run' ? run(port, control, session, msg) : close()))
      .catch((e: unknown) => {
        // Only a failure to report a failure gets here: end the instance rather than go on
        // with a run that will never answer (the main thread then rejects what is pending).
        setImmediate(() => {
          throw e;
        });
      });
  });
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) {
    throw new KaleidoError('ERR_INTERNAL', 'session-worker must be started as a worker thread');
  }
  const { modelPath, options, control } = workerData as SessionWorkerData;
  let session: RuntimeSession;
  try {
    const loaded = await native(control, () => new OnnxRuntime().load(modelPath, options));
    if (loaded === STOPPED) {
      port.close();
      return;
    }
    session = loaded;
  } catch (e) {
    post(port, { type: 'load-failed', error: serializeError(e) });
    port.close();
    return;
  }
  serve(port, control, session);
  post(port, {
    type: 'ready',
    inputs: session.inputs,
    outputs: session.outputs,
    metadata: session.metadata,
  });
}

await main();
