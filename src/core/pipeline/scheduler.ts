/**
 * The pipeline scheduler: runs a validated DAG of steps, each as soon as its dependencies have
 * finished, independent steps concurrently, each at most once, each under its own deadline.
 *
 * - A step whose analyzer is unavailable is recorded `unavailable` and not run.
 * - A step that rejects, or outlives its timeout, is `failed` (`timedOut` for the latter); its
 *   signal is set so a cooperative analyzer can stop, and a late result is ignored.
 * - A step with a dependency that did not finish `ok` is `skipped`, naming that dependency.
 * - When the caller's signal is aborted, no further step starts and the run ends with
 *   ERR_CANCELLED once the steps already running have settled.
 *
 * Time comes from the injected Clock (durations and deadlines), so tests drive it by hand. A
 * synchronous analyzer cannot be interrupted by a timer; its timeout is noticed when it returns.
 */
import type { Clock, TimerHandle } from '../clock.js';
import { isKaleidoError, KaleidoError } from '../errors.js';
import type { CancelSignal } from '../ports/inference.js';
import type { PipelineDefinition, PipelineRun, PipelineStep, Stage, StepExecutor } from './types.js';

export interface SchedulerOptions {
  readonly clock: Clock;
  /** Deadline of a step without its own `timeoutMs` (default 10 000 ms). */
  readonly defaultTimeoutMs?: number;
  readonly signal?: CancelSignal;
}

export const DEFAULT_STEP_TIMEOUT_MS = 10_000;

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** Runs `def` (already validated with validatePipeline) with `executor`. */
export async function runPipeline<T>(
  def: PipelineDefinition,
  executor: StepExecutor<T>,
  options: SchedulerOptions,
): Promise<PipelineRun<T>> {
  const { clock } = options;
  const defaultTimeout = options.defaultTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
  const stages = new Map<string, Stage>();
  const results = new Map<string, T>();
  const running = new Map<string, Promise<void>>();
  let cancelled = false;

  const settle = (stage: Stage): void => {
    stages.set(stage.name, stage);
  };

  const launch = (step: PipelineStep): Promise<void> => {
    const d = executor.describe(step);
    const base = {
      name: step.id,
      analyzer: step.analyzer,
      model: d.model,
      version: d.version,
      ...(step.optional === true ? { optional: true } : {}),
    };
    if (!d.available) {
      settle({ ...base, ms: 0, status: 'unavailable', error: d.reason ?? 'analyzer not available' });
      return Promise.resolve();
    }
    const timeoutMs = step.timeoutMs ?? defaultTimeout;
    let timedOut = false;
    // Aborted when the step's own deadline passed or the whole run was cancelled.
    const signal = {
      get aborted(): boolean {
        return timedOut || options.signal?.aborted === true;
      },
    };
    const started = clock.now();
    let timer: TimerHandle | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = clock.setTimer(timeoutMs, () => resolve('timeout'));
    });
    let work: Promise<{ value: T } | { error: unknown }>;
    try {
      work = executor.run(step, results, signal).then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
    } catch (error) {
      work = Promise.resolve({ error });
    }
    return Promise.race([work, deadline]).then((outcome) => {
      if (timer !== undefined) clock.clearTimer(timer);
      const ms = Math.max(0, clock.now() - started);
      // A synchronous analyzer returns only after its deadline passed: that is a timeout too.
      if (outcome === 'timeout' || ms > timeoutMs) {
        timedOut = true;
        settle({ ...base, ms, status: 'failed', error: `timed out after ${timeoutMs} ms`, timedOut: true });
      } else if ('error' in outcome) {
        settle({
          ...base,
          ms,
          status: 'failed',
          error: messageOf(outcome.error),
          ...(isKaleidoError(outcome.error) ? { code: outcome.error.code } : {}),
        });
      } else {
        results.set(step.id, outcome.value);
        settle({ ...base, ms, status: 'ok' });
      }
    });
  };

  for (;;) {
    let progressed = false;
    for (const step of def.steps) {
      if (stages.has(step.id) || running.has(step.id)) continue;
      const deps = step.after ?? [];
      if (!deps.every((d) => stages.has(d))) continue;
      const notOk = deps.find((d) => stages.get(d)?.status !== 'ok');
      if (notOk !== undefined) {
        const d = executor.describe(step);
        settle({
          name: step.id,
          analyzer: step.analyzer,
          model: d.model,
          version: d.version,
          ms: 0,
          status: 'skipped',
          error: `dependency ${notOk} ${stages.get(notOk)?.status ?? 'did not run'}`,
          ...(step.optional === true ? { optional: true } : {}),
        });
        progressed = true;
        continue;
      }
      if (options.signal?.aborted === true) {
        cancelled = true;
        continue;
      }
      const p = launch(step).finally(() => running.delete(step.id));
      running.set(step.id, p);
      progressed = true;
    }
    if (progressed) continue;
    if (running.size === 0) break;
    await Promise.race(running.values());
  }

  if (cancelled || stages.size < def.steps.length) {
    if (cancelled || options.signal?.aborted === true) {
      throw new KaleidoError('ERR_CANCELLED', `pipeline ${def.name} cancelled`, {
        details: { pipeline: def.name },
      });
    }
    // Unreachable for a validated pipeline: the remaining steps wait on each other.
    throw new KaleidoError('ERR_BAD_CONFIG', `pipeline ${def.name}: steps form a cycle`, {
      details: { pipeline: def.name, field: 'steps' },
    });
  }
  return { stages: def.steps.map((s) => stages.get(s.id) as Stage), results };
}
