/**
 * `npm run bench` — the serving benchmark. It measures, in one run on one machine:
 *
 *  1. the physical limit: onnxruntime-node in-process for mlp_large_fp32 at batch 1/8/32/64;
 *  2. the server (a child process) on that compute-bound model over HTTP JSON, HTTP binary and
 *     gRPC: a closed-loop concurrency sweep of batch-1 requests and an open-loop run at ~70% of
 *     the measured maximum, after a short search over serving configs;
 *  3. the same with dynamic batching off;
 *  4. a no-op model (identity_fp32) at concurrency 64;
 *  5. overload: an open loop at 2× the measured maximum against a small queue (fast 429s, no
 *     latency collapse for what is accepted);
 *
 * then prints the tables and writes them into docs/benchmarks.md with the machine and the date.
 * Numbers from one run are compared as ratios: the machine is small and shared, so absolute
 * numbers move between runs.
 *
 * Flags: --quick (about a minute), --no-write (do not touch docs/benchmarks.md),
 *        --profile <dir> (run the server child under --cpu-prof, profiles written to <dir>).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { closedLoop, openLoop, type LoadResult } from '../src/cli/loadgen.js';
import {
  createClient,
  createHealthProbe,
  PROTOCOLS,
  workload,
  type Protocol,
  type ProtocolClient,
  type Workload,
} from './lib/protocols.js';
import { measure, type Measured } from './lib/measure.js';
import { measureRawLimit, type RawPoint } from './lib/raw-limit.js';
import {
  currentLoadAverage,
  describeMachine,
  fmt,
  machineLine,
  renderMarkdown,
  renderText,
  sampleIdleShare,
  writeResults,
  type Table,
} from './lib/report.js';
import {
  applyVariant,
  describeVariant,
  readModelConfig,
  startServer,
  type ServerHandle,
  type ServingVariant,
} from './lib/server-process.js';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    profile: { type: 'string' },
  },
});
const quick = args.quick === true;

const REPOSITORY = 'models/fixtures';
const COMPUTE_MODEL = 'mlp_large_fp32';
const NOOP_MODEL = 'identity_fp32';
const FEATURES = 256;
const CLASSES = 10;

/** Durations in ms; --quick shrinks everything to keep the whole run near one minute. */
const T = quick
  ? {
      raw: 200,
      tune: 800,
      point: 600,
      warmup: 200,
      open: 1_000,
      noop: 800,
      overload: 1_500,
      pair: 600,
      pairs: 1,
      capacity: 600,
      serverWarmup: 400,
    }
  : {
      raw: 1_200,
      tune: 2_500,
      point: 3_000,
      warmup: 400,
      open: 4_000,
      noop: 3_500,
      overload: 5_000,
      pair: 2_000,
      pairs: 3,
      capacity: 1_500,
      serverWarmup: 1_500,
    };
const SWEEP = [1, 8, 32, 128];
const RAW_BATCHES = [1, 8, 32, 64];
const NOOP_CONCURRENCY = 64;
const OPEN_LOOP_FRACTION = 0.7;
const OVERLOAD_FACTOR = 2;
const OVERLOAD_QUEUE = 64;
/** "No latency collapse": accepted p99 under overload within this factor of the un-overloaded p99. */
const OVERLOAD_P99_FACTOR = 3;
/** Client sockets for closed loops: at least the largest concurrency. */
const CONNECTIONS = 256;
/**
 * Client sockets for open loops: requests beyond this wait in the client, and that wait counts in
 * their latency (it is measured from the scheduled send time), so keep it well above what the
 * server holds in flight.
 */
const OPEN_CONNECTIONS = 1024;

const tables: Table[] = [];
const show = (t: Table): void => {
  tables.push(t);
  console.log(renderText(t));
};
const log = (msg: string): void => console.error(`[bench] ${msg}`);

/** The cost columns every load table carries (see lib/measure.ts). */
const COST_COLUMNS = ['avg batch', 'server cores', 'server µs/inf', 'client cores'] as const;
const costCells = (m: Measured): string[] => [
  Number.isFinite(m.averageBatch) ? m.averageBatch.toFixed(1) : '–',
  m.serverCores.toFixed(2),
  fmt.int(m.serverCpuUsPerInference),
  m.clientCores.toFixed(2),
];

