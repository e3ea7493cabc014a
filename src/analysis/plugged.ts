/**
 * Bring-your-own classifiers as analyzers: an ExternalClassifier (a Hugging Face model found in a
 * model repository, src/adapters/hf-transformers) becomes `<modality>/hf:<name>` in its modality
 * module, loaded in the module's `init` and reported like every other analyzer (unavailable with
 * the reason when its directory is incomplete or the library cannot load it).
 *
 * Result: `{ label, score, labels: [{label, score}, …] }`, labels highest first (every label of
 * the model's id2label, softmax scores as the library computes them). Not a safety analyzer: an
 * operator's model carries no moderation semantics the policy could rely on.
 */
import { KaleidoError } from '../core/errors.js';
import type { ClassifierInput, ClassLabel, ExternalClassifier } from '../core/ports/analyzer.js';
import type { PluggedAnalyzer } from './types.js';

export interface ClassificationResult {
  readonly label: string;
  readonly score: number;
  readonly labels: readonly ClassLabel[];
  readonly model: string;
  readonly modelVersion: string;
}

/** The task name of a plugged classifier: `hf:<lower-case name>`. */
export const pluggedTaskName = (c: ExternalClassifier): string => `hf:${c.name.toLowerCase()}`;

export function pluggedClassifier<I>(
  c: ExternalClassifier,
  toInput: (input: I) => ClassifierInput,
): PluggedAnalyzer<I> {
  const task = pluggedTaskName(c);
  return {
    id: `${c.modality}/${task}`,
    modality: c.modality,
    task,
    safety: false,
    describe: () => ({ model: c.model, version: c.version, method: 'neural' }),
    status: () => c.status(),
    init: () => c.init(),
    close: () => c.close(),
    run: async (input, _previous, ctx): Promise<ClassificationResult> => {
      if (ctx.signal?.aborted === true) {
        throw new KaleidoError('ERR_CANCELLED', `analysis cancelled before ${task} ran`, {
          details: { analyzer: task },
        });
      }
      const labels = await c.classify(toInput(input));
      const top = labels[0];
      if (top === undefined) {
        throw new KaleidoError('ERR_INTERNAL', `classifier ${c.name} returned no label`);
      }
      return { label: top.label, score: top.score, labels, model: c.model, modelVersion: c.version };
    },
  };
}
