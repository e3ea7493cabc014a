/**
 * Raw content → a registered classifier head's classes, in one call.
 *
 * A head trained by a study sees features, not content: hashed words for text, MobileNetV2
 * embeddings for images, log-mel statistics for audio (lifecycle/datasets). Its registered version
 * records which featuriser made them — the model card's `featurizer` (the spec), `classes` (the
 * output order) and `inputDim`, and since this module the `serving` block (the featuriser's id at
 * training time: encoder name and version, the data set field it read, the head's tensor names).
 * This service rebuilds that featuriser from the record, detects what the content is from its
 * magic bytes (analysis/content.ts, the same rule as /v1/analyze), refuses content of another
 * modality, featurises with the very code training used (`MediaFeatures.featurizeFiles`, the
 * hashed bag of words), and runs the head through the inference service — the same batcher and
 * engine as OIP — under the tenant's served name.
 *
 * Versions registered before the `serving` block existed still work from `featurizer` + `classes`
 * (their encoder id is then unchecked); versions without a featuriser (hand-registered, tabular)
 * are ERR_NOT_CLASSIFIABLE. A new featuriser type plugs in through `MediaFeatures.featurizeFiles`
 * and its type's prefix (`image-…`, `audio-…`, `video-…`) naming the modality it reads.
 */
import { KaleidoError, isKaleidoError } from '../core/errors.js';
import type { Modality } from '../core/ports/analyzer.js';
import type { DatasetSchema } from '../core/ports/dataset-store.js';
import type { CancelSignal, InferenceService } from '../core/ports/inference.js';
import type { ModelVersion } from '../core/ports/registry-store.js';
import type { FeaturizerSpec } from '../core/ports/study-store.js';
import type { Stage } from '../core/pipeline/index.js';
import { ownModelName, servingModelName } from '../core/security/tenancy.js';
import { hashedBagOfWords } from '../core/train/features.js';
import { decodeText, resolveContent } from '../analysis/content.js';
import { isMediaFeaturizer, type MediaFeatures } from './datasets/media-features.js';
import { aliasName, modelName, parseModelRef, versionNumber, type RegistryService } from './registry.js';
import { parseFeaturizer } from './studies/spec.js';

/** Schema of the model card's `serving` block. */
export const SERVING_RECORD_SCHEMA = 'kaleido.serving/v1';
/** Version tag naming the featuriser type (searchable: `tags.\`kaleido.featurizer\` = 'image-embedding'`). */
export const FEATURIZER_TAG = 'kaleido.featurizer';
/** Largest text classified, in UTF-8 bytes (the same limit as /v1/analyze's text). */
export const MAX_CLASSIFY_TEXT_BYTES = 1024 * 1024;

const DEFAULT_INPUT = 'features';
const DEFAULT_OUTPUT = 'probabilities';

/** What content a featuriser reads; undefined for features that are not content (tabular). */
export function featurizerModality(spec: Pick<FeaturizerSpec, 'type'>): Modality | undefined {
  const type = spec.type as string;
  if (type === 'hashed-bow') return 'text';
  // Media featurisers are named after the modality they read (image-embedding, audio-features,
  // video-features …), so a new one needs no change here.
  const prefix = type.split('-')[0];
  return prefix === 'image' || prefix === 'audio' || prefix === 'video' ? prefix : undefined;
}

/**
 * The featuriser's identity as this server computes it: for media the MediaFeatures id (encoder
 * name and version — the feature cache key), for text the hashing parameters.
 */
export function featurizerIdOf(spec: FeaturizerSpec, media?: MediaFeatures): string {
  if (spec.type === 'hashed-bow') {
    return `hashed-bow.fnv1a.${spec.dimensions}${spec.bigrams ? '.bigrams' : ''}`;
  }
  if (isMediaFeaturizer(spec)) {
    if (media === undefined || !media.supports(spec)) {
      throw new KaleidoError('ERR_UNAVAILABLE', `featurizer ${spec.type} is not available on this server`, {
        details: { featurizer: spec.type },
      });
    }
    return media.featurizerId(spec);
  }
  return spec.type;
}