const errorsOf = (r: LoadResult): string =>
  r.errors === 0
    ? '0'
    : `${r.errors} (${Object.entries(r.errorKinds)
        .map(([k, n]) => `${k}:${n}`)
        .join(' ')})`;

const computeWorkload: Workload = workload(COMPUTE_MODEL, 'features', [1, FEATURES], 'probabilities', [
  1,
  CLASSES,
]);
const noopWorkload: Workload = workload(NOOP_MODEL, 'INPUT0', [1, 16], 'OUTPUT0', [1, 16]);

async function withClient<T>(
  server: ServerHandle,
  protocol: Protocol,
  w: Workload,
  fn: (c: ProtocolClient) => Promise<T>,
  connections = CONNECTIONS,
): Promise<T> {
  const client = createClient(protocol, server, w, connections);
  try {
    await client.verify();
    return await fn(client);
  } finally {
    await client.close();
  }
}

interface SweepPoint {
  readonly protocol: Protocol;
  readonly concurrency: number;
  readonly result: LoadResult;
  readonly cost: Measured;
}

interface OpenPoint {
  readonly protocol: Protocol;
  readonly rate: number;
  /** Closed-loop c=128 throughput measured just before (see capacityNow). */
  readonly capacity: number;
  readonly result: LoadResult;
  readonly cost: Measured;
}

async function sweep(server: ServerHandle, w: Workload, levels: readonly number[]): Promise<SweepPoint[]> {
  const points: SweepPoint[] = [];
  for (const protocol of PROTOCOLS) {
    await withClient(server, protocol, w, async (c) => {
      for (const concurrency of levels) {
        const cost = await measure(server, w.model, () =>
          closedLoop(() => c.infer(), { concurrency, durationMs: T.point, warmupMs: T.warmup }),
        );
        const result = cost.load;
        points.push({ protocol, concurrency, result, cost });
        log(`${protocol} c=${concurrency}: ${fmt.int(result.throughput)}/s p99 ${fmt.ms(result.p99Ms)} ms`);
      }
    });
  }
  return points;
}

/**
 * The throughput the server sustains right now: a short closed loop at high concurrency. Open-loop
 * rates are derived from this rather than from a sweep minutes earlier, because on a shared
 * machine the capacity drifts with outside load, and a fixed rate above the current capacity
 * measures the drift, not the server.
 */
const capacityNow = async (c: ProtocolClient): Promise<number> =>
  (await closedLoop(() => c.infer(), { concurrency: 128, durationMs: T.capacity, warmupMs: T.warmup }))
    .throughput;

async function openLoops(server: ServerHandle, w: Workload): Promise<OpenPoint[]> {
  const out: OpenPoint[] = [];
  for (const protocol of PROTOCOLS) {
    const point = await withClient(
      server,
      protocol,
      w,
      async (c) => {
        const capacity = await capacityNow(c);
        const rate = Math.max(1, Math.round(capacity * OPEN_LOOP_FRACTION));
        const cost = await measure(server, w.model, () =>
          openLoop(() => c.infer(), {
            ratePerSecond: rate,
            durationMs: T.open,
            maxInFlight: OPEN_CONNECTIONS,
          }),
        );
        return { protocol, rate, capacity, result: cost.load, cost };
      },
      OPEN_CONNECTIONS,
    );
    log(
      `${protocol} open ${point.rate}/s: p99 ${fmt.ms(point.result.p99Ms)} ms, errors ${point.result.errors}`,
    );
    out.push(point);
  }
  return out;
}

function sweepTable(
  title: string,
  note: string,
  points: readonly SweepPoint[],
  open: readonly OpenPoint[],
  rawBest: number,
): Table {
  return {
    title,
    note,
    columns: ['protocol', 'load', 'inferences/s', '% of raw', 'p50 ms', 'p99 ms', 'errors', ...COST_COLUMNS],
    rows: [
      ...points.map((p) => [
        p.protocol,
        `closed c=${p.concurrency}`,
        fmt.int(p.result.throughput),
        fmt.pct(p.result.throughput / rawBest),
        fmt.ms(p.result.p50Ms),
        fmt.ms(p.result.p99Ms),
        errorsOf(p.result),
        ...costCells(p.cost),
      ]),
      ...open.map((o) => [
        o.protocol,
        `open ${fmt.int(o.rate)}/s (${fmt.pct(OPEN_LOOP_FRACTION)} of ${fmt.int(o.capacity)}/s)`,
        fmt.int(o.result.throughput),
        fmt.pct(o.result.throughput / rawBest),
        fmt.ms(o.result.p50Ms),
        fmt.ms(o.result.p99Ms),
        errorsOf(o.result),
        ...costCells(o.cost),
      ]),
    ],
  };
}

