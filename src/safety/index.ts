/**
 * Moderation policies outside core: YAML parsing and validation, versioned storage and lookup by
 * tenant / route / pipeline. The engine itself is pure and lives in src/core/safety/policy.
 */
export { formatPath, parsePolicy, policySchema } from './policy-schema.js';
export { canonicalJson, compareVersions, InMemoryPolicyStore, policyContentHash } from './policy-store.js';
export type { PolicyScope, PolicyStore } from './policy-store.js';
export { loadPolicyDirectory, loadPolicyFile, parsePolicyYaml } from './load.js';
