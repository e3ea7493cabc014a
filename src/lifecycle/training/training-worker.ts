/**
 * The training worker thread: decodes the data, builds (or resumes) a Trainer, runs epochs and
 * streams checkpoints to the service. Pure computation: it touches no store, so a killed worker
 * leaves nothing half-written; the service owns all I/O.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isKaleidoError } from '../../core/errors.js';
import {
  decodeCheckpoint,
  decodeTrainingData,
  encodeCheckpoint,
  encodeHead,
} from '../../core/train/codec.js';
import { Trainer } from '../../core/train/trainer.js';
import type { FromTrainingWorker, ToTrainingWorker, TrainingWorkerData } from './protocol.js';

const port = parentPort;
if (port === null) throw new Error('training-worker.ts must run in a worker thread');

const post = (message: FromTrainingWorker, transfer: ArrayBuffer[] = []): void =>
  port.postMessage(message, transfer);

/** Resolves when the service has acknowledged the checkpoint of `epoch`. */
const acked = new Map<number, () => void>();
const ackedEpochs = new Set<number>();
port.on('message', (m: ToTrainingWorker) => {
  if (m.type !== 'ack') return;
  ackedEpochs.add(m.epoch);
  acked.get(m.epoch)?.();
});
const waitForAck = (epoch: number): Promise<void> =>
  ackedEpochs.has(epoch) ? Promise.resolve() : new Promise((resolve) => acked.set(epoch, resolve));

async function main(input: TrainingWorkerData): Promise<void> {
  const data = decodeTrainingData(input.data);
  const trainer = new Trainer(
    data,
    input.config,
    input.checkpoint ? decodeCheckpoint(input.checkpoint) : undefined,
  );
  post({ type: 'started', resumedFromEpoch: trainer.epoch });
  let pending: number | undefined;
  while (!trainer.done) {
    const metrics = trainer.runEpoch();
    // Yield to the event loop so acks are delivered, and keep at most one unacknowledged checkpoint.
    if (pending !== undefined) await waitForAck(pending);
    const checkpoint = encodeCheckpoint({ identity: trainer.identity, state: trainer.snapshot() });
    post({ type: 'epoch', metrics, checkpoint }, [checkpoint.buffer as ArrayBuffer]);
    pending = metrics.epoch;
  }
  if (pending !== undefined) await waitForAck(pending);
  const head = encodeHead(trainer.result());
  post({ type: 'done', head }, [head.buffer as ArrayBuffer]);
}

main(workerData as TrainingWorkerData).catch((e: unknown) => {
  post({
    type: 'failed',
    code: isKaleidoError(e) ? e.code : 'ERR_INTERNAL',
    message: isKaleidoError(e) ? e.message : `training failed: ${(e as Error)?.message ?? String(e)}`,
  });
});
