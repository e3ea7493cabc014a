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
