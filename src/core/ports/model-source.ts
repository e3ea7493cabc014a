/**
 * Port: where model repositories live (a local directory today; an object store later).
 * Layout, Triton style: <repository>/<model>/config.{json,yaml} and <repository>/<model>/<version>/<file>.
 */
export interface ModelVersionFiles {
  readonly version: number;
  /** Absolute path of the model file the runtime loads. */
  readonly modelPath: string;
  readonly sizeBytes: number;
}

export interface ModelSourceEntry {
  readonly name: string;
  /** Directory of the model (labels files resolve against it). */
  readonly dir: string;
  /** Parsed config.json / config.yaml, or undefined when the model has none. */
  readonly config: unknown;
  /** Versions found on disk that contain a model file (ascending). */
  readonly versions: readonly ModelVersionFiles[];
}

export interface ModelSource {
  /** Names of every model directory in every repository (first repository wins on duplicates). */
  list(): Promise<string[]>;
  /** Reads one model; ERR_MODEL_NOT_FOUND when absent, ERR_BAD_CONFIG on an unreadable config. */
  read(name: string, defaultModelFilename: string): Promise<ModelSourceEntry>;
  /** Reads a text file inside a model's directory (e.g. labels), confined to that directory. */
  readText(name: string, relativePath: string): Promise<string>;
  /** SHA-256 (hex) of a model file. */
  sha256(path: string): Promise<string>;
}
