/**
 * Spoken commands: a grammar-constrained recogniser (the CommandRecognizer port) answers which
 * phrase of a small command set was said, when, and with what posterior.
 *
 * The command set is the recogniser's default grammar (ten keywords) unless a request names its
 * own, as request options of the `commands` task:
 *   { "words": ["lights on", "lights off", "stop"] }   phrases of 1–4 dictionary words, or
 *   { "jsgf": "#JSGF V1.0; grammar g; public <c> = ...;" }   a JSGF grammar of its own.
 * Both are validated before anything runs (ERR_VALIDATION naming the unknown words or the JSGF
 * error), so a bad grammar is the client's 400, never a failed stage.
 *
 * With VAD segments (the VAD step ran before) each speech segment is decoded as one utterance;
 * otherwise the whole clip is one utterance and the recogniser's endpointer finds the speech.
 */
import { KaleidoError } from '../../core/errors.js';
import type { Analyzer, AnalyzeContext, AnalyzerInfo } from '../../core/ports/analyzer.js';
import type { CommandRecognizer, RecognizedCommand } from '../../core/ports/audio.js';
import { checkCancelled, notInitialised } from './common.js';
import type { AudioAnalysisInput } from './types.js';

export const MAX_COMMAND_PHRASES = 200;
export const MAX_WORDS_PER_PHRASE = 4;
const PHRASE = /^[a-z][a-z']{0,31}( [a-z][a-z']{0,31}){0,3}$/;

/** Validated request options of the `commands` task. */
export interface CommandsOptions {
  readonly grammar: 'default' | 'words' | 'jsgf';
  /** The phrases of a `words` request. */
  readonly phrases?: readonly string[];
  readonly jsgf?: string;
}

export interface CommandsResult {
  /** The first recognised command, or null when no speech was found. */
  readonly command: string | null;
  /** One per utterance (per VAD segment, or one for the clip). */
  readonly commands: readonly RecognizedCommand[];
  readonly grammar: CommandsOptions['grammar'];
  /** The phrases of a `words` grammar. */
  readonly phrases?: readonly string[];
  readonly engine: string;
  readonly engineVersion: string;
}

const invalid = (message: string, extra: Record<string, unknown> = {}): KaleidoError =>
  new KaleidoError('ERR_VALIDATION', `commands: ${message}`, {
    details: { field: 'options.commands', ...extra },
  });

/** `<word> ( <word>)*` phrases → a JSGF grammar with one public rule. */
export function phrasesGrammar(phrases: readonly string[]): string {
  return `#JSGF V1.0;\ngrammar commands;\npublic <command> = ${phrases.join(' | ')};\n`;
}

export class CommandsAnalyzer implements Analyzer<AudioAnalysisInput, CommandsResult> {
  private initialised = false;

  constructor(private readonly recognizer: CommandRecognizer) {}

  get info(): AnalyzerInfo {
    return {
      name: 'commands',
      task: 'keyword-spotting',
      modality: 'audio',
      model: this.recognizer.name,
      version: this.recognizer.version,
      // A GMM/HMM acoustic model trained by CMU, constrained by the grammar.
      method: 'trained',
    };
  }

  async init(): Promise<void> {
    await this.recognizer.init();
    this.initialised = true;
  }

  /** Validates the request options of the task (undefined: the default grammar). */
  async parseOptions(raw: unknown): Promise<CommandsOptions> {
    if (raw === undefined) return { grammar: 'default' };
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw invalid('options must be an object {"words": [...]} or {"jsgf": "..."}');
    }
    const o = raw as Record<string, unknown>;
    const keys = Object.keys(o);
    const unknown = keys.filter((k) => k !== 'words' && k !== 'jsgf');
    if (unknown.length > 0)
      throw invalid(`unknown option ${unknown.join(', ')}`, { allowed: ['words', 'jsgf'] });
    if (o.words !== undefined && o.jsgf !== undefined) throw invalid('give either words or jsgf, not both');
    if (o.jsgf !== undefined) {
      if (typeof o.jsgf !== 'string' || o.jsgf.trim() === '') throw invalid('jsgf must be a JSGF grammar');
      await this.recognizer.checkGrammar(o.jsgf);
      return { grammar: 'jsgf', jsgf: o.jsgf };
    }
    if (o.words === undefined) return { grammar: 'default' };
    if (!Array.isArray(o.words) || o.words.length === 0 || o.words.length > MAX_COMMAND_PHRASES) {
      throw invalid(`words must be a list of 1–${MAX_COMMAND_PHRASES} phrases`);
    }
    const phrases: string[] = [];
    for (const w of o.words) {
      const p = typeof w === 'string' ? w.trim().toLowerCase().replace(/\s+/g, ' ') : '';
      if (!PHRASE.test(p)) {
        throw invalid(
          `"${String(w).slice(0, 40)}" is not a phrase of 1–${MAX_WORDS_PER_PHRASE} words (letters and ')`,
          { value: String(w).slice(0, 40) },
        );
      }
      if (!phrases.includes(p)) phrases.push(p);
    }
    const missing = await this.recognizer.unknownWords([...new Set(phrases.flatMap((p) => p.split(' ')))]);
    if (missing.length > 0) {
      throw invalid(`the pronunciation dictionary does not know ${missing.join(', ')}`, { unknown: missing });
    }
    return { grammar: 'words', phrases, jsgf: phrasesGrammar(phrases) };
  }

  async analyze(input: AudioAnalysisInput, ctx: AnalyzeContext = {}): Promise<CommandsResult> {
    if (!this.initialised) throw notInitialised('commands');
    const options = (ctx.options as CommandsOptions | undefined) ?? (await this.parseOptions(undefined));
    const { samples, sampleRate } = input.audio;
    if (sampleRate !== this.recognizer.sampleRate) {
      throw new KaleidoError(
        'ERR_VALIDATION',
        `commands: the recogniser expects ${this.recognizer.sampleRate} Hz, got ${sampleRate} Hz`,
        { details: { field: 'sampleRate', value: sampleRate } },
      );
    }
    const windows =
      input.speech === undefined || input.speech.length === 0
        ? [{ start: 0, end: samples.length / sampleRate }]
        : input.speech;
    const commands: RecognizedCommand[] = [];
    for (const w of windows) {
      checkCancelled(ctx, 'commands');
      const from = Math.max(0, Math.floor(w.start * sampleRate));
      const to = Math.min(samples.length, Math.ceil(w.end * sampleRate));
      const r = await this.recognizer.recognize(samples.subarray(from, to), {
        ...(options.jsgf === undefined ? {} : { jsgf: options.jsgf }),
        ...(ctx.signal === undefined ? {} : { signal: ctx.signal }),
      });
      if (r === null) continue;
      const shift = (t: number): number => Math.round((t + from / sampleRate) * 1000) / 1000;
      commands.push({
        ...r,
        start: shift(r.start),
        end: shift(r.end),
        words: r.words.map((x) => ({ ...x, start: shift(x.start), end: shift(x.end) })),
      });
    }
    return {
      command: commands[0]?.command ?? null,
      commands,
      grammar: options.grammar,
      ...(options.phrases === undefined ? {} : { phrases: options.phrases }),
      engine: this.recognizer.name,
      engineVersion: this.recognizer.version,
    };
  }

  async close(): Promise<void> {
    this.initialised = false;
    await this.recognizer.close();
  }
}
