/** The local-directory artifact store (embedded default) and the file hashing it uses. */
export {
  FsArtifactStore,
  TEMP_PREFIX,
  createFsArtifactStore,
  type FsArtifactStoreOptions,
} from './fs-artifact-store.js';
export { sha256OfFile, sha256OfHandle } from './sha256.js';
