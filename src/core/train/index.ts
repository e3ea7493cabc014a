/** Classifier heads on feature vectors: config, trainer, checkpoints, hashed text features. */
export * from './types.js';
export * from './network.js';
export * from './trainer.js';
export * from './codec.js';
export * from './features.js';
