/**
 * Per model-version statistics in Triton's shape (the `statistics` extension): cumulative counts
 * and nanoseconds for success, fail, queue and the three compute phases, plus per-batch-size stats.
 */
import type { BatchStats, InferenceStats, ModelStatistics, StatDuration } from '../core/ports/inference.js';

class Duration {
  count = 0;
  ns = 0;
  add(seconds: number, n = 1): void {
    this.count += n;
    this.ns += Math.round(seconds * 1e9);
  }
  view(): StatDuration {
    return { count: this.count, ns: this.ns };
  }
}

export class StatsCollector {
  private readonly success = new Duration();
  private readonly fail = new Duration();
  private readonly queue = new Duration();
  private readonly computeInput = new Duration();
  private readonly computeInfer = new Duration();
  private readonly computeOutput = new Duration();
  private readonly batches = new Map<number, { input: Duration; infer: Duration; output: Duration }>();
  private inferenceCount = 0;
  private executionCount = 0;
  private lastInference = 0;

  constructor(
    readonly name: string,
    readonly version: string,
  ) {}

  /** A request answered successfully, `rows` inferences, with its phase split in seconds. */
  recordSuccess(
    rows: number,
    totalSeconds: number,
    p: { queue: number; computeInput: number; computeInfer: number; computeOutput: number },
    nowEpochMs: number,
  ): void {
    this.success.add(totalSeconds);
    this.queue.add(p.queue);
    this.computeInput.add(p.computeInput);
    this.computeInfer.add(p.computeInfer);
    this.computeOutput.add(p.computeOutput);
    this.inferenceCount += rows;
    this.lastInference = nowEpochMs;
  }

  recordFailure(totalSeconds: number): void {
    this.fail.add(totalSeconds);
  }

  /** One model execution (a batch) of `rows` rows. */
  recordExecution(rows: number, input: number, infer: number, output: number): void {
    this.executionCount += 1;
    let b = this.batches.get(rows);
    if (!b) {
      b = { input: new Duration(), infer: new Duration(), output: new Duration() };
      this.batches.set(rows, b);
    }
    b.input.add(input);
    b.infer.add(infer);
    b.output.add(output);
  }

  snapshot(): ModelStatistics {
    const inferenceStats: InferenceStats = {
      success: this.success.view(),
      fail: this.fail.view(),
      queue: this.queue.view(),
      computeInput: this.computeInput.view(),
      computeInfer: this.computeInfer.view(),
      computeOutput: this.computeOutput.view(),
      cacheHit: { count: 0, ns: 0 },
      cacheMiss: { count: 0, ns: 0 },
    };
    const batchStats: BatchStats[] = [...this.batches.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([batchSize, b]) => ({
        batchSize,
        computeInput: b.input.view(),
        computeInfer: b.infer.view(),
        computeOutput: b.output.view(),
      }));
    return {
      name: this.name,
      version: this.version,
      lastInference: this.lastInference,
      inferenceCount: this.inferenceCount,
      executionCount: this.executionCount,
      inferenceStats,
      batchStats,
    };
  }
}