async function main(): Promise<void> {
  const started = performance.now();
  const machine = describeMachine();
  const idleAtStart = await sampleIdleShare(1000);
  log(`${quick ? 'quick' : 'full'} run on ${machineLine(machine)}, ${fmt.pct(idleAtStart)} idle`);

  // The serving configs tried for the compute-bound model. Each instance is its own ORT session;
  // onnxruntime-node runs sessions synchronously on the event loop, so instances add concurrency
  // only through ORT's own intra-op threads.
  const base = readModelConfig(REPOSITORY, COMPUTE_MODEL);
  const batching = (delay: number, queue = 1024) => ({
    preferred: [16, 32, 64],
    maxQueueDelayMs: delay,
    maxQueueSize: queue,
  });
  const candidates: ServingVariant[] = quick
    ? [
        { batching: batching(2), instances: 1, intraOpThreads: 1, interOpThreads: 1 },
        { batching: batching(2), instances: 1, intraOpThreads: 2, interOpThreads: 1 },
      ]
    : [
        { batching: batching(2), instances: 1, intraOpThreads: 1, interOpThreads: 1 },
        { batching: batching(2), instances: 1, intraOpThreads: 2, interOpThreads: 1 },
        { batching: batching(2), instances: 2, intraOpThreads: 1, interOpThreads: 1 },
        { batching: batching(0), instances: 1, intraOpThreads: 1, interOpThreads: 1 },
        { batching: batching(5), instances: 1, intraOpThreads: 1, interOpThreads: 1 },
      ];

  // 1. Physical limit, before any server process exists.
  const threadSettings = [
    ...new Map(
      candidates.map((c) => [
        `${c.intraOpThreads}/${c.interOpThreads}`,
        { intra: c.intraOpThreads, inter: c.interOpThreads },
      ]),
    ).values(),
  ];
  const raw: RawPoint[] = await measureRawLimit({
    modelPath: resolve(REPOSITORY, COMPUTE_MODEL, '1', 'model.onnx'),
    inputName: 'features',
    outputName: 'probabilities',
    features: FEATURES,
    batches: RAW_BATCHES,
    threads: threadSettings,
    durationMs: T.raw,
  });
  const rawBestFor = (intra: number, inter: number) =>
    Math.max(
      ...raw
        .filter((p) => p.intraOpThreads === intra && p.interOpThreads === inter)
        .map((p) => p.inferencesPerSecond),
    );
  const rawBest = Math.max(...raw.map((p) => p.inferencesPerSecond));
  const rawCpuBest = Math.min(...raw.map((p) => p.cpuUsPerInference));
  show({
    title: `1. Physical limit: onnxruntime-node in-process, ${COMPUTE_MODEL}`,
    note: 'session.run on one pre-built tensor in a loop; no server. The best row is the reference for "% of raw".',
    columns: ['intra/inter threads', 'batch', 'inferences/s', 'ms per run', 'CPU µs/inf'],
    rows: raw.map((p) => [
      `${p.intraOpThreads}/${p.interOpThreads}`,
      p.batch,
      `${fmt.int(p.inferencesPerSecond)}${p.inferencesPerSecond === rawBest ? ' (best)' : ''}`,
      fmt.ms(p.msPerRun),
      fmt.int(p.cpuUsPerInference),
    ]),
  });

  const dataDir = mkdtempSync(join(tmpdir(), 'kaleido-bench-'));
  const server = await startServer({
    repository: REPOSITORY,
    dataDir,
    startupModels: [COMPUTE_MODEL, NOOP_MODEL],
    ...(args.profile ? { nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${resolve(args.profile)}`] } : {}),
  });
  log(`server child pid ${server.pid} http ${server.httpPort} grpc ${server.grpcPort}`);
  try {
    // Warm-up, not measured: the first seconds of load on a fresh server pay for JIT compilation
    // of the whole request path (HTTP, decoding, batcher, gRPC codec); without this the first
    // measured config would look worse than it is.
    for (const protocol of PROTOCOLS) {
      await withClient(server, protocol, computeWorkload, (c) =>
        closedLoop(() => c.infer(), { concurrency: 32, durationMs: T.serverWarmup }),
      );
    }
    // Config search: HTTP binary (the cheapest HTTP encoding) at high concurrency, where batching
    // and threads matter most. The config that needs the least server CPU per inference wins, and
    // among those within 5% of it the one with the best throughput: on a shared machine one
    // short window's throughput mostly says how much CPU the neighbours left, while CPU per
    // inference is a property of the config.
    const tuning: Array<{ variant: ServingVariant; result: LoadResult; cost: Measured }> = [];
    await withClient(server, 'http-binary', computeWorkload, async (c) => {
      for (const variant of candidates) {
        await server.reload(COMPUTE_MODEL, applyVariant(base, variant));
        const cost = await measure(server, COMPUTE_MODEL, () =>
          closedLoop(() => c.infer(), { concurrency: 128, durationMs: T.tune, warmupMs: T.warmup }),
        );
        const result = cost.load;
        log(
          `tune ${describeVariant(variant)}: ${fmt.int(result.throughput)}/s p99 ${fmt.ms(result.p99Ms)} ms`,
        );
        tuning.push({ variant, result, cost });
      }
    });
    const cheapest = Math.min(...tuning.map((t) => t.cost.serverCpuUsPerInference));
    const chosen = tuning
      .filter((t) => t.cost.serverCpuUsPerInference <= cheapest * 1.05)
      .sort((a, b) => b.result.throughput - a.result.throughput)[0]!.variant;
    show({
      title: `2a. Serving config search (${COMPUTE_MODEL}, HTTP binary, closed loop c=128)`,
      note: 'Chosen: the least server CPU per inference; among configs within 5% of it, the highest throughput.',
      columns: ['config', 'inferences/s', '% of raw (same threads)', 'p99 ms', 'errors', ...COST_COLUMNS, ''],
      rows: tuning.map((t) => [
        describeVariant(t.variant),
        fmt.int(t.result.throughput),
        fmt.pct(t.result.throughput / rawBestFor(t.variant.intraOpThreads, t.variant.interOpThreads)),
        fmt.ms(t.result.p99Ms),
        errorsOf(t.result),
        ...costCells(t.cost),
        t.variant === chosen ? 'chosen' : '',
      ]),
    });
    const rawChosen = rawBestFor(chosen.intraOpThreads, chosen.interOpThreads);

    // 2. Batching on, chosen config.
    await server.reload(COMPUTE_MODEL, applyVariant(base, chosen));
    const on = await sweep(server, computeWorkload, SWEEP);
    const onOpen = await openLoops(server, computeWorkload);
    show(
      sweepTable(
        `2b. Server, ${COMPUTE_MODEL}, dynamic batching on`,
        `Config: ${describeVariant(chosen)}. Batch-1 requests. "% of raw" is against the best raw row with the same threads (${fmt.int(rawChosen)}/s).`,
        on,
        onOpen,
        rawChosen,
      ),
    );

    // 3. Batching off: same instances and threads, no dynamic_batching section.
    const offVariant: ServingVariant = { ...chosen, batching: undefined };
    await server.reload(COMPUTE_MODEL, applyVariant(base, offVariant));
    const off = await sweep(server, computeWorkload, SWEEP);
    const offOpen = await openLoops(server, computeWorkload);
    show(
      sweepTable(
        `3a. Server, ${COMPUTE_MODEL}, dynamic batching off`,
        `Config: ${describeVariant(offVariant)}.`,
        off,
        offOpen,
        rawChosen,
      ),
    );
    // On/off at c=32, interleaved (on, off, on, off …) so that a burst of outside load on this
    // shared machine hits both sides alike; the ratio reported is the median of the pairs.
    const pairs: Array<{ protocol: Protocol; on: Measured; off: Measured }> = [];
    for (const protocol of PROTOCOLS) {
      await withClient(server, protocol, computeWorkload, async (c) => {
        for (let i = 0; i < T.pairs; i++) {
          const one = async (variant: ServingVariant) => {
            await server.reload(COMPUTE_MODEL, applyVariant(base, variant));
            return measure(server, COMPUTE_MODEL, () =>
              closedLoop(() => c.infer(), { concurrency: 32, durationMs: T.pair, warmupMs: T.warmup }),
            );
          };
          const a = await one(chosen);
          const b = await one(offVariant);
          log(`pair ${protocol} on ${fmt.int(a.load.throughput)}/s off ${fmt.int(b.load.throughput)}/s`);
          pairs.push({ protocol, on: a, off: b });
        }
      });
    }
    const median = (xs: number[]): number => {
      const s = [...xs].sort((x, y) => x - y);
      const m = Math.floor(s.length / 2);
      return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
    };
    const ratios = PROTOCOLS.map((p) => {
      const mine = pairs.filter((x) => x.protocol === p);
      return {
        p,
        ratio: median(mine.map((x) => x.on.load.throughput / x.off.load.throughput)),
        on: median(mine.map((x) => x.on.load.throughput)),
        off: median(mine.map((x) => x.off.load.throughput)),
        onP99: median(mine.map((x) => x.on.load.p99Ms)),
        offP99: median(mine.map((x) => x.off.load.p99Ms)),
        onBatch: median(mine.map((x) => x.on.averageBatch)),
        onUs: median(mine.map((x) => x.on.serverCpuUsPerInference)),
        offUs: median(mine.map((x) => x.off.serverCpuUsPerInference)),
      };
    });
    show({
      title: `3b. Dynamic batching on vs off at concurrency 32 (${T.pairs} interleaved pairs, medians)`,
      columns: [
        'protocol',
        'on inferences/s',
        'off inferences/s',
        'on/off',
        'on p99 ms',
        'off p99 ms',
        'on avg batch',
        'server µs/inf on / off',
      ],
      rows: ratios.map((r) => [
        r.p,
        fmt.int(r.on),
        fmt.int(r.off),
        fmt.ratio(r.ratio),
        fmt.ms(r.onP99),
        fmt.ms(r.offP99),
        r.onBatch.toFixed(1),
        `${fmt.int(r.onUs)} / ${fmt.int(r.offUs)}`,
      ]),
    });

    // 4. No-op model: the per-request cost of the server itself.
    const noopBase = readModelConfig(REPOSITORY, NOOP_MODEL);
    const noopVariants: Array<{ variant: ServingVariant }> = [
      {
        // the repository's config.json
        variant: {
          batching: {
            preferred: noopBase.dynamic_batching?.preferred_batch_sizes ?? [],
            maxQueueDelayMs: noopBase.dynamic_batching?.max_queue_delay_ms ?? 0,
            maxQueueSize: noopBase.dynamic_batching?.max_queue_size ?? 1024,
          },
          instances: 1,
          intraOpThreads: 1,
          interOpThreads: 1,
        },
      },
      { variant: { instances: 1, intraOpThreads: 1, interOpThreads: 1 } },
    ];
    const noopRows: Array<Array<string | number>> = [];
    const noopResults: Array<{ protocol: Protocol; result: LoadResult; cost: Measured }> = [];
    for (const { variant } of noopVariants) {
      await server.reload(NOOP_MODEL, applyVariant(noopBase, variant));
      for (const protocol of PROTOCOLS) {
        const cost = await withClient(server, protocol, noopWorkload, (c) =>
          measure(server, NOOP_MODEL, () =>
            closedLoop(() => c.infer(), {
              concurrency: NOOP_CONCURRENCY,
              durationMs: T.noop,
              warmupMs: T.warmup,
            }),
          ),
        );
        const result = cost.load;
        log(
          `noop ${protocol} ${describeVariant(variant)}: ${fmt.int(result.throughput)}/s p99 ${fmt.ms(result.p99Ms)} ms`,
        );
        noopResults.push({ protocol, result, cost });
        noopRows.push([
          protocol,
          describeVariant(variant),
          fmt.int(result.throughput),
          fmt.ms(result.p50Ms),
          fmt.ms(result.p99Ms),
          errorsOf(result),
          ...costCells(cost),
        ]);
      }
    }
    // The floor under every HTTP request: a GET with no body that touches no model.
    const probe = createHealthProbe(server.httpUrl, CONNECTIONS);
    try {
      const floor = await measure(server, undefined, () =>
        closedLoop(() => probe.infer(), {
          concurrency: NOOP_CONCURRENCY,
          durationMs: T.noop,
          warmupMs: T.warmup,
        }),
      );
      log(`floor GET /v2/health/ready: ${fmt.int(floor.load.throughput)}/s`);
      noopRows.push([
        'http GET /v2/health/ready',
        'no model (HTTP floor)',
        fmt.int(floor.load.throughput),
        fmt.ms(floor.load.p50Ms),
        fmt.ms(floor.load.p99Ms),
        errorsOf(floor.load),
        ...costCells(floor),
      ]);
    } finally {
      await probe.close();
    }
    show({
      title: `4. No-op model (${NOOP_MODEL}, input [1,16] FP32), closed loop c=${NOOP_CONCURRENCY}`,
      note: 'The last row is not an inference: it is the cost of a bare HTTP request to the same server.',
      columns: ['protocol', 'config', 'inferences/s', 'p50 ms', 'p99 ms', 'errors', ...COST_COLUMNS],
      rows: noopRows,
    });

    // 5. Overload: 2× the measured maximum against a small queue.
    const overloadVariant: ServingVariant = {
      ...chosen,
      batching: { ...(chosen.batching ?? batching(2)), maxQueueSize: OVERLOAD_QUEUE },
    };
    await server.reload(COMPUTE_MODEL, applyVariant(base, overloadVariant));
    const overloadRows: Array<Array<string | number>> = [];
    const overloadSummary: Array<{
      protocol: Protocol;
      accepted: LoadResult;
      rejectedP99: number;
      rejected: number;
      referenceP99: number;
    }> = [];
    for (const protocol of PROTOCOLS) {
      // Measured from the moment the request function is called, which the open loop does at the
      // scheduled time (it never waits for answers), so this is the latency a client sees.
      const rejectedLatencies: number[] = [];
      let rate = 0;
      const cost = await withClient(
        server,
        protocol,
        computeWorkload,
        async (c) => {
          rate = Math.round((await capacityNow(c)) * OVERLOAD_FACTOR);
          return measure(server, COMPUTE_MODEL, () =>
            openLoop(
              async () => {
                const t0 = performance.now();
                try {
                  await c.infer();
                } catch (e) {
                  rejectedLatencies.push(performance.now() - t0);
                  throw e;
                }
              },
              { ratePerSecond: rate, durationMs: T.overload, maxInFlight: OPEN_CONNECTIONS },
            ),
          );
        },
        OPEN_CONNECTIONS,
      );
      const result = cost.load;
      rejectedLatencies.sort((a, b) => a - b);
      const q = (p: number) =>
        rejectedLatencies[Math.min(rejectedLatencies.length - 1, Math.floor(p * rejectedLatencies.length))] ??
        NaN;
      const reference = onOpen.find((o) => o.protocol === protocol)!.result;
      log(`overload ${protocol} ${rate}/s: accepted ${result.requests} rejected ${result.errors}`);
      overloadSummary.push({
        protocol,
        accepted: result,
        rejectedP99: q(0.99),
        rejected: result.errors,
        referenceP99: reference.p99Ms,
      });
      overloadRows.push([
        protocol,
        `${fmt.int(rate)}/s`,
        `${fmt.int(result.throughput)}/s`,
        errorsOf(result),
        `${fmt.ms(q(0.5))} / ${fmt.ms(q(0.99))}`,
        `${fmt.ms(result.p50Ms)} / ${fmt.ms(result.p99Ms)}`,
        fmt.ms(reference.p99Ms),
        ...costCells(cost),
      ]);
    }
    show({
      title: `5. Overload: open loop at ${OVERLOAD_FACTOR}× the capacity measured just before, max_queue_size ${OVERLOAD_QUEUE}`,
      note: `Config: ${describeVariant(overloadVariant)}. Latencies from the scheduled send time. Reference p99 = the same protocol's open loop at ${fmt.pct(OPEN_LOOP_FRACTION)} of max (table 2b). Pass: some rejections, rejected p99 ≤ reference p99, accepted p99 ≤ ${OVERLOAD_P99_FACTOR}× reference p99.`,
      columns: [
        'protocol',
        'offered',
        'accepted',
        'rejected (by status)',
        'rejected p50 / p99 ms',
        'accepted p50 / p99 ms',
        'reference p99 ms',
        ...COST_COLUMNS,
      ],
      rows: overloadRows,
    });

    // Targets.
    const bestServer = Math.max(...on.map((p) => p.result.throughput));
    const bestServerPoint = on.find((p) => p.result.throughput === bestServer)!;
    const worstRatio = Math.min(...ratios.map((r) => r.ratio));
    const p99Ok = ratios.every((r) => r.onP99 <= r.offP99);
    const httpNoop = noopResults.filter((n) => n.protocol !== 'grpc');
    const bestNoop = httpNoop.reduce((a, b) => (b.result.throughput > a.result.throughput ? b : a));
    const overloadOk = overloadSummary.every(
      (o) =>
        o.rejected > 0 &&
        o.rejectedP99 <= o.referenceP99 &&
        o.accepted.p99Ms <= OVERLOAD_P99_FACTOR * o.referenceP99,
    );
    const yes = (b: boolean) => (b ? 'met' : 'missed');
    show({
      title: 'Targets',
      columns: ['target', 'measured', 'verdict'],
      rows: [
        [
          'server ≥ 85% of the raw limit (compute-bound model)',
          `${fmt.int(bestServer)}/s (${bestServerPoint.protocol} c=${bestServerPoint.concurrency}) = ${fmt.pct(bestServer / rawChosen)} of ${fmt.int(rawChosen)}/s`,
          yes(bestServer >= 0.85 * rawChosen),
        ],
        [
          '(diagnostic) server CPU per inference vs raw',
          `${fmt.int(bestServerPoint.cost.serverCpuUsPerInference)} µs at that point vs ${fmt.int(rawCpuBest)} µs raw (best batch): the server spends ${fmt.ratio(bestServerPoint.cost.serverCpuUsPerInference / rawCpuBest)} the CPU of the model alone`,
          '',
        ],
        [
          'dynamic batching ≥ 2× off at c=32, p99 no worse',
          ratios
            .map((r) => `${r.p} ${fmt.ratio(r.ratio)} (p99 ${fmt.ms(r.onP99)} vs ${fmt.ms(r.offP99)})`)
            .join('; '),
          yes(worstRatio >= 2 && p99Ok),
        ],
        [
          'no-op ≥ 5,000 inferences/s over HTTP, p99 < 25 ms at c=64',
          `${fmt.int(bestNoop.result.throughput)}/s p99 ${fmt.ms(bestNoop.result.p99Ms)} ms (${bestNoop.protocol}); CPU ${fmt.int(bestNoop.cost.serverCpuUsPerInference)} µs/inf ≈ ${fmt.int(1e6 / bestNoop.cost.serverCpuUsPerInference)}/s per core the server had to itself`,
          yes(bestNoop.result.throughput >= 5000 && bestNoop.result.p99Ms < 25),
        ],
        [
          '2× overload: fast 429s, no latency collapse for accepted requests',
          overloadSummary
            .map(
              (o) =>
                `${o.protocol}: ${o.rejected} rejected (p99 ${fmt.ms(o.rejectedP99)} ms), accepted p99 ${fmt.ms(o.accepted.p99Ms)} vs ${fmt.ms(o.referenceP99)} ms`,
            )
            .join('; '),
          yes(overloadOk),
        ],
      ],
    });

    const seconds = (performance.now() - started) / 1000;
    log(`done in ${seconds.toFixed(0)} s`);
    if (args['no-write'] !== true) {
      const header = [
        `## Latest run (${quick ? '`npm run bench -- --quick`' : '`npm run bench`'})`,
        '',
        `Machine: ${machineLine(machine)}, ${fmt.pct(idleAtStart)} of the CPUs idle just before the run, load average at the end ${currentLoadAverage()}. Bench wall time ${seconds.toFixed(0)} s.`,
        '',
      ].join('\n');
      writeResults(resolve('docs/benchmarks.md'), `${header}\n${tables.map(renderMarkdown).join('\n')}`);
      log('wrote docs/benchmarks.md');
    }
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
