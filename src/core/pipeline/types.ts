/**
 * Pipelines as data: a named DAG of steps, each naming the analyzer that runs it
 * (`<modality>/<task>`, e.g. `text/sentiment`) and the steps it must wait for. The scheduler
 * (scheduler.ts) runs independent steps concurrently and records one stage per step, so a
 * response can say exactly what ran, with which model, how long it took, and what did not run.
 */
import type { Modality } from '../ports/analyzer.js';

export interface PipelineStep {
  /** Unique within the pipeline; the key of the step's result. */
  readonly id: string;
  /** The analyzer that runs the step: `<modality>/<task>`. */
  readonly analyzer: string;
  /** Steps whose results this step needs; it starts only once they all finished `ok`. */
  readonly after?: readonly string[];
  /** Informational: an optional step's failure does not make the pipeline's answer incomplete. */
  readonly optional?: boolean;
  /** Longest the step may take, in ms (default: the scheduler's `defaultTimeoutMs`). */
  readonly timeoutMs?: number;
}

export interface PipelineDefinition {
  readonly name: string;
  /** The modality of the content the pipeline analyses. */
  readonly modality: Modality;
  readonly description?: string;
  readonly steps: readonly PipelineStep[];
}

export const StageStatus = {
  OK: 'ok',
  FAILED: 'failed',
  /** Not run because a step it depends on did not finish `ok`. */
  SKIPPED: 'skipped',
  /** Not run because its analyzer is not available (not configured, model not loaded …). */
  UNAVAILABLE: 'unavailable',
} as const;
export type StageStatus = (typeof StageStatus)[keyof typeof StageStatus];

/** One step's record, as reported to clients. */
export interface Stage {
  /** The step id. */
  readonly name: string;
  readonly analyzer: string;
  readonly model: string;
  readonly version: string;
  /** Wall time of the step (0 when it did not run). */
  readonly ms: number;
  readonly status: StageStatus;
  /** Why it failed or did not run (never the analysed content). */
  readonly error?: string;
  /** The stable error code when the step failed with a KaleidoError. */
  readonly code?: string;
  readonly timedOut?: boolean;
  readonly optional?: boolean;
}

/** What the scheduler needs to know about a step's analyzer before running it. */
export interface StepDescription {
  readonly model: string;
  readonly version: string;
  readonly available: boolean;
  /** Why it is not available. */
  readonly reason?: string;
}

/** Cancellation as the scheduler passes it to a step: set when the step timed out or the run was cancelled. */
export interface StepSignal {
  readonly aborted: boolean;
}

/** Runs steps for the scheduler; the analysis service implements it over its analyzer registry. */
export interface StepExecutor<T> {
  describe(step: PipelineStep): StepDescription;
  /**
   * Runs one step. `results` holds the results of every step it depends on (and possibly more).
   * Must not throw synchronously; a rejection marks the step failed.
   */
  run(step: PipelineStep, results: ReadonlyMap<string, T>, signal: StepSignal): Promise<T>;
}

export interface PipelineRun<T> {
  /** One stage per step, in the pipeline's step order. */
  readonly stages: readonly Stage[];
  /** Results of the steps that finished `ok`. */
  readonly results: ReadonlyMap<string, T>;
}
