/**
 * The text analyzers that wrap a vendor engine (language, sentiment, entities, profanity). Each
 * takes already-normalised text (see normalize.ts; `analyzeText` normalises once for all of them)
 * and returns UTF-16 spans into it. The spam analyzer, which calls a served model, is in spam.ts.
 */
import { KaleidoError } from '../../core/errors.js';
import type {
  AnalyzeContext,
  Analyzer,
  AnalyzerInfo,
  EntityEngine,
  LanguageGuess,
  LanguageIdentifierEngine,
  ProfanityEngine,
  SentimentEngine,
  TextEngine,
} from '../../core/ports/analyzer.js';
import type { PiiAnalyzer, PiiEntity } from '../../core/safety/pii/index.js';
import type {
  EntitiesResult,
  LanguageCandidate,
  LanguageResult,
  ProfanityHit,
  ProfanityResult,
  SentimentLabel,
  SentimentResult,
  TextEntity,
} from './types.js';

/** Throws ERR_CANCELLED when the caller has gone away. */
export function checkCancelled(ctx: AnalyzeContext | undefined, analyzer: string): void {
  if (ctx?.signal?.aborted === true) {
    throw new KaleidoError('ERR_CANCELLED', `analysis cancelled before ${analyzer} ran`, {
      details: { analyzer },
    });
  }
}

/** Base for analyzers over one or more engines: lifecycle, readiness, cancellation. */
abstract class EngineAnalyzer<O> implements Analyzer<string, O> {
  abstract readonly info: AnalyzerInfo;
  private ready = false;

  protected constructor(private readonly lifecycle: readonly TextEngine[]) {}

  async init(): Promise<void> {
    for (const e of this.lifecycle) await e.init();
    this.ready = true;
  }

  async close(): Promise<void> {
    this.ready = false;
    for (const e of this.lifecycle) await e.close();
  }

  // async, so that every failure (not initialised, cancelled, engine error) is a rejection.
  async analyze(text: string, ctx?: AnalyzeContext): Promise<O> {
    if (!this.ready) {
      throw new KaleidoError('ERR_UNAVAILABLE', `text analyzer ${this.info.name} is not initialised`, {
        details: { analyzer: this.info.name },
      });
    }
    checkCancelled(ctx, this.info.name);
    return this.run(text);
  }

  protected abstract run(text: string): O;
}

// ---------------------------------------------------------------------------------------------
// Language

/** cld3 codes that are not ISO 639-1: the legacy Hebrew code, and script-suffixed romanisations. */
const LEGACY_CODES: Readonly<Record<string, string>> = { iw: 'he', in: 'id', ji: 'yi', jw: 'jv' };

/** Maps an engine code to { language, script }: "iw" → he, "ru-Latn" → ru + Latn. */
export function toIsoLanguage(code: string): { language: string; script?: string } {
  const [base = 'und', script] = code.split('-');
  const language = LEGACY_CODES[base] ?? base;
  return script === undefined ? { language } : { language, script };
}

/** Fewer letters than this and no language is claimed (cld3 answers even for "", e.g. "ja"). */
const MIN_LETTERS = 1;

const candidate = (g: LanguageGuess): LanguageCandidate => ({
  ...toIsoLanguage(g.code),
  probability: g.probability,
  isReliable: g.isReliable,
  proportion: g.proportion,
});

export class LanguageAnalyzer extends EngineAnalyzer<LanguageResult> {
  readonly info: AnalyzerInfo;

  constructor(private readonly engine: LanguageIdentifierEngine) {
    super([engine]);
    this.info = {
      name: 'language',
      task: 'language-identification',
      modality: 'text',
      model: engine.name,
      version: engine.version,
      method: 'neural',
    };
  }

  protected run(text: string): LanguageResult {
    const letters = text.match(/\p{L}/gu)?.length ?? 0;
    if (letters < MIN_LETTERS) {
      return { language: 'und', probability: 0, isReliable: false, proportion: 1, languages: [] };
    }
    const top = candidate(this.engine.identify(text));
    return { ...top, languages: this.engine.languages(text, 3).map(candidate) };
  }
}

// ---------------------------------------------------------------------------------------------
// Sentiment

export interface SentimentOptions {
  /** |score| at or below this is neutral (default 0: neutral only when no sentiment word is found). */
  readonly neutralBand?: number;
}

export const sentimentLabel = (score: number, neutralBand = 0): SentimentLabel =>
  score > neutralBand ? 'positive' : score < -neutralBand ? 'negative' : 'neutral';

export class SentimentAnalyzer extends EngineAnalyzer<SentimentResult> {
  readonly info: AnalyzerInfo;
  private readonly band: number;

  constructor(
    private readonly engine: SentimentEngine,
    options: SentimentOptions = {},
  ) {
    super([engine]);
    this.band = options.neutralBand ?? 0;
    if (!(this.band >= 0 && this.band < 1)) {
      throw new KaleidoError('ERR_BAD_CONFIG', 'neutralBand must be in [0, 1)', {
        details: { field: 'neutralBand', value: this.band },
      });
    }
    this.info = {
      name: 'sentiment',
      task: 'sentiment',
      modality: 'text',
      model: engine.name,
      version: engine.version,
      method: 'lexicon',
    };
  }