/** The model card's `serving` block, written at registration (see module comment). */
export interface ServingRecord {
  readonly schema: typeof SERVING_RECORD_SCHEMA;
  /** Featuriser id at training time (null when it could not be computed there). */
  readonly featurizerId: string | null;
  /** Modality the featuriser reads; null for tabular features. */
  readonly modality: Modality | null;
  /** The data set field the featuriser read (text or file field), when there was one. */
  readonly inputField: string | null;
  readonly input: { readonly name: string; readonly datatype: 'FP32' };
  readonly output: { readonly name: string };
}

export function servingRecord(input: {
  readonly featurizer: FeaturizerSpec;
  readonly schema: DatasetSchema;
  readonly media?: MediaFeatures;
  readonly inputName?: string;
  readonly outputName?: string;
}): ServingRecord {
  const { featurizer, schema } = input;
  let featurizerId: string | null;
  try {
    featurizerId = featurizerIdOf(featurizer, input.media);
  } catch (e) {
    if (!(isKaleidoError(e) && e.code === 'ERR_UNAVAILABLE')) throw e;
    featurizerId = null;
  }
  const modality = featurizerModality(featurizer) ?? null;
  return {
    schema: SERVING_RECORD_SCHEMA,
    featurizerId,
    modality,
    inputField: modality === 'text' ? schema.textField : modality === null ? null : schema.fileField,
    input: { name: input.inputName ?? DEFAULT_INPUT, datatype: 'FP32' },
    output: { name: input.outputName ?? DEFAULT_OUTPUT },
  };
}

/** What a registered version says about turning content into its input. */
export interface VersionFeaturizer {
  readonly spec: FeaturizerSpec;
  readonly modality: Modality;
  /** Recorded at registration; absent for versions registered before it was recorded. */
  readonly recordedId?: string;
  readonly classes: readonly string[];
  readonly inputDim: number;
  readonly inputName: string;
  readonly outputName: string;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

const notClassifiable = (mv: ModelVersion, why: string, extra: Record<string, unknown> = {}): KaleidoError =>
  new KaleidoError(
    'ERR_NOT_CLASSIFIABLE',
    `version ${mv.version} of registered model "${mv.name}" cannot classify raw content: ${why}`,
    { details: { model: mv.name, version: mv.version, ...extra } },
  );

/** Reads and checks a version's featuriser record; ERR_NOT_CLASSIFIABLE when there is none. */
export function versionFeaturizer(mv: ModelVersion): VersionFeaturizer {
  const card = mv.modelCard;
  if (card === undefined || card['featurizer'] === undefined) {
    throw notClassifiable(
      mv,
      'it records no featuriser (versions registered by studies do; a hand-registered version needs a model card with `featurizer` and `classes`)',
    );
  }
  let spec: FeaturizerSpec;
  try {
    spec = parseFeaturizer(card['featurizer'], 'modelCard.featurizer');
  } catch (e) {
    throw notClassifiable(
      mv,
      `its recorded featuriser is not one this server knows (${(e as Error).message})`,
    );
  }
  const modality = featurizerModality(spec);
  if (modality === undefined) {
    throw notClassifiable(
      mv,
      `it takes ${spec.type} features, not content; send the features over OIP (/v2/models/{model}/infer)`,
      { featurizer: spec.type },
    );
  }
  const classes = card['classes'];
  if (
    !Array.isArray(classes) ||
    classes.length < 2 ||
    !classes.every((c): c is string => typeof c === 'string' && c !== '')
  ) {
    throw notClassifiable(mv, 'its model card records no class list (`classes`)');
  }
  const serving = isObject(card['serving']) ? card['serving'] : undefined;
  const recordedId = typeof serving?.['featurizerId'] === 'string' ? serving['featurizerId'] : undefined;
  const inputDim =
    typeof card['inputDim'] === 'number' && Number.isSafeInteger(card['inputDim']) && card['inputDim'] > 0
      ? card['inputDim']
      : -1;
  const signatureInput = mv.signature?.inputs[0]?.name;
  const signatureOutput = mv.signature?.outputs[0]?.name;
  const servingInput = isObject(serving?.['input']) ? serving['input']['name'] : undefined;
  const servingOutput = isObject(serving?.['output']) ? serving['output']['name'] : undefined;
  return {
    spec,
    modality,
    ...(recordedId === undefined ? {} : { recordedId }),
    classes,
    inputDim,
    inputName: typeof servingInput === 'string' ? servingInput : (signatureInput ?? DEFAULT_INPUT),
    outputName: typeof servingOutput === 'string' ? servingOutput : (signatureOutput ?? DEFAULT_OUTPUT),
  };
}

/** `name@alias`, `name/versions/N|alias|latest`, `name/N` or `name` (the latest READY version). */
export function parseClassifierRef(ref: string): { model: string; versionOrAlias: string } {
  if (typeof ref !== 'string' || ref.trim() === '') {
    throw new KaleidoError(
      'ERR_VALIDATION',
      'a model reference must be name, name@alias or name/versions/N',
      {
        details: { field: 'model' },
      },
    );
  }
  const m = /^(.+)\/versions\/([^/]+)$/.exec(ref.trim());
  if (m !== null) {
    const v = m[2] as string;
    return {
      model: modelName(m[1], 'model'),
      versionOrAlias: /^[0-9]+$/.test(v) ? versionNumber(v) : v === 'latest' ? v : aliasName(v),
    };
  }
  return parseModelRef(ref.trim());
}

/** A version resolved for classification. */
export interface ResolvedHead {
  /** The reference as the caller wrote it. */
  readonly ref: string;
  readonly tenantId: string;
  /** The registered model's name (the tenant's own name). */
  readonly model: string;
  readonly version: string;
  /** The name the inference service serves it under (`<tenant>__<name>` for tenants). */
  readonly servedName: string;
  readonly featurizer: VersionFeaturizer;
  /** The featuriser id this server computes for it (equal to the recorded one when recorded). */
  readonly featurizerId: string;
}

export type ClassifyContent =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'bytes'; readonly bytes: Uint8Array; readonly declaredType?: string };

