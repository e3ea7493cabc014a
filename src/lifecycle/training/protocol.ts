/**
 * Messages between the training service (main thread) and a training worker thread.
 *
 * Back-pressure: the worker posts each epoch's checkpoint and may compute one more epoch, but
 * posts the next one only after the service acknowledged the previous (written it durably). So at
 * most two checkpoints are in memory, and the service's view is never far behind the worker.
 */
import type { EpochMetrics, TrainConfig } from '../../core/train/types.js';

export interface TrainingWorkerData {
  /** encodeTrainingData bytes. */
  readonly data: Uint8Array;
  readonly config: TrainConfig;
  /** encodeCheckpoint bytes to resume from, or null to start fresh. */
  readonly checkpoint: Uint8Array | null;
}

export type FromTrainingWorker =
  | { readonly type: 'started'; readonly resumedFromEpoch: number }
  | { readonly type: 'epoch'; readonly metrics: EpochMetrics; readonly checkpoint: Uint8Array }
  | { readonly type: 'done'; readonly head: Uint8Array }
  | { readonly type: 'failed'; readonly code: string; readonly message: string };

export type ToTrainingWorker = { readonly type: 'ack'; readonly epoch: number };
