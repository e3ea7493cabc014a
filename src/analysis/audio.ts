/**
 * The audio modality as the analysis service sees it: signal metrics, voice activity and speech-
 * to-text registered as `audio/<task>`, and the moderation of what was said. Default order
 * (pipelines.ts): signal ∥ vad → transcript (the recogniser decodes only the VAD's speech) →
 * PII, profanity, prompt injection and the moderation rules on the transcript.
 *
 * Transcript safety reuses the text modality's path rather than a copy of it: a TextModule (built
 * on the same kind of engines as /v1/analyze's text) runs its `text/<task>` analyzers on the
 * transcript, turns their results into safety signals and presents them; this module only renames
 * the steps `audio/<task>` and maps redactions back onto the transcript's timed words.
 *
 * Spoken versus written form: a recogniser writes what it hears ("john at example dot com",
 * "four one five …"), and the PII recognisers look for written forms. The transcript's `text` is
 * therefore put in written form first (e-mail addresses, runs of spoken digits; see
 * `writtenTranscript`), every word keeps its span in that text, and a redaction hides every word
 * it overlaps. The words themselves stay as spoken, with their times.
 */
import { KaleidoError } from '../core/errors.js';
import type { AnalyzeContext, AnalyzerStatus, ProfanityEngine } from '../core/ports/analyzer.js';
import type { CancelSignal } from '../core/ports/inference.js';
import { InjectionDetector } from '../core/safety/injection/index.js';
import type { Finding, PiiAnalyzer } from '../core/safety/pii/index.js';
import { RuleTextScorer } from '../core/safety/rules/index.js';
import {
  AudioAnalyzers,
  type CommandsAnalyzer,
  VAD_SAMPLE_RATE,
  type AudioAnalysisInput,
  type AudioAnalyzerDeps,
  type AudioTask,
  type TranscriptResult,
  type TranscriptWord,
  type VadResult,
} from '../modalities/audio/index.js';
import { createTextAnalyzers, normalizeText } from '../modalities/text/index.js';
import { AUDIO_DEFAULT_PIPELINE, AUDIO_PIPELINES } from './pipelines.js';
import { mayQuote } from './safety.js';
import { createTextModule, type TextInput, type TextModule } from './text.js';
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

/** Default largest audio body: 100 MiB (the decoder's own input limit). */
export const DEFAULT_AUDIO_MAX_BYTES = 100 * 1024 * 1024;

/** The text analyzers run on transcripts. Spam is left out: its model was trained on written messages. */
export const TRANSCRIPT_SAFETY_TASKS = ['pii', 'profanity', 'injection', 'moderation'] as const;
export type TranscriptSafetyTask = (typeof TRANSCRIPT_SAFETY_TASKS)[number];

export type AudioInput = AudioAnalysisInput;

/** A transcript in written form, with the span of every spoken word in it. */
export interface WrittenTranscript {
  readonly text: string;
  /** Per word of the transcript: its `[start, end)` in `text` (UTF-16 units). */
  readonly spans: ReadonlyArray<{ readonly start: number; readonly end: number }>;
}

/** The transcript step's result: the recogniser's, with `text` in written form. */
export interface AudioTranscript extends TranscriptResult {
  /** Written form of the words (what the safety analyzers read and redactions rewrite). */
  readonly text: string;
  readonly spans: WrittenTranscript['spans'];
}

const DIGIT_WORDS: Readonly<Record<string, string>> = {
  zero: '0',
  one: '1',
  two: '2',
  three: '3',
  four: '4',
  five: '5',
  six: '6',
  seven: '7',
  eight: '8',
  nine: '9',
};
/** Top-level domains a spoken address must end in, so "meet at home dot five" is left alone. */
const SPOKEN_TLDS = new Set([
  'com',
  'org',
  'net',
  'edu',
  'gov',
  'info',
  'biz',
  'io',
  'co',
  'uk',
  'us',
  'ca',
  'de',
  'fr',
  'eu',
  'me',
  'app',
  'dev',
]);
const ADDRESS_PART = /^[a-z0-9][a-z0-9_-]*$/;
/** Shortest run of spoken digits written as a number: shorter runs are usually just counts. */
const MIN_DIGIT_RUN = 3;