/** Content after detection. */
export type DetectedInput =
  | { readonly modality: 'text'; readonly mime: string; readonly text: string }
  | { readonly modality: Exclude<Modality, 'text'>; readonly mime: string; readonly bytes: Uint8Array };

export interface ClassLabelScore {
  readonly label: string;
  readonly score: number;
}

export interface HeadClassification {
  readonly model: string;
  readonly version: string;
  /** The top class. */
  readonly label: string;
  readonly score: number;
  /** Every class, highest score first. */
  readonly labels: readonly ClassLabelScore[];
  readonly featurizer: { readonly type: string; readonly id: string; readonly modality: Modality };
  readonly stages: readonly Stage[];
}

export interface ClassifyResult extends HeadClassification {
  readonly modality: Modality;
  readonly mime: string;
  readonly durationMs: number;
}

export interface ClassifyServiceOptions {
  readonly registry: RegistryService;
  /** The inference service itself (not a tenant view): names are qualified here. */
  readonly inference: InferenceService;
  /** Image, audio (and further) featurisers; without them media heads answer ERR_UNAVAILABLE. */
  readonly media?: MediaFeatures;
  readonly now?: () => number;
}

export class ClassifyService {
  private readonly now: () => number;

  constructor(private readonly options: ClassifyServiceOptions) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Resolves `ref` in `tenantId`'s registry and checks its featuriser record: 404 for an unknown
   * model, version or alias; ERR_NOT_CLASSIFIABLE when it records no usable featuriser, or one
   * whose encoder differs from the one this server runs; ERR_UNAVAILABLE when the featuriser is
   * not configured here.
   */
  async resolve(tenantId: string, ref: string): Promise<ResolvedHead> {
    const parsed = parseClassifierRef(ref);
    // A served name (`acme__spam`) is accepted for the caller's own models, like OIP's.
    const model = ownModelName(tenantId, parsed.model);
    const registry = this.options.registry.forTenant(tenantId);
    const version = await registry.resolveVersion(model, parsed.versionOrAlias);
    const mv = await registry.getModelVersion(model, version);
    const featurizer = versionFeaturizer(mv);
    const featurizerId = featurizerIdOf(featurizer.spec, this.options.media);
    if (featurizer.recordedId !== undefined && featurizer.recordedId !== featurizerId) {
      throw notClassifiable(
        mv,
        `it was trained on ${featurizer.recordedId} features and this server computes ${featurizerId}`,
        { recorded: featurizer.recordedId, current: featurizerId },
      );
    }
    return {
      ref,
      tenantId,
      model,
      version,
      servedName: servingModelName(tenantId, model),
      featurizer,
      featurizerId,
    };
  }

