/**
 * What a load run costs, beside what the load generator sees: the CPU time the server process and
 * this (client) process used, and how the server batched the requests. On a small shared machine
 * throughput moves with whatever else runs; CPU time per inference moves much less, so the report
 * carries both.
 */
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import type { LoadResult } from '../../src/cli/loadgen.js';

/** Linux USER_HZ: /proc/<pid>/stat counts CPU time in these ticks (100 on every common kernel). */
const CLOCK_TICKS_PER_SECOND = 100;

/** User + system CPU seconds of a process (all its threads, ORT's pool included), or NaN off Linux. */
export function processCpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name, which may itself contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, i.e. 11 and 12 after "pid (comm)".
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

export const ownCpuSeconds = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

export interface ModelCounters {
  readonly inferences: number;
  readonly executions: number;
}

/** inference_count / execution_count of a model (statistics extension), summed over versions. */
export async function modelCounters(httpUrl: string, model: string): Promise<ModelCounters> {
  const res = await request(`${httpUrl}/v2/models/${model}/stats`);
  const body = (await res.body.json()) as {
    model_stats?: Array<{ inference_count: number; execution_count: number }>;
  };
  const stats = body.model_stats ?? [];
  return {
    inferences: stats.reduce((a, s) => a + s.inference_count, 0),
    executions: stats.reduce((a, s) => a + s.execution_count, 0),
  };
}

export interface Measured {
  readonly load: LoadResult;
  /** Server CPU time over the run as a share of one core (1 = one core busy all the time). */
  readonly serverCores: number;
  /** Client (load generator) CPU time as a share of one core. */
  readonly clientCores: number;
  /** Server CPU microseconds per successful inference. */
  readonly serverCpuUsPerInference: number;
  /** Rows per model execution over the run (1 = no batching happened). */
  readonly averageBatch: number;
}

/**
 * Runs `run` and attributes CPU and batching to it. Warm-up inside `run` is included in the
 * counters, which is why warm-ups are kept short compared with the measured window.
 */
export async function measure(
  target: { httpUrl: string; pid: number },
  /** Undefined for a run that touches no model: successful requests stand in for inferences. */
  model: string | undefined,
  run: () => Promise<LoadResult>,
): Promise<Measured> {
  const none: ModelCounters = { inferences: 0, executions: 0 };
  const before = model ? await modelCounters(target.httpUrl, model) : none;
  const s0 = processCpuSeconds(target.pid);
  const c0 = ownCpuSeconds();
  const t0 = performance.now();
  const load = await run();
  const wall = (performance.now() - t0) / 1000;
  const s1 = processCpuSeconds(target.pid);
  const c1 = ownCpuSeconds();
  const after = model ? await modelCounters(target.httpUrl, model) : none;
  const inferences = model ? after.inferences - before.inferences : load.requests;
  const executions = model ? after.executions - before.executions : NaN;
  return {
    load,
    serverCores: (s1 - s0) / wall,
    clientCores: (c1 - c0) / wall,
    serverCpuUsPerInference: inferences > 0 ? ((s1 - s0) * 1e6) / inferences : NaN,
    averageBatch: executions > 0 ? inferences / executions : NaN,
  };
}
