/**
 * The physical limit: onnxruntime-node called directly in this process, with no server, no
 * protocol and no batcher in between. The server can at best approach this number, because it
 * runs the same sessions on the same (synchronous) ORT path and adds decoding, queueing and I/O.
 */
import { OnnxRuntime } from '../../src/adapters/runtime-onnx/onnx-runtime.js';
import type { Tensor } from '../../src/core/tensor.js';

export interface RawPoint {
  readonly intraOpThreads: number;
  readonly interOpThreads: number;
  readonly batch: number;
  readonly inferencesPerSecond: number;
  readonly msPerRun: number;
  /** CPU microseconds (all threads of this process) per inference. */
  readonly cpuUsPerInference: number;
}

export async function measureRawLimit(opts: {
  modelPath: string;
  inputName: string;
  outputName: string;
  features: number;
  batches: readonly number[];
  threads: ReadonlyArray<{ intra: number; inter: number }>;
  durationMs: number;
}): Promise<RawPoint[]> {
  const runtime = new OnnxRuntime();
  const points: RawPoint[] = [];
  for (const t of opts.threads) {
    const session = await runtime.load(opts.modelPath, { intraOpThreads: t.intra, interOpThreads: t.inter });
    try {
      for (const batch of opts.batches) {
        const data = new Float32Array(batch * opts.features);
        for (let i = 0; i < data.length; i++) data[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
        const input: Tensor = { name: opts.inputName, datatype: 'FP32', shape: [batch, opts.features], data };
        // Warm-up: arena allocations and kernel selection for this shape happen on the first runs.
        for (let i = 0; i < 20; i++) await session.run([input], [opts.outputName]);
        let runs = 0;
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        while (performance.now() - t0 < opts.durationMs) {
          await session.run([input], [opts.outputName]);
          runs++;
        }
        const seconds = (performance.now() - t0) / 1000;
        const cpu = process.cpuUsage(c0);
        points.push({
          intraOpThreads: t.intra,
          interOpThreads: t.inter,
          batch,
          inferencesPerSecond: (runs * batch) / seconds,
          msPerRun: (seconds * 1000) / runs,
          cpuUsPerInference: (cpu.user + cpu.system) / (runs * batch),
        });
      }
    } finally {
      await session.close();
    }
  }
  return points;
}
