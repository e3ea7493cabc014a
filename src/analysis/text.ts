/**
 * The text modality as the analysis service sees it: the text modality's analyzers (language,
 * sentiment, entities, profanity, spam), the safety module's PII detector, prompt-injection
 * heuristics and rule scorer, each registered as `text/<task>`; how their results become safety
 * signals; and how they are presented without quoting what the policy withholds.
 *
 * Offsets: every span is UTF-16 code units into the *normalised* text (NFC, control characters
 * removed — modalities/text/normalize.ts), `end` exclusive.
 */
import { KaleidoError } from '../core/errors.js';
import type { AnalyzeContext, AnalyzerStatus } from '../core/ports/analyzer.js';
import type { InjectionDetector, InjectionResult } from '../core/safety/injection/index.js';
import { INJECTION_SOURCE } from '../core/safety/injection/index.js';
import type { Finding, PiiAnalyzer } from '../core/safety/pii/index.js';
import { PII_SOURCE } from '../core/safety/policy/index.js';
import type { RuleTextScorer } from '../core/safety/rules/index.js';
import { TEXT_RULES_SOURCE } from '../core/safety/rules/index.js';
import type { CategoryScore } from '../core/safety/taxonomy.js';
import { sourceOfAnalyzer } from '../core/safety/taxonomy.js';
import {
  normalizeText,
  type EntitiesResult,
  type ProfanityResult,
  type SentimentResult,
  type SpamResult,
  type TextAnalyzers,
  type TextTask,
} from '../modalities/text/index.js';
import { decodeText } from './content.js';
import { TEXT_DEFAULT_PIPELINE, TEXT_PIPELINES } from './pipelines.js';
import { mayQuote } from './safety.js';
import type {
  AnalyzerDescription,
  DetectedContent,
  Disclosure,
  ModalityModule,
  PluggedAnalyzer,
  Presented,
  RegisteredAnalyzer,
  SafetySignals,
  StepOutput,
} from './types.js';

/**
 * Default cap on the entity pass. compromise costs ~7 µs a character on an idle core (30–50 µs
 * measured on a loaded 2-core machine), so 10 000 characters keep the step near 70 ms and the
 * text p99 under 100 ms; the rest of a longer text is listed in the response's `skipped`. PII,
 * profanity, injection and the moderation rules always see the whole text.
 */
export const DEFAULT_ENTITY_MAX_CHARS = 10_000;
/** Default largest raw text body: 100 000 characters of UTF-8 prose fit comfortably. */
export const DEFAULT_TEXT_MAX_BYTES = 1024 * 1024;

export interface TextInput {
  /** The normalised text every span refers to. */
  readonly text: string;
}

/** The entity step's result: the entities, and how much of the text the pass covered. */
export interface CappedEntities extends EntitiesResult {
  readonly analyzedChars: number;
  readonly totalChars: number;
}

export interface TextModuleDeps {
  /** The text modality's analyzers (created from the engines main.ts constructs). */
  readonly analyzers: TextAnalyzers;
  /** The PII detector; the `pii` step runs it on the whole text (redaction must cover all of it). */
  readonly pii?: PiiAnalyzer;
  readonly injection?: InjectionDetector;
  readonly rules?: RuleTextScorer;
  /** Longest text accepted, in UTF-16 units (default: the text modality's). */
  readonly maxTextLength?: number;
  /** The entity pass sees at most this many UTF-16 units (default 10 000). */
  readonly entityMaxChars?: number;
  /** Largest raw text body in bytes (default 1 MiB). */
  readonly maxBytes?: number;
  /** Bring-your-own analyzers (e.g. Hugging Face classifiers, `text/hf:<name>`). */
  readonly plugged?: readonly PluggedAnalyzer<TextInput>[];
}

const NONE: AnalyzerDescription = { model: 'none', version: '' };

/** Cuts at most `max` units without splitting a surrogate pair. */
function capText(text: string, max: number): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  return text.slice(0, code >= 0xd800 && code <= 0xdbff ? max - 1 : max);
}

function analyzer<I>(
  task: string,
  safety: boolean,
  describe: () => AnalyzerDescription,
  status: () => AnalyzerStatus,
  run: (input: I, ctx: AnalyzeContext) => unknown,
): RegisteredAnalyzer<I> {
  return {
    id: `text/${task}`,
    modality: 'text',
    task,
    safety,
    describe,
    status,
    // async: a synchronous throw of a pure detector becomes a rejection, i.e. a failed stage.
    run: async (input, _previous, ctx) => {
      if (ctx.signal?.aborted === true) {
        throw new KaleidoError('ERR_CANCELLED', `analysis cancelled before ${task} ran`, {
          details: { analyzer: task },
        });
      }
      return run(input, ctx);
    },
  };
}