  /** Detects what the content is (magic bytes, checked against the declared type). */
  detect(content: ClassifyContent): DetectedInput {
    if (content.kind === 'text') {
      return { modality: 'text', mime: 'text/plain', text: checkText(content.text) };
    }
    const r = resolveContent(content.bytes, content.declaredType);
    if (r.modality === 'text') {
      if (content.bytes.length > MAX_CLASSIFY_TEXT_BYTES) throw textTooLarge(content.bytes.length);
      const sniffed = r.sniffed as Extract<typeof r.sniffed, { modality: 'text' }>;
      return { modality: 'text', mime: r.mime, text: checkText(decodeText(content.bytes, sniffed)) };
    }
    return { modality: r.modality, mime: r.mime, bytes: content.bytes };
  }

  /** One call: resolve, detect, featurise, run the head. */
  async classify(
    tenantId: string,
    ref: string,
    content: ClassifyContent,
    options: { readonly signal?: CancelSignal } = {},
  ): Promise<ClassifyResult> {
    const started = this.now();
    const head = await this.resolve(tenantId, ref);
    const input = this.detect(content);
    checkModality(head, input);
    const [result] = await this.classifyDetected([head], input, options);
    return {
      ...(result as HeadClassification),
      modality: input.modality,
      mime: input.mime,
      durationMs: Math.max(0, this.now() - started),
    };
  }

  /**
   * Classifies detected content with several resolved heads whose featuriser reads its modality
   * (checked by the caller): each distinct featuriser runs once, the heads run concurrently.
   */
  async classifyDetected(
    heads: readonly ResolvedHead[],
    input: DetectedInput,
    options: { readonly signal?: CancelSignal } = {},
  ): Promise<HeadClassification[]> {
    const features = new Map<string, Promise<{ x: Float32Array; ms: number }>>();
    const featuresOf = (head: ResolvedHead): Promise<{ x: Float32Array; ms: number }> => {
      let f = features.get(head.featurizerId);
      if (f === undefined) {
        f = this.featurize(head.featurizer.spec, input);
        features.set(head.featurizerId, f);
      }
      return f;
    };
    return Promise.all(
      heads.map(async (head) => {
        checkModality(head, input);
        const { x, ms } = await featuresOf(head);
        return this.runHead(head, x, ms, options.signal);
      }),
    );
  }

  private async featurize(
    spec: FeaturizerSpec,
    input: DetectedInput,
  ): Promise<{ x: Float32Array; ms: number }> {
    const started = this.now();
    let x: Float32Array;
    if (spec.type === 'hashed-bow' && input.modality === 'text') {
      x = hashedBagOfWords([input.text], { dimensions: spec.dimensions, bigrams: spec.bigrams });
    } else if (isMediaFeaturizer(spec) && input.modality !== 'text') {
      const media = this.options.media;
      if (media === undefined || !media.supports(spec)) featurizerIdOf(spec, media); // ERR_UNAVAILABLE
      try {
        x = await (media as MediaFeatures).featurizeFiles(spec, [input.bytes]);
      } catch (e) {
        // `details.index` names a file of a batch; here there is one, the request body.
        if (isKaleidoError(e) && e.details?.['index'] !== undefined) {
          const { index: _index, ...details } = e.details;
          throw new KaleidoError(e.code, e.message, {
            cause: e,
            details,
            ...(e.retryAfterSeconds === undefined ? {} : { retryAfterSeconds: e.retryAfterSeconds }),
          });
        }
        throw e;
      }
    } else {
      throw new KaleidoError('ERR_INTERNAL', `featurizer ${spec.type} cannot read ${input.modality} content`);
    }
    return { x, ms: Math.max(0, this.now() - started) };
  }

