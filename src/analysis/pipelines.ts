/**
 * The built-in pipelines, as data. Each step names an analyzer `<modality>/<task>`; steps without
 * `after` are independent and run concurrently. Operators list them at GET /v1/pipelines and pick
 * one per request (`?pipeline=`); policies may be scoped to a pipeline by name.
 *
 * Timeouts: the text analyzers are in-process and take milliseconds on normal inputs; the spam
 * step goes through the model server's dynamic batcher, so it gets the queue's worth of slack.
 */
import type { PipelineDefinition } from '../core/pipeline/index.js';

export const TEXT_DEFAULT_PIPELINE = 'text-default';

export const TEXT_PIPELINES: readonly PipelineDefinition[] = [
  {
    name: TEXT_DEFAULT_PIPELINE,
    modality: 'text',
    description:
      'Full text analysis: language, sentiment, entities, PII, profanity, spam, prompt injection and the ' +
      'rule-based moderation categories, then the safety policy.',
    steps: [
      { id: 'language', analyzer: 'text/language', timeoutMs: 2_000 },
      { id: 'sentiment', analyzer: 'text/sentiment', timeoutMs: 2_000 },
      { id: 'entities', analyzer: 'text/entities', timeoutMs: 5_000 },
      { id: 'pii', analyzer: 'text/pii', timeoutMs: 5_000 },
      { id: 'profanity', analyzer: 'text/profanity', timeoutMs: 2_000 },
      { id: 'spam', analyzer: 'text/spam', timeoutMs: 5_000 },
      { id: 'injection', analyzer: 'text/injection', timeoutMs: 2_000 },
      { id: 'moderation', analyzer: 'text/moderation', timeoutMs: 2_000 },
    ],
  },
  {
    name: 'text-pii',
    modality: 'text',
    description: 'PII detection only, with the policy’s redaction applied to the returned text.',
    steps: [{ id: 'pii', analyzer: 'text/pii', timeoutMs: 5_000 }],
  },
  {
    name: 'text-moderation',
    modality: 'text',
    description:
      'Every safety signal and nothing else: PII, profanity, spam, prompt injection, moderation rules.',
    steps: [
      { id: 'pii', analyzer: 'text/pii', timeoutMs: 5_000 },
      { id: 'profanity', analyzer: 'text/profanity', timeoutMs: 2_000 },
      { id: 'spam', analyzer: 'text/spam', timeoutMs: 5_000 },
      { id: 'injection', analyzer: 'text/injection', timeoutMs: 2_000 },
      { id: 'moderation', analyzer: 'text/moderation', timeoutMs: 2_000 },
    ],
  },
  {
    name: 'text-nlp',
    modality: 'text',
    description:
      'Language, sentiment and entities, without moderation signals (the verdict says what was unchecked).',
    steps: [
      { id: 'language', analyzer: 'text/language', timeoutMs: 2_000 },
      { id: 'sentiment', analyzer: 'text/sentiment', timeoutMs: 2_000 },
      { id: 'entities', analyzer: 'text/entities', timeoutMs: 5_000 },
    ],
  },
];

// ---------------------------------------------------------------------------------------------
// Image. The tfjs models (objects, faces, nsfw) share one wasm backend on the main thread, so
// they effectively run one after another; OCR runs in a Tesseract worker thread alongside them.
// Timeouts leave several times the measured warm latency (docs/accuracy.md) for a loaded machine.

export const IMAGE_DEFAULT_PIPELINE = 'image-default';

export const IMAGE_PIPELINES: readonly PipelineDefinition[] = [
  {
    name: IMAGE_DEFAULT_PIPELINE,
    modality: 'image',
    description:
      'Full image analysis: quality metrics, dominant colours, COCO-80 objects, faces with age/gender/' +
      'expression, NSFW classes (the sexual category of the safety verdict) and OCR text.',
    steps: [
      { id: 'quality', analyzer: 'image/quality', timeoutMs: 2_000 },
      { id: 'colours', analyzer: 'image/colours', timeoutMs: 2_000 },
      { id: 'nsfw', analyzer: 'image/nsfw', timeoutMs: 5_000 },
      { id: 'objects', analyzer: 'image/objects', timeoutMs: 8_000 },
      { id: 'faces', analyzer: 'image/faces', timeoutMs: 8_000 },
      { id: 'ocr', analyzer: 'image/ocr', timeoutMs: 15_000 },
    ],
  },
  {
    name: 'image-moderation',
    modality: 'image',
    description: 'The safety signal only: NSFW classification feeding the sexual category.',
    steps: [{ id: 'nsfw', analyzer: 'image/nsfw', timeoutMs: 5_000 }],
  },
  {
    name: 'image-detection',
    modality: 'image',
    description: 'Objects and faces (the verdict lists nsfw as unchecked).',
    steps: [
      { id: 'objects', analyzer: 'image/objects', timeoutMs: 8_000 },
      { id: 'faces', analyzer: 'image/faces', timeoutMs: 8_000 },
    ],
  },
  {
    name: 'image-ocr',
    modality: 'image',
    description: 'Text in the image (lines and words with boxes and confidences) and quality metrics.',
    steps: [
      { id: 'quality', analyzer: 'image/quality', timeoutMs: 2_000 },
      { id: 'ocr', analyzer: 'image/ocr', timeoutMs: 15_000 },
    ],
  },
];
