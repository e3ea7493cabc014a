/** Model evaluation: classification metrics, calibration, stratified splits, slices and fairness. */
export * from './labels.js';
export * from './metrics.js';
export * from './calibration.js';
export * from './splits.js';
export * from './slices.js';
export * from './fairness.js';