  private async runHead(
    head: ResolvedHead,
    x: Float32Array,
    featurizeMs: number,
    signal: CancelSignal | undefined,
  ): Promise<HeadClassification> {
    const { featurizer } = head;
    if (featurizer.inputDim > 0 && x.length !== featurizer.inputDim) {
      throw new KaleidoError(
        'ERR_NOT_CLASSIFIABLE',
        `version ${head.version} of "${head.model}" takes ${featurizer.inputDim} features; ${head.featurizerId} gives ${x.length}`,
        {
          details: { model: head.model, version: head.version, expected: featurizer.inputDim, got: x.length },
        },
      );
    }
    const started = this.now();
    const response = await this.options.inference.infer({
      modelName: head.servedName,
      modelVersion: head.version,
      inputs: [{ name: featurizer.inputName, datatype: 'FP32', shape: [1, x.length], data: x }],
      outputs: [{ name: featurizer.outputName }],
      ...(signal === undefined ? {} : { signal }),
    });
    const headMs = Math.max(0, this.now() - started);
    const out = response.outputs.find((o) => o.name === featurizer.outputName) ?? response.outputs[0];
    const p = out?.data;
    const n = featurizer.classes.length;
    if (!(p instanceof Float32Array || p instanceof Float64Array) || p.length !== n) {
      throw new KaleidoError(
        'ERR_NOT_CLASSIFIABLE',
        `version ${head.version} of "${head.model}" answered ${p?.length ?? 0} values for ${n} recorded classes`,
        { details: { model: head.model, version: head.version, classes: n } },
      );
    }
    const labels = featurizer.classes
      .map((label, i) => ({ label, score: p[i] as number, i }))
      .sort((a, b) => b.score - a.score || a.i - b.i)
      .map(({ label, score }) => ({ label, score }));
    const top = labels[0] as ClassLabelScore;
    return {
      model: head.model,
      version: head.version,
      label: top.label,
      score: top.score,
      labels,
      featurizer: { type: featurizer.spec.type, id: head.featurizerId, modality: featurizer.modality },
      stages: [
        {
          name: 'featurize',
          analyzer: featurizer.spec.type,
          model: head.featurizerId,
          version: '',
          ms: featurizeMs,
          status: 'ok',
        },
        {
          name: 'head',
          analyzer: 'classifier-head',
          model: head.servedName,
          version: response.modelVersion,
          ms: headMs,
          status: 'ok',
        },
      ],
    };
  }
}

function textTooLarge(bytes: number): KaleidoError {
  return new KaleidoError('ERR_PAYLOAD_TOO_LARGE', `text is limited to ${MAX_CLASSIFY_TEXT_BYTES} bytes`, {
    details: { bytes, maxBytes: MAX_CLASSIFY_TEXT_BYTES },
  });
}

function checkText(text: string): string {
  if (text.trim() === '') {
    throw new KaleidoError('ERR_VALIDATION', 'the text is empty', { details: { field: 'text' } });
  }
  // Counted in UTF-16 units (no encoding pass); raw bodies were already held to the byte limit.
  if (text.length > MAX_CLASSIFY_TEXT_BYTES) throw textTooLarge(text.length);
  return text;
}

/** Content of another modality than the head's featuriser reads: 415 naming both. */
export function checkModality(head: ResolvedHead, input: DetectedInput): void {
  if (head.featurizer.modality === input.modality) return;
  throw new KaleidoError(
    'ERR_UNSUPPORTED_MEDIA_TYPE',
    `the content is ${input.mime} (${input.modality}), but version ${head.version} of "${head.model}" classifies ${head.featurizer.modality} (featurizer ${head.featurizer.spec.type})`,
    {
      details: {
        detected: input.mime,
        modality: input.modality,
        expected: head.featurizer.modality,
        featurizer: head.featurizer.spec.type,
        model: head.model,
      },
    },
  );
}