  protected run(text: string): SentimentResult {
    const score = this.engine.polarity(text);
    return { label: sentimentLabel(score, this.band), score, method: 'lexicon' };
  }
}

// ---------------------------------------------------------------------------------------------
// Entities

/** PII entity names → the entity vocabulary of the text modality (others keep their name). */
const PII_TYPES: Partial<Record<PiiEntity, string>> = {
  EMAIL_ADDRESS: 'EMAIL',
  PHONE_NUMBER: 'PHONE',
  LOCATION: 'PLACE',
};

const NUMERIC_FRAGMENTS: ReadonlySet<string> = new Set(['CARDINAL', 'ORDINAL']);

export class EntityAnalyzer extends EngineAnalyzer<EntitiesResult> {
  readonly info: AnalyzerInfo;

  /** `pii`: the safety module's detector (core, pure); its findings are merged in and flagged. */
  constructor(
    private readonly engines: readonly EntityEngine[],
    private readonly pii?: PiiAnalyzer,
  ) {
    super(engines);
    if (engines.length === 0 && pii === undefined) {
      throw new KaleidoError('ERR_BAD_CONFIG', 'the entity analyzer needs at least one engine', {
        details: { field: 'engines' },
      });
    }
    const parts = [...engines.map((e) => e.name), ...(pii ? ['pii'] : [])];
    this.info = {
      name: 'entities',
      task: 'named-entities',
      modality: 'text',
      model: parts.join('+'),
      version: engines.map((e) => `${e.name}@${e.version}`).join(','),
      method: 'rules',
    };
  }

  protected run(text: string): EntitiesResult {
    const merged = new Map<
      string,
      { type: string; start: number; end: number; sources: string[]; pii: boolean; score?: number }
    >();
    const add = (type: string, start: number, end: number, source: string, score?: number): void => {
      const key = `${type}:${start}:${end}`;
      const found = merged.get(key);
      if (found === undefined) {
        merged.set(key, {
          type,
          start,
          end,
          sources: [source],
          pii: score !== undefined,
          ...(score === undefined ? {} : { score }),
        });
        return;
      }
      if (!found.sources.includes(source)) found.sources.push(source);
      if (score !== undefined) {
        found.pii = true;
        found.score = Math.max(found.score ?? 0, score);
      }
    };
    for (const engine of this.engines) {
      for (const e of engine.entities(text)) {
        if (!(
          Number.isInteger(e.start) &&
          Number.isInteger(e.end) &&
          e.start >= 0 &&
          e.start < e.end &&
          e.end <= text.length
        )) {
          throw new KaleidoError(
            'ERR_INTERNAL',
            `entity engine ${engine.name} returned a span outside the text`,
            {
              details: { engine: engine.name, start: e.start, end: e.end, length: text.length },
            },
          );
        }
        add(e.type, e.start, e.end, engine.name);
      }
    }
    for (const f of this.pii?.analyze(text) ?? [])
      add(PII_TYPES[f.entity] ?? f.entity, f.start, f.end, 'pii', f.score);
    const all = [...merged.values()];
    // A bare number inside a longer entity of another type (the digits of a phone number, an
    // IBAN, a date) is a fragment of it, not an entity of its own.
    const kept = all.filter(
      (e) =>
        !(
          NUMERIC_FRAGMENTS.has(e.type) &&
          all.some(
            (o) =>
              o !== e &&
              o.type !== e.type &&
              o.start <= e.start &&
              o.end >= e.end &&
              o.end - o.start > e.end - e.start,
          )
        ),
    );
    const entities: TextEntity[] = kept
      .sort((a, b) => a.start - b.start || b.end - a.end || a.type.localeCompare(b.type))
      .map((e) => ({ ...e, text: text.slice(e.start, e.end) }));
    return { entities };
  }
}

// ---------------------------------------------------------------------------------------------
// Profanity

/** Replaces every UTF-16 unit inside the spans with "*" (length and offsets are preserved). */
export function censor(text: string, spans: readonly { start: number; end: number }[]): string {
  if (spans.length === 0) return text;
  const units = text.split('');
  for (const s of spans) for (let i = s.start; i < s.end; i++) units[i] = '*';
  return units.join('');
}

export class ProfanityAnalyzer extends EngineAnalyzer<ProfanityResult> {
  readonly info: AnalyzerInfo;

  constructor(private readonly engine: ProfanityEngine) {
    super([engine]);
    this.info = {
      name: 'profanity',
      task: 'profanity',
      modality: 'text',
      model: engine.name,
      version: engine.version,
      method: 'rules',
    };
  }

  protected run(text: string): ProfanityResult {
    const matches: ProfanityHit[] = this.engine
      .matches(text)
      .filter((m) => m.start >= 0 && m.end <= text.length && m.start < m.end)
      .sort((a, b) => a.start - b.start || b.end - a.end)
      .map((m) => ({ start: m.start, end: m.end, term: m.term, text: text.slice(m.start, m.end) }));
    return { profane: matches.length > 0, matches, censored: censor(text, matches) };
  }
}