/**
 * Written form of recognised words: "<name> (dot <name>)* at <name> (dot <name>)+" ending in a
 * known top-level domain becomes an e-mail address, and three or more spoken digits in a row
 * become one number ("four one five" → "415"). Everything else is kept word for word.
 */
export function writtenTranscript(words: readonly string[]): WrittenTranscript {
  const lower = words.map((w) => w.toLowerCase());
  const part = (i: number): boolean => {
    const w = lower[i];
    return w !== undefined && w !== 'at' && w !== 'dot' && ADDRESS_PART.test(w);
  };
  /** Index after "w (dot w)*" from i (i itself when words[i] is not a name part). */
  const dotted = (i: number): number => {
    if (!part(i)) return i;
    let j = i + 1;
    while (lower[j] === 'dot' && part(j + 1)) j += 2;
    return j;
  };
  const tokens: { text: string; from: number; to: number }[] = [];
  let i = 0;
  while (i < lower.length) {
    const localEnd = dotted(i);
    if (localEnd > i && lower[localEnd] === 'at') {
      const domainEnd = dotted(localEnd + 1);
      const labels = domainEnd - (localEnd + 1);
      if (labels >= 3 && SPOKEN_TLDS.has(lower[domainEnd - 1] as string)) {
        const join = (from: number, to: number): string =>
          lower
            .slice(from, to)
            .filter((_, k) => k % 2 === 0)
            .join('.');
        tokens.push({
          text: `${join(i, localEnd)}@${join(localEnd + 1, domainEnd)}`,
          from: i,
          to: domainEnd,
        });
        i = domainEnd;
        continue;
      }
    }
    let j = i;
    while (j < lower.length && DIGIT_WORDS[lower[j] as string] !== undefined) j++;
    if (j - i >= MIN_DIGIT_RUN) {
      tokens.push({
        text: lower
          .slice(i, j)
          .map((w) => DIGIT_WORDS[w])
          .join(''),
        from: i,
        to: j,
      });
      i = j;
      continue;
    }
    tokens.push({ text: words[i] as string, from: i, to: i + 1 });
    i++;
  }
  const spans: { start: number; end: number }[] = new Array(words.length);
  let text = '';
  for (const t of tokens) {
    if (text.length > 0) text += ' ';
    const start = text.length;
    text += t.text;
    for (let k = t.from; k < t.to; k++) spans[k] = { start, end: text.length };
  }
  return { text, spans };
}

/** Merged `[start, end)` ranges. */
function mergeRanges(
  ranges: ReadonlyArray<{ start: number; end: number }>,
): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (const r of [...ranges].sort((a, b) => a.start - b.start)) {
    const last = out.at(-1);
    if (last !== undefined && r.start <= last.end) last.end = Math.max(last.end, r.end);
    else out.push({ start: r.start, end: r.end });
  }
  return out;
}

/**
 * `text` with the disclosure's redacted ranges replaced by `<ENTITY>` (the PII entity found
 * there) or `<REDACTED>`; undefined when nothing of it may be quoted.
 */
export function redactedText(
  text: string,
  d: Disclosure,
  findings: readonly Finding[] = [],
): string | undefined {
  if (d.withhold || d.wholeTextRedacted) return undefined;
  let out = '';
  let at = 0;
  for (const r of mergeRanges(d.redacted)) {
    if (r.start >= text.length) break;
    const entity = findings.find((f) => f.start < r.end && r.start < f.end)?.entity;
    out += text.slice(at, r.start) + `<${entity ?? 'REDACTED'}>`;
    at = Math.max(at, Math.min(text.length, r.end));
  }
  return out + text.slice(at);
}

