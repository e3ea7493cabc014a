export * from './principal.js';
export * from './rbac.js';
export * from './tenancy.js';
export * from './token-bucket.js';
