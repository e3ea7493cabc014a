/**
 * Finds bring-your-own classifiers in the model repositories: directories in the Hugging Face
 * layout that Optimum's ONNX export writes, and says what is wrong with the ones that cannot run.
 *
 *   <repository>/<name>/config.json                 `architectures` (…ForSequenceClassification,
 *                                                    …ForAudioClassification, …ForImageClassification)
 *                                                    and `id2label`
 *   <repository>/<name>/tokenizer.json + tokenizer_config.json    (text)
 *   <repository>/<name>/preprocessor_config.json                  (audio, image)
 *   <repository>/<name>/onnx/model.onnx  or  <name>/model.onnx
 *
 * Speech classifiers exported as …ForSequenceClassification (Wav2Vec2, HuBERT) are told from text
 * ones by their files: a preprocessor_config.json with a sampling_rate and no tokenizer.json.
 *
 * A directory whose config.json is a Triton config (platform/backend/input …) is not a candidate;
 * one whose config.json names a Hugging Face architecture is, and every problem found is listed
 * (the server reports it as an unavailable analyzer with that reason, and still starts).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AnalyzerStatus, Modality } from '../../core/ports/analyzer.js';
import { HF_ONNX_FILES, isHuggingFaceConfig, MODEL_NAME_PATTERN } from '../repository-fs/fs-model-source.js';

/** The rate the audio modality decodes to. */
const AUDIO_SAMPLE_RATE = 16000;

export type HfPipelineTask = 'text-classification' | 'audio-classification' | 'image-classification';

export interface HfModelEntry {
  /** Directory name (the OIP model name). */
  readonly name: string;
  /** Lower-case task suffix: the analyzer is `<modality>/hf:<taskName>`. */
  readonly taskName: string;
  readonly repository: string;
  readonly dir: string;
  /** Undefined when the architecture is not a supported classifier. */
  readonly task?: HfPipelineTask;
  readonly modality?: Modality;
  /** ONNX file relative to `dir`, when present. */
  readonly onnxFile?: string;
  readonly labels: readonly string[];
  /** Empty when the directory can be loaded. */
  readonly problems: readonly string[];
}

const TASKS: ReadonlyArray<{ suffix: string; task: HfPipelineTask; modality: Modality; files: string[] }> = [
  {
    suffix: 'ForSequenceClassification',
    task: 'text-classification',
    modality: 'text',
    files: ['tokenizer.json', 'tokenizer_config.json'],
  },
  {
    suffix: 'ForAudioClassification',
    task: 'audio-classification',
    modality: 'audio',
    files: ['preprocessor_config.json'],
  },
  {
    suffix: 'ForImageClassification',
    task: 'image-classification',
    modality: 'image',
    files: ['preprocessor_config.json'],
  },
];

const isFile = (p: string): boolean => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