const unavailable = (reason: string): AnalyzerStatus => ({ available: false, reason });

/** The text module; its `prepare` is synchronous. */
export type TextModule = Omit<ModalityModule<TextInput>, 'prepare'> & {
  prepare(content: DetectedContent): TextInput;
};

export function createTextModule(deps: TextModuleDeps): TextModule {
  const { analyzers } = deps;
  const entityMax = deps.entityMaxChars ?? DEFAULT_ENTITY_MAX_CHARS;
  if (!(Number.isInteger(entityMax) && entityMax > 0)) {
    throw new KaleidoError('ERR_BAD_CONFIG', 'entityMaxChars must be a positive integer', {
      details: { field: 'entityMaxChars', value: entityMax },
    });
  }

  const fromModality = (task: TextTask, safety: boolean, input: (t: TextInput) => string = (t) => t.text) =>
    analyzer<TextInput>(
      task,
      safety,
      () => {
        const info = analyzers.get(task)?.info;
        return info === undefined ? NONE : { model: info.model, version: info.version, method: info.method };
      },
      () => analyzers.status()[task],
      (t, ctx) => {
        const a = analyzers.get(task);
        if (a === undefined) {
          throw new KaleidoError('ERR_UNAVAILABLE', `text analyzer ${task} is not available`, {
            details: { analyzer: task },
          });
        }
        return a.analyze(input(t), ctx);
      },
    );

  const entities = analyzer<TextInput>(
    'entities',
    false,
    () => fromModality('entities', false).describe(),
    () => analyzers.status().entities,
    async (t, ctx): Promise<CappedEntities> => {
      const a = analyzers.get('entities');
      if (a === undefined) {
        throw new KaleidoError('ERR_UNAVAILABLE', 'text analyzer entities is not available', {
          details: { analyzer: 'entities' },
        });
      }
      const part = capText(t.text, entityMax);
      const r = await a.analyze(part, ctx);
      return { entities: r.entities, analyzedChars: part.length, totalChars: t.text.length };
    },
  );

  const pii = deps.pii;
  const injection = deps.injection;
  const rules = deps.rules;
  const registered: RegisteredAnalyzer<TextInput>[] = [
    fromModality('language', false),
    fromModality('sentiment', false),
    entities,
    analyzer<TextInput>(
      'pii',
      true,
      () => ({ model: PII_SOURCE.name, version: PII_SOURCE.version, method: 'rules' }),
      () => (pii ? { available: true } : unavailable('no PII detector configured')),
      (t) => (pii as PiiAnalyzer).analyze(t.text),
    ),
    fromModality('profanity', true),
    fromModality('spam', true),
    analyzer<TextInput>(
      'injection',
      true,
      () => ({ model: INJECTION_SOURCE.name, version: INJECTION_SOURCE.version, method: 'rules' }),
      () => (injection ? { available: true } : unavailable('no prompt-injection detector configured')),
      (t) => (injection as InjectionDetector).detect(t.text),
    ),
    analyzer<TextInput>(
      'moderation',
      true,
      () => ({ model: TEXT_RULES_SOURCE.name, version: TEXT_RULES_SOURCE.version, method: 'rules' }),
      () => (rules ? { available: true } : unavailable('no rule scorer configured')),
      (t) => (rules as RuleTextScorer).score(t.text),
    ),
    ...(deps.plugged ?? []),
  ];
  const sourceOf = (task: string): ReturnType<typeof sourceOfAnalyzer> => {
    const d = registered.find((a) => a.task === task)?.describe() ?? NONE;
    return sourceOfAnalyzer({ model: d.model, version: d.version, method: d.method ?? 'rules' });
  };

  return {
    modality: 'text',
    analyzers: registered,
    pipelines: TEXT_PIPELINES,
    defaultPipeline: TEXT_DEFAULT_PIPELINE,
    maxBytes: deps.maxBytes ?? DEFAULT_TEXT_MAX_BYTES,

    async init() {
      await analyzers.init();
      for (const a of deps.plugged ?? []) await a.init();
    },

    async close() {
      await analyzers.close();
      for (const a of deps.plugged ?? []) await a.close();
    },

    prepare(content: DetectedContent): TextInput {
      let raw: string;
      if (content.kind === 'text') raw = content.text;
      else if (content.sniffed.modality === 'text') raw = decodeText(content.bytes, content.sniffed);
      else {
        throw new KaleidoError('ERR_UNSUPPORTED_MEDIA_TYPE', `${content.mime} is not text`, {
          details: { detected: content.mime },
        });
      }
      const text = normalizeText(
        raw,
        deps.maxTextLength === undefined ? {} : { maxLength: deps.maxTextLength },
      );
      if (text.length === 0) {
        throw new KaleidoError('ERR_VALIDATION', 'the text is empty', { details: { field: 'text' } });
      }
      return { text };
    },

    safetySignals(input: TextInput, outputs: readonly StepOutput[]): SafetySignals {
      const scores: CategoryScore[] = [];
      const piiFindings: Finding[] = [];
      for (const o of outputs) {
        switch (o.analyzer) {
          case 'text/profanity': {
            const r = o.value as ProfanityResult;
            // A dictionary hit is certain with respect to the dictionary: 1, or 0 for none.
            scores.push({
              category: 'profanity',
              score: r.profane ? 1 : 0,
              source: sourceOf('profanity'),
              spans: r.matches.map((m) => ({ start: m.start, end: m.end, label: 'profanity' })),
            });
            break;
          }
          case 'text/spam': {
            const r = o.value as SpamResult;
            scores.push({
              category: 'spam',
              score: r.probability,
              source: { kind: 'model', name: r.model, version: r.modelVersion },
            });
            break;
          }
          case 'text/sentiment': {
            // Information only: no default rule acts on tone alone.
            const r = o.value as SentimentResult;
            scores.push({
              category: 'negative-sentiment',
              score: Math.min(1, Math.max(0, -r.score)),
              source: sourceOf('sentiment'),
            });
            break;
          }
          case 'text/injection':
            scores.push((o.value as InjectionResult).categoryScore);
            break;
          case 'text/moderation':
            scores.push(...(o.value as CategoryScore[]));
            break;
          case 'text/pii':
            piiFindings.push(...(o.value as Finding[]));
            break;
          default:
            break;
        }
      }
      return { scores, piiFindings, text: input.text };
    },

    present(input: TextInput, outputs: readonly StepOutput[], d: Disclosure): Presented {
      const results: Record<string, unknown> = {};
      const partial: Record<string, unknown> = {};
      const quote = <T extends { start: number; end: number }>(
        span: T,
        text: string,
      ): T & { text?: string } =>
        mayQuote(d, span.start, span.end) ? { ...span, text } : { ...span, redacted: true };
      for (const o of outputs) {
        switch (o.analyzer) {
          case 'text/entities': {
            const r = o.value as CappedEntities;
            results[o.stepId] = r.entities.map(({ text, ...e }) => quote(e, text));
            if (r.analyzedChars < r.totalChars) {
              partial[o.stepId] = {
                reason: `entity extraction covers the first ${r.analyzedChars} of ${r.totalChars} characters`,
                analyzedChars: r.analyzedChars,
                totalChars: r.totalChars,
              };
            }
            break;
          }
          case 'text/pii':
            results[o.stepId] = (o.value as Finding[]).map((f) =>
              quote(
                { entity: f.entity, start: f.start, end: f.end, score: f.score, recognizer: f.recognizer },
                f.text ?? input.text.slice(f.start, f.end),
              ),
            );
            break;
          case 'text/profanity': {
            const r = o.value as ProfanityResult;
            const clear = !d.withhold && !d.wholeTextRedacted && d.redacted.length === 0;
            results[o.stepId] = {
              profane: r.profane,
              matches: r.matches.map(({ text, ...m }) => quote(m, text)),
              // The censored copy is the whole text: only when nothing of it is withheld.
              ...(clear ? { censored: r.censored } : {}),
            };
            break;
          }
          case 'text/injection': {
            const r = o.value as InjectionResult;
            results[o.stepId] = { score: r.score, signals: r.signals };
            break;
          }
          case 'text/moderation':
            results[o.stepId] = {
              categories: (o.value as CategoryScore[]).map((s) => ({
                category: s.category,
                score: s.score,
                spans: s.spans ?? [],
              })),
            };
            break;
          default:
            results[o.stepId] = o.value;
        }
      }
      return { results, partial };
    },
  };
}
