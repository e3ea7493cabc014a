/** Policy-as-code: rules per category with thresholds and actions, fail-closed, statements of reasons. */
export * from './types.js';
export { evaluate, PII_SOURCE } from './evaluate.js';
export { contentForStorage, resolvePiiOperators } from './apply.js';
export type { ApplyOptions, StorableContent } from './apply.js';
