/** `kaleido bench <model>` — a closed-loop concurrency sweep against a running server. */
import { Command } from 'commander';
import type { ClientTensor, KaleidoClient } from '@kaleido/client';
import { KaleidoError } from '../core/errors.js';
import { clientFor, printTable, urlOption } from './common.js';
import { closedLoop } from './loadgen.js';

/** Builds a request body of random data matching the model's metadata (-1 dims become `batch` / 1). */
export async function syntheticInputs(
  client: KaleidoClient,
  model: string,
  batch: number,
): Promise<ClientTensor[]> {
  const meta = await client.modelMetadata(model);
  return meta.inputs.map((t) => {
    const shape = t.shape.map((d, i) => (d >= 0 ? d : i === 0 ? batch : 1));
    const n = shape.reduce((a, b) => a * b, 1);
    let data: unknown;
    switch (t.datatype) {
      case 'FP32':
        data = Float32Array.from({ length: n }, () => Math.random());
        break;
      case 'FP64':
        data = Float64Array.from({ length: n }, () => Math.random());
        break;
      case 'INT64':
        data = BigInt64Array.from({ length: n }, (_, i) => BigInt(i % 100));
        break;
      case 'BYTES':
        data = Array.from({ length: n }, (_, i) => `sample ${i}`);
        break;
      case 'BOOL':
        data = Array.from({ length: n }, (_, i) => i % 2 === 0);
        break;
      default:
        data = Array.from({ length: n }, (_, i) => i % 100);
    }
    return { name: t.name, datatype: t.datatype, shape, data } as ClientTensor;
  });
}

export function benchCommand(): Command {
  return new Command('bench')
    .description(
      'Measure throughput and latency of a model on a running server (closed-loop concurrency sweep).',
    )
    .argument('<model>', 'model name')
    .addOption(urlOption())
    .option('--concurrency <list>', 'comma-separated concurrency levels', '1,8,32')
    .option('--duration <seconds>', 'seconds per level', '5')
    .option('--batch <n>', 'rows per request (for batching models)', '1')
    .option('--binary', 'use the binary tensor extension')
    .option('--json', 'print JSON')
    .action(
      async (
        model: string,
        opts: { concurrency: string; duration: string; batch: string; binary?: boolean; json?: boolean },
        cmd: Command,
      ) => {
        const levels = opts.concurrency.split(',').map(Number);
        const seconds = Number(opts.duration);
        const batch = Number(opts.batch);
        if (
          levels.some((c) => !Number.isInteger(c) || c < 1) ||
          !(seconds > 0) ||
          !Number.isInteger(batch) ||
          batch < 1
        ) {
          throw new KaleidoError(
            'ERR_VALIDATION',
            '--concurrency must list positive integers; --duration and --batch must be positive',
          );
        }
        const client = clientFor(cmd);
        const inputs = await syntheticInputs(client, model, batch);
        const rows = [];
        for (const c of levels) {
          const r = await closedLoop(
            () => client.infer(model, { inputs }, { binary: opts.binary === true }),
            {
              concurrency: c,
              durationMs: seconds * 1000,
              warmupMs: 500,
            },
          );
          rows.push({
            concurrency: c,
            'req/s': Math.round(r.throughput),
            'infer/s': Math.round(r.throughput * batch),
            'p50 ms': r.p50Ms.toFixed(2),
            'p99 ms': r.p99Ms.toFixed(2),
            errors: r.errors,
          });
        }
        if (opts.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        else printTable(rows);
      },
    );
}
