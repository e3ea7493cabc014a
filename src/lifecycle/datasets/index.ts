/** Data sets: parsing (JSONL, CSV, folders/zips per class), validation, splits, content-addressed versions. */
export { ArtifactDatasetStore, type ArtifactDatasetStoreOptions } from './store.js';
export { parseCsv, parseJsonl, type ParseResult, type RawRow } from './parse.js';
export {
  DEFAULT_SPLIT,
  resolveSplitSpec,
  splitCounts,
  stratifiedSplit,
  validateRows,
  type ValidatedRows,
} from './schema.js';
export { listFiles, readFolder, sha256Hex, type FileListingEntry } from './files.js';
export { readZip, type ZipLimits } from './zip.js';
export { hashedTextFeatures, tabularFeatures, trainingDataFromDataset, type Featurizer } from './features.js';