/** A transcript as the response may show it under `d`. */
export function presentTranscript(
  t: AudioTranscript,
  d: Disclosure,
  findings: readonly Finding[],
): Record<string, unknown> {
  const meta = {
    language: t.language,
    recognisedSeconds: t.recognisedSeconds,
    speechOnly: t.speechOnly,
    engine: t.engine,
    engineVersion: t.engineVersion,
  };
  if (d.withhold || d.wholeTextRedacted) {
    // Blocked (or redacted whole): when words were said, never what they were.
    return {
      ...meta,
      redacted: true,
      words: t.words.map((w) => ({ start: w.start, end: w.end, redacted: true })),
    };
  }
  const text = redactedText(t.text, d, findings) as string;
  const words = t.words.map((w: TranscriptWord, i) => {
    const span = t.spans[i];
    return span === undefined || mayQuote(d, span.start, span.end)
      ? w
      : { start: w.start, end: w.end, redacted: true };
  });
  return { ...meta, text, words, ...(text === t.text ? {} : { redacted: true }) };
}

export interface TranscriptSafetyDeps {
  readonly pii?: PiiAnalyzer;
  readonly profanity?: ProfanityEngine;
  /** Default: the built-in prompt-injection patterns. */
  readonly injection?: InjectionDetector;
  /** Default: the built-in moderation rules. */
  readonly rules?: RuleTextScorer;
}

/**
 * The text module that moderates transcripts (and a video's text): the text modality's own
 * analyzers and safety mapping, configured with only the engines moderation needs.
 */
export function createTranscriptSafety(deps: TranscriptSafetyDeps): TextModule {
  return createTextModule({
    analyzers: createTextAnalyzers(deps.profanity === undefined ? {} : { profanity: deps.profanity }),
    ...(deps.pii === undefined ? {} : { pii: deps.pii }),
    injection: deps.injection ?? new InjectionDetector(),
    rules: deps.rules ?? new RuleTextScorer(),
  });
}

export interface AudioModuleDeps {
  /** The engines: decoder (ffmpeg), inference service (silero_vad), recogniser (pocketsphinx). */
  readonly audio: AudioAnalyzerDeps;
  /**
   * The text module whose pii/profanity/injection/moderation analyzers moderate transcripts;
   * without it those steps are unavailable (and a fail-closed policy blocks).
   */
  readonly transcriptSafety?: TextModule;
  /** Largest encoded audio body (default 100 MiB). */
  readonly maxBytes?: number;
  /** Bring-your-own analyzers (e.g. Hugging Face audio classifiers, `audio/hf:<name>`). */
  readonly plugged?: readonly PluggedAnalyzer<AudioInput>[];
}

export interface SpeechResult {
  readonly vad?: VadResult;
  readonly transcript?: AudioTranscript;
}

export interface AudioModule extends ModalityModule<AudioInput> {
  readonly audio: AudioAnalyzers;
  readonly transcriptSafety?: TextModule;
  /** Decodes encoded audio, or the audio track of a video container, to 16 kHz mono. */
  decode(bytes: Uint8Array, signal?: CancelSignal): Promise<AudioInput>;
  /**
   * VAD, then speech-to-text on the VAD's speech (the whole audio when the VAD is unavailable):
   * the speech part of a video. Throws ERR_UNAVAILABLE when the recogniser is unavailable.
   */
  speech(input: AudioInput, ctx: AnalyzeContext): Promise<SpeechResult>;
  /** The transcript step's own work, given the VAD's speech segments or not. */
  transcribe(input: AudioInput, ctx: AnalyzeContext): Promise<AudioTranscript>;
  speechStatus(): AnalyzerStatus;
}

const NONE: AnalyzerDescription = { model: 'none', version: '' };
const cancelled = (task: string): KaleidoError =>
  new KaleidoError('ERR_CANCELLED', `analysis cancelled before ${task} ran`, { details: { analyzer: task } });

