/** Pipelines as data: step DAGs, their validation, and the concurrent scheduler. */
export * from './types.js';
export { selectSteps, topologicalOrder, validatePipeline } from './validate.js';
export { DEFAULT_STEP_TIMEOUT_MS, runPipeline, type SchedulerOptions } from './scheduler.js';
