/**
 * The text analyzers as data: a table from task to a factory over injected engines, so the
 * composition root (main.ts) only passes the adapters it has, and the server can report which
 * analyzers are available and why the others are not.
 */
import { KaleidoError } from '../../core/errors.js';
import type {
  Analyzer,
  AnalyzerInfo,
  AnalyzerStatus,
  EntityEngine,
  LanguageIdentifierEngine,
  ProfanityEngine,
  SentimentEngine,
} from '../../core/ports/analyzer.js';
import type { CancelSignal, InferenceService } from '../../core/ports/inference.js';
import type { PiiAnalyzer } from '../../core/safety/pii/index.js';
import {
  EntityAnalyzer,
  LanguageAnalyzer,
  ProfanityAnalyzer,
  SentimentAnalyzer,
  type SentimentOptions,
} from './analyzers.js';
import { normalizeText } from './normalize.js';
import { SpamAnalyzer, type SpamAnalyzerOptions } from './spam.js';
import { ALL_TEXT_TASKS, type TextAnalysisResult, type TextResults, type TextTask } from './types.js';

export interface TextAnalyzerDeps {
  readonly language?: LanguageIdentifierEngine;
  readonly sentiment?: SentimentEngine;
  readonly sentimentOptions?: SentimentOptions;
  /** Pattern/rule entity engines (wink, compromise …), merged in this order. */
  readonly entities?: readonly EntityEngine[];
  /** The PII detector of the safety module; its findings join the entities, flagged `pii`. */
  readonly pii?: PiiAnalyzer;
  readonly profanity?: ProfanityEngine;
  /** The inference service that serves the spam model. */
  readonly inference?: InferenceService;
  readonly spam?: SpamAnalyzerOptions;
  /** Longest text accepted (UTF-16 units); see normalize.ts for the default. */
  readonly maxTextLength?: number;
}

type Factory = (deps: TextAnalyzerDeps) => Analyzer<string, unknown> | string;

/** Task → analyzer factory; a string is the reason the analyzer cannot be built from the deps. */
export const TEXT_ANALYZER_FACTORIES: Readonly<Record<TextTask, Factory>> = {
  language: (d) =>
    d.language ? new LanguageAnalyzer(d.language) : 'no language identification engine configured',
  sentiment: (d) =>
    d.sentiment ? new SentimentAnalyzer(d.sentiment, d.sentimentOptions) : 'no sentiment engine configured',
  entities: (d) =>
    (d.entities?.length ?? 0) > 0 || d.pii
      ? new EntityAnalyzer(d.entities ?? [], d.pii)
      : 'no entity engine configured',
  profanity: (d) => (d.profanity ? new ProfanityAnalyzer(d.profanity) : 'no profanity engine configured'),
  spam: (d) =>
    d.inference
      ? new SpamAnalyzer(d.inference, d.spam)
      : 'no inference service configured for the spam model',
};

interface Entry {
  readonly task: TextTask;
  readonly analyzer: Analyzer<string, unknown> | undefined;
  status: AnalyzerStatus;
}

export interface AnalyzeTextOptions {
  /** Analyzers to run (default: every available one). */
  readonly tasks?: readonly TextTask[];
  readonly signal?: CancelSignal;
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** The text analyzers of one server: init once, then `analyze` many times. */
export class TextAnalyzers {
  private readonly entries: Entry[];
  private initialised = false;

  constructor(private readonly deps: TextAnalyzerDeps) {
    this.entries = ALL_TEXT_TASKS.map((task) => {
      const built = TEXT_ANALYZER_FACTORIES[task](deps);
      return typeof built === 'string'
        ? { task, analyzer: undefined, status: { available: false, reason: built } }
        : { task, analyzer: built, status: { available: false, reason: 'not initialised' } };
    });
  }

  /**
   * Initialises every analyzer; one that fails is reported unavailable with the reason (e.g. the
   * spam model is not loaded) instead of failing the rest.
   */
  async init(): Promise<Record<TextTask, AnalyzerStatus>> {
    for (const e of this.entries) {
      if (e.analyzer === undefined) continue;
      try {
        await e.analyzer.init();
        e.status = { available: true };
      } catch (err) {
        e.status = { available: false, reason: messageOf(err) };
      }
    }
    this.initialised = true;
    return this.status();
  }

  status(): Record<TextTask, AnalyzerStatus> {
    return Object.fromEntries(this.entries.map((e) => [e.task, e.status])) as Record<
      TextTask,
      AnalyzerStatus
    >;
  }

  /** Infos of the analyzers that are available now. */
  infos(): AnalyzerInfo[] {
    return this.entries.flatMap((e) => (e.status.available && e.analyzer ? [e.analyzer.info] : []));
  }

  get<T extends TextTask>(task: T): Analyzer<string, NonNullable<TextResults[T]>> | undefined {
    const e = this.entries.find((x) => x.task === task);
    return e?.status.available ? (e.analyzer as Analyzer<string, NonNullable<TextResults[T]>>) : undefined;
  }

  /**
   * Normalises the text once and runs the requested analyzers on it concurrently. Requested but
   * unavailable analyzers are listed in `skipped`; an error while running one fails the call.
   */
  async analyze(input: unknown, options: AnalyzeTextOptions = {}): Promise<TextAnalysisResult> {
    if (!this.initialised) {
      throw new KaleidoError('ERR_UNAVAILABLE', 'text analyzers are not initialised', {
        details: { modality: 'text' },
      });
    }
    const tasks = options.tasks ?? ALL_TEXT_TASKS;
    for (const t of tasks) {
      if (!(ALL_TEXT_TASKS as readonly string[]).includes(t)) {
        throw new KaleidoError('ERR_VALIDATION', `unknown text analyzer ${String(t)}`, {
          details: { field: 'tasks', value: t, allowed: ALL_TEXT_TASKS },
        });
      }
    }
    const text = normalizeText(
      input,
      this.deps.maxTextLength === undefined ? {} : { maxLength: this.deps.maxTextLength },
    );
    const ctx = options.signal === undefined ? {} : { signal: options.signal };
    const skipped: Partial<Record<TextTask, AnalyzerStatus>> = {};
    const running: Promise<[TextTask, unknown, AnalyzerInfo]>[] = [];
    for (const task of new Set(tasks)) {
      const e = this.entries.find((x) => x.task === task) as Entry;
      if (!e.status.available || e.analyzer === undefined) {
        skipped[task] = e.status;
        continue;
      }
      const analyzer = e.analyzer;
      running.push(analyzer.analyze(text, ctx).then((r) => [task, r, analyzer.info]));
    }
    const done = await Promise.all(running);
    const results: Record<string, unknown> = {};
    for (const [task, r] of done) results[task] = r;
    return { text, results: results as TextResults, skipped, analyzers: done.map(([, , info]) => info) };
  }

  async close(): Promise<void> {
    for (const e of this.entries) {
      if (e.analyzer !== undefined) await e.analyzer.close();
      e.status = { available: false, reason: 'closed' };
    }
    this.initialised = false;
  }
}

/** Builds the text analyzers from whatever engines the composition root provides. */
export function createTextAnalyzers(deps: TextAnalyzerDeps): TextAnalyzers {
  return new TextAnalyzers(deps);
}