export function createAudioModule(deps: AudioModuleDeps): AudioModule {
  const audio = new AudioAnalyzers(deps.audio);
  const decoder = deps.audio.decoder;
  const safety = deps.transcriptSafety;
  const maxBytes = deps.maxBytes ?? DEFAULT_AUDIO_MAX_BYTES;
  // Results this module produced, recognised among a step's `previous` whatever the step ids.
  const vadResults = new WeakSet<object>();
  const transcripts = new WeakSet<object>();

  const describe = (task: AudioTask) => (): AnalyzerDescription => {
    const a = audio.get(task);
    return a === undefined ? NONE : { model: a.info.model, version: a.info.version, method: a.info.method };
  };
  const need = <T extends AudioTask>(task: T) => {
    const a = audio.get(task);
    if (a === undefined) {
      throw new KaleidoError(
        'ERR_UNAVAILABLE',
        `audio analyzer ${task} is not available: ${audio.status()[task].reason ?? ''}`,
        { details: { analyzer: task } },
      );
    }
    return a;
  };

  const transcribe = async (input: AudioInput, ctx: AnalyzeContext): Promise<AudioTranscript> => {
    const r = await need('transcript').analyze(input, ctx);
    const written = writtenTranscript(r.words.map((w) => w.word));
    // The same normalisation as text bodies, so spans mean the same thing to every text analyzer.
    const text = normalizeText(written.text);
    const t: AudioTranscript = {
      ...r,
      text,
      spans: text === written.text ? written.spans : r.words.map(() => ({ start: 0, end: text.length })),
    };
    transcripts.add(t);
    return t;
  };

  const base = (task: AudioTask): Omit<RegisteredAnalyzer<AudioInput>, 'run'> => ({
    id: `audio/${task}`,
    modality: 'audio',
    task,
    safety: false,
    describe: describe(task),
    status: () => audio.status()[task],
  });

  const find = <T extends object>(
    previous: ReadonlyMap<string, unknown>,
    set: WeakSet<object>,
  ): T | undefined => {
    for (const v of previous.values()) if (typeof v === 'object' && v !== null && set.has(v)) return v as T;
    return undefined;
  };

  const safetyStep = (task: TranscriptSafetyTask): RegisteredAnalyzer<AudioInput> => {
    const textAnalyzer = (): RegisteredAnalyzer<TextInput> | undefined =>
      safety?.analyzers.find((a) => a.task === task);
    return {
      id: `audio/${task}`,
      modality: 'audio',
      task,
      safety: true,
      describe: () => textAnalyzer()?.describe() ?? NONE,
      status: () =>
        textAnalyzer()?.status() ?? { available: false, reason: 'no transcript safety analyzers configured' },
      run: async (_input, previous, ctx) => {
        if (ctx.signal?.aborted === true) throw cancelled(task);
        const t = find<AudioTranscript>(previous, transcripts);
        if (t === undefined) {
          throw new KaleidoError(
            'ERR_VALIDATION',
            `audio ${task} reads the transcript: run the transcript step too`,
            {
              details: { analyzer: task, needs: 'transcript' },
            },
          );
        }
        const a = textAnalyzer();
        if (a === undefined)
          throw new KaleidoError('ERR_UNAVAILABLE', `text analyzer ${task} is not configured`);
        return a.run({ text: t.text }, new Map(), ctx);
      },
    };
  };

  const registered: RegisteredAnalyzer<AudioInput>[] = [
    {
      ...base('signal'),
      run: async (input, _previous, ctx) => need('signal').analyze(input, ctx),
    },
    {
      ...base('vad'),
      run: async (input, _previous, ctx) => {
        const r = await need('vad').analyze(input, ctx);
        vadResults.add(r);
        return r;
      },
    },
    {
      ...base('transcript'),
      run: async (input, previous, ctx) => {
        const vad = find<VadResult>(previous, vadResults);
        return transcribe(vad === undefined ? input : { audio: input.audio, speech: vad.segments }, ctx);
      },
    },
    {
      ...base('commands'),
      parseOptions: (raw: unknown) => {
        const a = audio.get('commands') as CommandsAnalyzer | undefined;
        // Unavailable: the step fails with that reason; the options cannot be checked.
        return a === undefined ? undefined : a.parseOptions(raw);
      },
      run: async (input, previous, ctx) => {
        const vad = find<VadResult>(previous, vadResults);
        return need('commands').analyze(
          vad === undefined ? input : { audio: input.audio, speech: vad.segments },
          ctx,
        );
      },
    },
    ...TRANSCRIPT_SAFETY_TASKS.map(safetyStep),
    ...(deps.plugged ?? []),
  ];

  /** Outputs of the safety steps as the text module knows them (`text/<task>`). */
  const asText = (outputs: readonly StepOutput[]): StepOutput[] =>
    outputs.flatMap((o) =>
      (TRANSCRIPT_SAFETY_TASKS as readonly string[]).includes(o.analyzer.slice('audio/'.length))
        ? [{ ...o, analyzer: `text/${o.analyzer.slice('audio/'.length)}` }]
        : [],
    );
  const transcriptOf = (outputs: readonly StepOutput[]): AudioTranscript | undefined =>
    outputs.find((o) => o.analyzer === 'audio/transcript')?.value as AudioTranscript | undefined;

  const decode = async (bytes: Uint8Array, signal?: CancelSignal): Promise<AudioInput> => {
    if (decoder === undefined || decoder.status().available !== true) {
      throw new KaleidoError('ERR_UNAVAILABLE', 'no audio decoder is available', {
        details: { modality: 'audio', reason: decoder?.status().reason ?? 'no audio decoder configured' },
      });
    }
    const decoded = await decoder.decode(bytes, {
      sampleRate: VAD_SAMPLE_RATE,
      ...(signal === undefined ? {} : { signal }),
    });
    return { audio: decoded };
  };

  return {
    modality: 'audio',
    audio,
    ...(safety === undefined ? {} : { transcriptSafety: safety }),
    analyzers: registered,
    pipelines: AUDIO_PIPELINES,
    defaultPipeline: AUDIO_DEFAULT_PIPELINE,
    maxBytes,

    async init() {
      await audio.init();
      await safety?.init();
      for (const a of deps.plugged ?? []) await a.init();
    },

    async close() {
      await audio.close();
      await safety?.close();
      for (const a of deps.plugged ?? []) await a.close();
    },

    prepare(content: DetectedContent): Promise<AudioInput> {
      if (content.kind !== 'bytes') {
        return Promise.reject(
          new KaleidoError('ERR_UNSUPPORTED_MEDIA_TYPE', 'text/plain is not audio', {
            details: { detected: 'text/plain' },
          }),
        );
      }
      return decode(content.bytes);
    },

    decode,
    transcribe,

    speechStatus(): AnalyzerStatus {
      return audio.status().transcript;
    },

    async speech(input: AudioInput, ctx: AnalyzeContext): Promise<SpeechResult> {
      const vadAnalyzer = audio.get('vad');
      const vad = vadAnalyzer === undefined ? undefined : await vadAnalyzer.analyze(input, ctx);
      const transcript = await transcribe(
        vad === undefined ? input : { audio: input.audio, speech: vad.segments },
        ctx,
      );
      return { ...(vad === undefined ? {} : { vad }), transcript };
    },

    safetySignals(_input: AudioInput, outputs: readonly StepOutput[]): SafetySignals {
      const t = transcriptOf(outputs);
      if (safety === undefined || t === undefined) return { scores: [], piiFindings: [] };
      return safety.safetySignals({ text: t.text }, asText(outputs));
    },

    present(_input: AudioInput, outputs: readonly StepOutput[], d: Disclosure): Presented {
      const results: Record<string, unknown> = {};
      const t = transcriptOf(outputs);
      const textOutputs = asText(outputs);
      const findings = (textOutputs.find((o) => o.analyzer === 'text/pii')?.value ?? []) as Finding[];
      const fromText =
        safety !== undefined && t !== undefined
          ? safety.present({ text: t.text }, textOutputs, d).results
          : {};
      for (const o of outputs) {
        if (o.analyzer === 'audio/transcript')
          results[o.stepId] = presentTranscript(o.value as AudioTranscript, d, findings);
        else if (o.stepId in fromText) results[o.stepId] = fromText[o.stepId];
        else results[o.stepId] = o.value;
      }
      return { results, partial: {} };
    },
  };
}
