/** Hyperparameter search: studies and trials (Optuna's vocabulary), samplers, pruners, importance. */
export * from './types.js';
export * from './distributions.js';
export * from './json-number.js';
export * from './study.js';
export * from './samplers.js';
export * from './tpe.js';
export * from './pruners.js';
export * from './registry.js';
export * from './importance.js';
export * from './benchmarks.js';
export * from './runner.js';
export { normalCdf, normalLogCdf, normalLogMassBetween, normalLogPdf, logSumExp } from './normal.js';