function readJson(path: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(readFileSync(path, 'utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The task name of a model directory: lower case, as pipeline step names must be. */
export const hfTaskName = (name: string): string => `hf:${name.toLowerCase()}`;

/** Checks one directory whose config.json is a Hugging Face config. */
export function inspectHfDirectory(
  repository: string,
  name: string,
  config: Record<string, unknown>,
): HfModelEntry {
  const dir = join(repository, name);
  const problems: string[] = [];
  const architectures = Array.isArray(config.architectures)
    ? config.architectures.filter((a): a is string => typeof a === 'string')
    : [];
  let kind = TASKS.find((t) => architectures.some((a) => a.endsWith(t.suffix)));
  // Speech models classify with …ForSequenceClassification too (Wav2Vec2, HuBERT): without a
  // tokenizer, a feature extractor with a sampling rate makes it an audio classifier.
  if (kind?.task === 'text-classification' && !isFile(join(dir, 'tokenizer.json'))) {
    const pre = readJson(join(dir, 'preprocessor_config.json'));
    if (pre !== undefined && 'sampling_rate' in pre)
      kind = TASKS.find((t) => t.task === 'audio-classification');
  }
  if (kind === undefined) {
    problems.push(
      `config.json architectures ${JSON.stringify(architectures)} name no supported classifier ` +
        `(…ForSequenceClassification, …ForAudioClassification, …ForImageClassification)`,
    );
  }
  let labels: string[] = [];
  const id2label = config.id2label;
  if (typeof id2label !== 'object' || id2label === null || Array.isArray(id2label)) {
    problems.push('config.json has no id2label object');
  } else {
    const entries = Object.entries(id2label as Record<string, unknown>);
    const ok = entries.every(([k, v]) => /^\d+$/.test(k) && typeof v === 'string');
    if (!ok || entries.length === 0)
      problems.push('config.json id2label must map "0", "1", … to label strings');
    else labels = entries.sort((a, b) => Number(a[0]) - Number(b[0])).map(([, v]) => v as string);
  }
  if (typeof config.model_type !== 'string') problems.push('config.json has no model_type');
  for (const f of kind?.files ?? []) if (!isFile(join(dir, f))) problems.push(`${f} is missing`);
  if (kind?.modality === 'audio' && isFile(join(dir, 'preprocessor_config.json'))) {
    // The audio modality decodes to 16 kHz mono; a model expecting another rate would need resampling.
    let rate: unknown;
    try {
      rate = (
        JSON.parse(readFileSync(join(dir, 'preprocessor_config.json'), 'utf8')) as Record<string, unknown>
      ).sampling_rate;
    } catch {
      problems.push('preprocessor_config.json is not valid JSON');
    }
    if (rate !== undefined && rate !== AUDIO_SAMPLE_RATE) {
      problems.push(
        `preprocessor_config.json sampling_rate is ${String(rate)}; only ${AUDIO_SAMPLE_RATE} Hz is supported`,
      );
    }
  }
  const onnxFile = HF_ONNX_FILES.find((f) => isFile(join(dir, f)));
  if (onnxFile === undefined) problems.push(`no ONNX model (${HF_ONNX_FILES.join(' or ')})`);
  return {
    name,
    taskName: hfTaskName(name),
    repository,
    dir,
    ...(kind === undefined ? {} : { task: kind.task, modality: kind.modality }),
    ...(onnxFile === undefined ? {} : { onnxFile }),
    labels,
    problems,
  };
}

/**
 * Every Hugging Face layout directory in the repositories (first repository wins on a name, as
 * in the model source). A config.json that does not parse is a problem of that entry.
 */
export function scanHfModels(repositories: readonly string[]): HfModelEntry[] {
  const out: HfModelEntry[] = [];
  const seen = new Set<string>();
  for (const repo of repositories.map((r) => resolve(r))) {
    let names: string[];
    try {
      names = readdirSync(repo, { withFileTypes: true })
        .filter((e) => e.isDirectory() && MODEL_NAME_PATTERN.test(e.name))
        .map((e) => e.name)
        .sort();
    } catch {
      continue;
    }
    for (const name of names) {
      if (seen.has(name)) continue;
      const configPath = join(repo, name, 'config.json');
      if (!isFile(configPath)) continue;
      let config: unknown;
      try {
        config = JSON.parse(readFileSync(configPath, 'utf8'));
      } catch {
        continue; // not ours to judge: the model source reports an unreadable config
      }
      if (!isHuggingFaceConfig(config)) continue;
      seen.add(name);
      out.push(inspectHfDirectory(repo, name, config as Record<string, unknown>));
    }
  }
  // Two directories that differ only in case would share a task name.
  const byTask = new Map<string, number>();
  for (const e of out) byTask.set(e.taskName, (byTask.get(e.taskName) ?? 0) + 1);
  return out.map((e) =>
    (byTask.get(e.taskName) ?? 0) > 1
      ? {
          ...e,
          problems: [...e.problems, `another model directory has the same lower-case name ${e.taskName}`],
        }
      : e,
  );
}

/** Before init: unusable (with the scanner's reasons) or not initialised yet. */
export const initialStatus = (entry: HfModelEntry): AnalyzerStatus =>
  entry.problems.length > 0
    ? { available: false, reason: `not a usable Hugging Face model: ${entry.problems.join('; ')}` }
    : { available: false, reason: 'not initialised' };
