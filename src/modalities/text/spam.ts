/**
 * The spam analyzer: featurises text exactly as scripts/train-spam.ts did (features.ts) and asks
 * the served `spam_classifier` model through the InferenceService port. Going through the service
 * (not a private onnxruntime session) means the model is the one in the repository — visible,
 * versioned and callable over OIP — and concurrent analyses share its dynamic batcher.
 */
import { KaleidoError } from '../../core/errors.js';
import type { AnalyzeContext, Analyzer, AnalyzerInfo } from '../../core/ports/analyzer.js';
import type { InferenceService } from '../../core/ports/inference.js';
import { checkCancelled } from './analyzers.js';
import { checkDimensions, FEATURISER_VERSION, featurise, scatterInto } from './features.js';
import type { SpamResult } from './types.js';

export const SPAM_MODEL = 'spam_classifier';

export interface SpamAnalyzerOptions {
  /** Repository model name (default "spam_classifier"). */
  readonly model?: string;
  /** Model version; absent: the highest ready version. */
  readonly version?: string;
  /** Spam probability at or above which the label is "spam" (default 0.5, as in training). */
  readonly threshold?: number;
}

interface Resolved {
  readonly dimensions: number;
  readonly version: string;
}

/** A config parameter as rendered by the service: "x" or Triton's { string_value: "x" }. */
function parameter(config: Record<string, unknown>, key: string): string | undefined {
  const params = config['parameters'];
  if (typeof params !== 'object' || params === null) return undefined;
  const v = (params as Record<string, unknown>)[key];
  if (typeof v === 'string') return v;
  if (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as { string_value?: unknown }).string_value === 'string'
  ) {
    return (v as { string_value: string }).string_value;
  }
  return undefined;
}

export class SpamAnalyzer implements Analyzer<string, SpamResult> {
  private readonly model: string;
  private readonly threshold: number;
  private resolved: Resolved | undefined;

  constructor(
    private readonly inference: InferenceService,
    private readonly options: SpamAnalyzerOptions = {},
  ) {
    this.model = options.model ?? SPAM_MODEL;
    this.threshold = options.threshold ?? 0.5;
    if (!(this.threshold > 0 && this.threshold < 1)) {
      throw new KaleidoError('ERR_BAD_CONFIG', 'spam threshold must be in (0, 1)', {
        details: { field: 'threshold', value: this.threshold },
      });
    }
  }

  get info(): AnalyzerInfo {
    return {
      name: 'spam',
      task: 'spam-classification',
      modality: 'text',
      model: this.model,
      version: this.resolved?.version ?? this.options.version ?? '',
      method: 'trained',
    };
  }

  /**
   * Checks that the model is loaded and is what this featuriser feeds: input `features` FP32
   * [-1, D] with D a power of two, output `probabilities` [-1, 2], and the featuriser version the
   * model was trained with (config parameter `featuriser_version`).
   */
  init(): Promise<void> {
    const meta = this.inference.modelMetadata(this.model, this.options.version);
    const input = meta.inputs.find((t) => t.name === 'features');
    const output = meta.outputs.find((t) => t.name === 'probabilities');
    const dims = input?.shape[1];
    const mismatch = (why: string): KaleidoError =>
      new KaleidoError('ERR_MODEL_LOAD_FAILED', `${this.model} does not fit the spam analyzer: ${why}`, {
        details: { model: this.model, inputs: meta.inputs, outputs: meta.outputs },
      });
    if (
      input === undefined ||
      input.datatype !== 'FP32' ||
      input.shape.length !== 2 ||
      dims === undefined ||
      dims <= 0
    ) {
      throw mismatch('expected input "features" FP32 [-1, D]');
    }
    if (output === undefined || output.shape.length !== 2 || output.shape[1] !== 2) {
      throw mismatch('expected output "probabilities" [-1, 2]');
    }
    checkDimensions(dims);
    const trainedWith = parameter(
      this.inference.modelConfig(this.model, this.options.version),
      'featuriser_version',
    );
    if (trainedWith !== String(FEATURISER_VERSION)) {
      throw mismatch(
        `trained with featuriser version ${trainedWith ?? '(none)'}, this build featurises with ${FEATURISER_VERSION}`,
      );
    }
    const version =
      this.options.version ??
      meta.versions.reduce((a, b) => (Number(b) > Number(a) ? b : a), meta.versions[0] ?? '');
    this.resolved = { dimensions: dims, version };
    return Promise.resolve();
  }

  async analyze(text: string, ctx?: AnalyzeContext): Promise<SpamResult> {
    const r = this.resolved;
    if (r === undefined) {
      throw new KaleidoError('ERR_UNAVAILABLE', 'text analyzer spam is not initialised', {
        details: { analyzer: 'spam' },
      });
    }
    checkCancelled(ctx, 'spam');
    const data = new Float32Array(r.dimensions);
    scatterInto(data, 0, r.dimensions, featurise(text, { dimensions: r.dimensions }));
    const response = await this.inference.infer({
      modelName: this.model,
      ...(this.options.version === undefined ? {} : { modelVersion: this.options.version }),
      inputs: [{ name: 'features', datatype: 'FP32', shape: [1, r.dimensions], data }],
      outputs: [{ name: 'probabilities' }],
      ...(ctx?.signal === undefined ? {} : { signal: ctx.signal }),
    });
    const probs = response.outputs.find((t) => t.name === 'probabilities')?.data;
    const spam = probs instanceof Float32Array ? probs[1] : undefined;
    if (spam === undefined || !Number.isFinite(spam)) {
      throw new KaleidoError('ERR_INTERNAL', `${this.model} returned no spam probability`, {
        details: { model: this.model },
      });
    }
    return {
      label: spam >= this.threshold ? 'spam' : 'ham',
      probability: spam,
      threshold: this.threshold,
      model: this.model,
      modelVersion: response.modelVersion,
    };
  }

  close(): Promise<void> {
    this.resolved = undefined;
    return Promise.resolve();
  }
}
