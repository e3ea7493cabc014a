/**
 * The video modality as the analysis service sees it. `prepare` decodes once: one ffmpeg run
 * samples frames (1 fps by default, at most 60, spread over the whole video when it is longer)
 * and finds scene cuts at the full frame rate; the audio decoder extracts the audio track to
 * 16 kHz mono alongside. The steps then reuse the other modalities rather than copies of them:
 *
 * - `video/frames`: the image module's analyzers (objects, faces, OCR, colours) on each sampled
 *   frame that differs from the last analysed one (modalities/video/frames.ts);
 * - `video/nsfw`: the image module's NSFW classifier on the same frames, the `sexual` safety score
 *   (its own step, so a missing NSFW model is a visible unavailable safety stage);
 * - `video/speech`: the audio module's VAD and transcript on the audio track;
 * - `video/pii|profanity|injection|moderation`: the text module's analyzers on the video's text,
 *   i.e. the transcript followed by the on-screen text of each analysed frame;
 * - `video/segments`: the timeline cut by scene, each segment summarised.
 *
 * Redaction and blocking apply to everything quoted: transcript words, OCR text and the segment
 * summaries are all rebuilt in `present` from what the disclosure allows.
 */
import { KaleidoError, isKaleidoError } from '../core/errors.js';
import type { AnalyzeContext, AnalyzerStatus } from '../core/ports/analyzer.js';
import type { CancelSignal } from '../core/ports/inference.js';
import type { Finding } from '../core/safety/pii/index.js';
import type { CategoryScore } from '../core/safety/taxonomy.js';
import type {
  FacesResult,
  ImageInput,
  ImageTask,
  NsfwResult,
  ObjectsResult,
  OcrResult,
} from '../modalities/image/index.js';
import { normalizeText } from '../modalities/text/index.js';
import {
  buildSegments,
  DEFAULT_REUSE_THRESHOLD,
  planFrames,
  type FramePlan,
  type SegmentFrame,
  type SegmentWord,
  DEFAULT_SCENE_THRESHOLD,
  type VideoSample,
  type VideoSampler,
} from '../modalities/video/index.js';
import {
  presentTranscript,
  redactedText,
  type AudioInput,
  type AudioModule,
  type SpeechResult,
} from './audio.js';
import { VIDEO_DEFAULT_PIPELINE, VIDEO_PIPELINES } from './pipelines.js';
import { mayQuote } from './safety.js';
import type { TextInput } from './text.js';
import type {
  AnalyzerDescription,
  DetectedContent,
  Disclosure,
  ModalityModule,
  Presented,
  RegisteredAnalyzer,
  SafetySignals,
  StepOutput,
} from './types.js';

/** Default largest video body: 200 MiB. */
export const DEFAULT_VIDEO_MAX_BYTES = 200 * 1024 * 1024;
/** Image analyzers run on each analysed frame by default (NSFW has its own step). */
export const DEFAULT_FRAME_TASKS: readonly ImageTask[] = ['objects', 'faces', 'ocr', 'colours'];
const VIDEO_TEXT_TASKS = ['pii', 'profanity', 'injection', 'moderation'] as const;

export interface VideoSamplingOptions {
  /** Frames a second (default 1). */
  readonly fps?: number;
  /** Most frames per video (default 60); the interval widens to cover longer videos. */
  readonly maxFrames?: number;
  /** Longest side of a sampled frame (default 640 px). */
  readonly maxSide?: number;
  /** ffmpeg scene score that starts a new scene (default 0.1). */
  readonly sceneThreshold?: number;
}

export interface VideoModuleDeps {
  /** Decodes frames and cuts (FfmpegVideoSampler); without it nothing of video is available. */
  readonly sampler?: VideoSampler;
  /** The image module whose analyzers run on frames. */
  readonly image?: ModalityModule<ImageInput>;
  /** The audio module: its decoder reads the audio track, its VAD and recogniser the speech. */
  readonly audio?: AudioModule;
  readonly sampling?: VideoSamplingOptions;
  /** Image analyzers of the frames step (default objects, faces, ocr, colours). */
  readonly frameTasks?: readonly ImageTask[];
  /** A frame this close to the last analysed one reuses its results (default 0.02; 0 = never). */
  readonly reuseThreshold?: number;
  /** Objects below this score are left out of segment summaries (default 0.5). */
  readonly minObjectScore?: number;
  /** OCR lines below this confidence are left out of segment summaries (default 0.6). */
  readonly minTextConfidence?: number;
  /** Largest video body in bytes (default 200 MiB). */
  readonly maxBytes?: number;
}

/** What the steps share: the decoded frames, cuts and audio track of one request. */
export interface VideoInput {
  readonly sample: VideoSample;
  readonly plan: readonly FramePlan[];
  readonly hasAudio: boolean;
  readonly audio?: AudioInput;
  /** Why the audio track could not be decoded (the speech step fails with it). */
  readonly audioError?: unknown;
  /** The frame as the image analyzers take it (decoded once, shared by the frame steps). */
  imageInput(index: number, signal?: CancelSignal): Promise<ImageInput>;
}

export interface FrameRecord {
  readonly index: number;
  readonly time: number;
  /** The analysed frame whose results this one shares (it looked the same). */
  readonly reuses?: number;
  readonly results?: Partial<Record<ImageTask, unknown>>;
  /** Analyzers that failed on this frame, with the reason. */
  readonly errors?: Readonly<Record<string, string>>;
}

export interface FramesResult {
  readonly frames: readonly FrameRecord[];
  readonly tasks: readonly ImageTask[];
  /** Requested analyzers that were not available, with the reason. */
  readonly unavailable: Readonly<Record<string, string>>;
  readonly analysed: number;
  readonly reused: number;
  readonly intervalSeconds: number;
  readonly width: number;
  readonly height: number;
}

export interface NsfwFrames {
  readonly frames: ReadonlyArray<{
    index: number;
    time: number;
    reuses?: number;
    top: string;
    sexual: number;
  }>;
  /** Highest `sexual` score of any frame, and when. */
  readonly maxSexual: number;
  readonly maxSexualAt?: number;
}

export interface SpeechStepResult extends SpeechResult {
  readonly hasAudio: boolean;
  readonly audio?: { readonly durationSeconds: number; readonly codec: string; readonly channels: number };
}

export interface ScenesResult {
  readonly cuts: VideoSample['scenes'];
  readonly durationSeconds: number;
  readonly method: string;
  readonly probe: VideoSample['probe'];
  readonly sampling: { readonly intervalSeconds: number; readonly frames: number; readonly decodeMs: number };
}

/** One part of the video's text: where it sits in the text the safety analyzers read. */
interface DocPart {
  readonly kind: 'transcript' | 'ocr';
  readonly frame?: number;
  readonly start: number;
  readonly end: number;
}

const NONE: AnalyzerDescription = { model: 'none', version: '' };
const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));
const unavailable = (reason: string): AnalyzerStatus => ({ available: false, reason });

/** The video's text for the safety analyzers: transcript, then each analysed frame's OCR text. */
function videoDocument(
  frames: FramesResult | undefined,
  speech: SpeechStepResult | undefined,
): {
  text: string;
  parts: DocPart[];
} {
  const parts: DocPart[] = [];
  let text = '';
  const add = (kind: DocPart['kind'], raw: string, frame?: number): void => {
    if (raw.trim() === '') return;
    if (text.length > 0) text += '\n';
    const start = text.length;
    text += raw;
    parts.push({ kind, start, end: text.length, ...(frame === undefined ? {} : { frame }) });
  };
  if (speech?.transcript !== undefined) add('transcript', speech.transcript.text);
  for (const f of frames?.frames ?? []) {
    const ocr = f.results?.ocr as OcrResult | undefined;
    if (ocr !== undefined) add('ocr', normalizeText(ocr.text), f.index);
  }
  return { text, parts };
}

/** The disclosure as it applies to one part of the text, with offsets relative to the part. */
function partDisclosure(d: Disclosure, part: DocPart): Disclosure {
  return {
    withhold: d.withhold,
    wholeTextRedacted: d.wholeTextRedacted,
    redacted: d.redacted
      .filter((r) => r.start < part.end && part.start < r.end)
      .map((r) => ({
        start: Math.max(0, r.start - part.start),
        end: Math.min(part.end, r.end) - part.start,
      })),
  };
}

const shiftFindings = (findings: readonly Finding[], part: DocPart): Finding[] =>
  findings
    .filter((f) => f.start < part.end && part.start < f.end)
    .map((f) => ({
      ...f,
      start: Math.max(0, f.start - part.start),
      end: Math.min(part.end, f.end) - part.start,
    }));

export function createVideoModule(deps: VideoModuleDeps): ModalityModule<VideoInput> {
  const { sampler, image, audio } = deps;
  const safety = audio?.transcriptSafety;
  const frameTasks = deps.frameTasks ?? DEFAULT_FRAME_TASKS;
  const reuseThreshold = deps.reuseThreshold ?? DEFAULT_REUSE_THRESHOLD;
  const minObjectScore = deps.minObjectScore ?? 0.5;
  const minTextConfidence = deps.minTextConfidence ?? 0.6;
  const sampling = { sceneThreshold: DEFAULT_SCENE_THRESHOLD, ...deps.sampling };
  const framesResults = new WeakSet<object>();
  const speechResults = new WeakSet<object>();

  const imageAnalyzer = (task: ImageTask): RegisteredAnalyzer<ImageInput> | undefined =>
    image?.analyzers.find((a) => a.task === task);
  const samplerStatus = (): AnalyzerStatus => sampler?.status() ?? unavailable('no video decoder configured');
  const find = <T extends object>(
    previous: ReadonlyMap<string, unknown>,
    set: WeakSet<object>,
  ): T | undefined => {
    for (const v of previous.values()) if (typeof v === 'object' && v !== null && set.has(v)) return v as T;
    return undefined;
  };
  const checkCancelled = (ctx: AnalyzeContext, task: string): void => {
    if (ctx.signal?.aborted === true) {
      throw new KaleidoError('ERR_CANCELLED', `video analysis cancelled during ${task}`, {
        details: { analyzer: task },
      });
    }
  };
  /** The analysed frame a frame's results come from. */
  const source = (p: FramePlan): number => p.reuses ?? p.index;

  const scenes: RegisteredAnalyzer<VideoInput> = {
    id: 'video/scenes',
    modality: 'video',
    task: 'scenes',
    safety: false,
    describe: () => ({ model: 'ffmpeg scene score', version: sampler?.version ?? '', method: 'rules' }),
    status: samplerStatus,
    run: (input): Promise<ScenesResult> =>
      Promise.resolve({
        cuts: input.sample.scenes,
        durationSeconds: input.sample.durationSeconds,
        method: `ffmpeg scene score > ${sampling.sceneThreshold} on every decoded frame (160 px wide)`,
        probe: input.sample.probe,
        sampling: {
          intervalSeconds: input.sample.intervalSeconds,
          frames: input.sample.frames.length,
          decodeMs: input.sample.wallMs,
        },
      }),
  };

  const frames: RegisteredAnalyzer<VideoInput> = {
    id: 'video/frames',
    modality: 'video',
    task: 'frames',
    safety: false,
    describe: () => ({
      model: frameTasks.map((t) => imageAnalyzer(t)?.describe().model ?? `${t}: none`).join(' + '),
      version: image === undefined ? '' : '1',
      method: 'neural',
    }),
    status: () => {
      const s = samplerStatus();
      if (!s.available) return s;
      if (image === undefined) return unavailable('no image analyzers configured');
      return frameTasks.some((t) => imageAnalyzer(t)?.status().available === true)
        ? { available: true }
        : unavailable(`none of the frame analyzers (${frameTasks.join(', ')}) is available`);
    },
    run: async (input, _previous, ctx): Promise<FramesResult> => {
      const tasks = frameTasks.filter((t) => imageAnalyzer(t)?.status().available === true);
      const missing = Object.fromEntries(
        frameTasks
          .filter((t) => !tasks.includes(t))
          .map((t) => [t, imageAnalyzer(t)?.status().reason ?? 'not registered']),
      );
      const analysed = new Map<
        number,
        { results: Record<string, unknown>; errors: Record<string, string> }
      >();
      // One frame at a time: the tfjs models share one backend, and OCR overlaps with them.
      for (const p of input.plan) {
        if (p.reuses !== undefined) continue;
        checkCancelled(ctx, 'frames');
        const img = await input.imageInput(p.index, ctx.signal);
        const results: Record<string, unknown> = {};
        const errors: Record<string, string> = {};
        await Promise.all(
          tasks.map(async (t) => {
            try {
              results[t] = await (imageAnalyzer(t) as RegisteredAnalyzer<ImageInput>).run(
                img,
                new Map(),
                ctx,
              );
            } catch (e) {
              if (isKaleidoError(e) && e.code === 'ERR_CANCELLED') throw e;
              errors[t] = messageOf(e);
            }
          }),
        );
        analysed.set(p.index, { results, errors });
      }
      const r: FramesResult = {
        frames: input.plan.map((p) => {
          const a = analysed.get(p.index);
          return {
            index: p.index,
            time: p.time,
            ...(p.reuses === undefined ? {} : { reuses: p.reuses }),
            ...(a === undefined ? {} : { results: a.results }),
            ...(a !== undefined && Object.keys(a.errors).length > 0 ? { errors: a.errors } : {}),
          };
        }),
        tasks,
        unavailable: missing,
        analysed: analysed.size,
        reused: input.plan.length - analysed.size,
        intervalSeconds: input.sample.intervalSeconds,
        width: input.sample.frames[0]?.width ?? 0,
        height: input.sample.frames[0]?.height ?? 0,
      };
      framesResults.add(r);
      return r;
    },
  };

  const nsfw: RegisteredAnalyzer<VideoInput> = {
    id: 'video/nsfw',
    modality: 'video',
    task: 'nsfw',
    safety: true,
    describe: () => imageAnalyzer('nsfw')?.describe() ?? NONE,
    status: () => {
      const s = samplerStatus();
      if (!s.available) return s;
      return imageAnalyzer('nsfw')?.status() ?? unavailable('no NSFW classifier configured');
    },
    // Every analysed frame must be classified: a frame that was not is an unchecked frame, so a
    // failure fails the step (and the policy's fail mode decides).
    run: async (input, _previous, ctx): Promise<NsfwFrames> => {
      const classifier = imageAnalyzer('nsfw') as RegisteredAnalyzer<ImageInput>;
      const byFrame = new Map<number, NsfwResult>();
      for (const p of input.plan) {
        if (p.reuses !== undefined) continue;
        checkCancelled(ctx, 'nsfw');
        const img = await input.imageInput(p.index, ctx.signal);
        byFrame.set(p.index, (await classifier.run(img, new Map(), ctx)) as NsfwResult);
      }
      let maxSexual = 0;
      let maxSexualAt: number | undefined;
      const out = input.plan.map((p) => {
        const r = byFrame.get(source(p)) as NsfwResult;
        if (maxSexualAt === undefined || r.sexual > maxSexual) {
          maxSexual = r.sexual;
          maxSexualAt = p.time;
        }
        return {
          index: p.index,
          time: p.time,
          ...(p.reuses === undefined ? {} : { reuses: p.reuses }),
          top: r.top,
          sexual: r.sexual,
        };
      });
      return { frames: out, maxSexual, ...(maxSexualAt === undefined ? {} : { maxSexualAt }) };
    },
  };

  const speech: RegisteredAnalyzer<VideoInput> = {
    id: 'video/speech',
    modality: 'video',
    task: 'speech',
    safety: false,
    describe: () => audio?.analyzers.find((a) => a.task === 'transcript')?.describe() ?? NONE,
    status: () => (audio === undefined ? unavailable('no audio analyzers configured') : audio.speechStatus()),
    run: async (input, _previous, ctx): Promise<SpeechStepResult> => {
      let r: SpeechStepResult;
      if (!input.hasAudio) r = { hasAudio: false };
      else if (input.audio === undefined) {
        throw input.audioError ?? new KaleidoError('ERR_UNAVAILABLE', 'the audio track could not be decoded');
      } else {
        const s = await (audio as AudioModule).speech(input.audio, ctx);
        const probe = input.audio.audio.probe;
        r = {
          hasAudio: true,
          audio: {
            durationSeconds:
              Math.round((input.audio.audio.samples.length / input.audio.audio.sampleRate) * 1000) / 1000,
            codec: probe.codec,
            channels: probe.channels,
          },
          ...s,
        };
      }
      speechResults.add(r);
      return r;
    },
  };

  const textStep = (task: (typeof VIDEO_TEXT_TASKS)[number]): RegisteredAnalyzer<VideoInput> => {
    const textAnalyzer = (): RegisteredAnalyzer<TextInput> | undefined =>
      safety?.analyzers.find((a) => a.task === task);
    return {
      id: `video/${task}`,
      modality: 'video',
      task,
      safety: true,
      describe: () => textAnalyzer()?.describe() ?? NONE,
      status: () => textAnalyzer()?.status() ?? unavailable('no transcript safety analyzers configured'),
      run: async (_input, previous, ctx) => {
        checkCancelled(ctx, task);
        const f = find<FramesResult>(previous, framesResults);
        const s = find<SpeechStepResult>(previous, speechResults);
        if (f === undefined || s === undefined) {
          throw new KaleidoError(
            'ERR_VALIDATION',
            `video ${task} reads the frames' text and the speech: run those steps too`,
            {
              details: { analyzer: task, needs: ['frames', 'speech'] },
            },
          );
        }
        const a = textAnalyzer();
        if (a === undefined)
          throw new KaleidoError('ERR_UNAVAILABLE', `text analyzer ${task} is not configured`);
        return a.run({ text: videoDocument(f, s).text }, new Map(), ctx);
      },
    };
  };

  const segments: RegisteredAnalyzer<VideoInput> = {
    id: 'video/segments',
    modality: 'video',
    task: 'segments',
    safety: false,
    describe: () => ({ model: 'kaleido-video-segments', version: '1', method: 'rules' }),
    status: samplerStatus,
    run: (input, previous) => {
      const f = find<FramesResult>(previous, framesResults);
      const s = find<SpeechStepResult>(previous, speechResults);
      return Promise.resolve(segmentsOf(input, f, s, undefined));
    },
  };

  /** Segments, quoting text and speech only as far as `d` allows (all of it without `d`). */
  function segmentsOf(
    input: VideoInput,
    f: FramesResult | undefined,
    s: SpeechStepResult | undefined,
    d: Disclosure | undefined,
  ) {
    const doc = videoDocument(f, s);
    const withheld = d !== undefined && (d.withhold || d.wholeTextRedacted);
    const byIndex = new Map((f?.frames ?? []).map((x) => [x.index, x]));
    const segFrames: SegmentFrame[] = input.plan.map((p) => {
      const src = byIndex.get(source(p));
      const objects = ((src?.results?.objects as ObjectsResult | undefined)?.objects ?? [])
        .filter((o) => o.score >= minObjectScore)
        .map((o) => o.label);
      const faces = (src?.results?.faces as FacesResult | undefined)?.faces.length ?? 0;
      const ocr = src?.results?.ocr as OcrResult | undefined;
      const part = doc.parts.find((x) => x.kind === 'ocr' && x.frame === source(p));
      const partText = part === undefined ? '' : doc.text.slice(part.start, part.end);
      let cursor = 0;
      const text = withheld
        ? []
        : (ocr?.lines ?? [])
            .filter((l) => l.confidence >= minTextConfidence && l.text.trim() !== '')
            .map((l) => {
              if (d === undefined || part === undefined) return l.text.trim();
              const at = partText.indexOf(l.text.trim(), cursor);
              const pd = partDisclosure(d, part);
              if (at < 0) return pd.redacted.length > 0 ? undefined : l.text.trim();
              cursor = at + l.text.trim().length;
              return mayQuote(pd, at, cursor) ? l.text.trim() : undefined;
            });
      return { index: p.index, time: p.time, objects, faces, text };
    });
    const t = s?.transcript;
    const tPart = doc.parts.find((x) => x.kind === 'transcript');
    const words: SegmentWord[] =
      t === undefined || withheld
        ? []
        : t.words.map((w, i) => {
            const span = t.spans[i];
            const quotable =
              d === undefined ||
              tPart === undefined ||
              span === undefined ||
              mayQuote(partDisclosure(d, tPart), span.start, span.end);
            return { start: w.start, end: w.end, word: quotable ? w.word : undefined };
          });
    const list = buildSegments(input.sample.durationSeconds, input.sample.scenes, segFrames, words);
    return { segments: list, ...(withheld ? { withheld: true } : {}) };
  }

  const registered: RegisteredAnalyzer<VideoInput>[] = [
    scenes,
    frames,
    nsfw,
    speech,
    ...VIDEO_TEXT_TASKS.map(textStep),
    segments,
  ];

  const outputOf = <T>(outputs: readonly StepOutput[], analyzer: string): T | undefined =>
    outputs.find((o) => o.analyzer === analyzer)?.value as T | undefined;
  const asText = (outputs: readonly StepOutput[]): StepOutput[] =>
    outputs.flatMap((o) => {
      const task = o.analyzer.slice('video/'.length);
      return (VIDEO_TEXT_TASKS as readonly string[]).includes(task)
        ? [{ ...o, analyzer: `text/${task}` }]
        : [];
    });

  return {
    modality: 'video',
    analyzers: registered,
    pipelines: VIDEO_PIPELINES,
    defaultPipeline: VIDEO_DEFAULT_PIPELINE,
    maxBytes: deps.maxBytes ?? DEFAULT_VIDEO_MAX_BYTES,

    // The image and audio modules are registered on their own and initialised by the service.
    async init() {
      await sampler?.init().catch(() => undefined); // its status() says why it is unavailable
    },

    async close() {
      await sampler?.close();
    },

    async prepare(content: DetectedContent): Promise<VideoInput> {
      if (content.kind !== 'bytes') {
        throw new KaleidoError('ERR_UNSUPPORTED_MEDIA_TYPE', 'text/plain is not a video', {
          details: { detected: 'text/plain' },
        });
      }
      const s = samplerStatus();
      if (sampler === undefined || !s.available) {
        throw new KaleidoError('ERR_UNAVAILABLE', `no video decoder is available: ${s.reason ?? ''}`, {
          details: { modality: 'video' },
        });
      }
      const bytes = content.bytes;
      // The audio track is decoded while ffmpeg samples the frames; stopped if sampling fails.
      const stopAudio = { aborted: false };
      const decoding =
        audio === undefined
          ? undefined
          : audio.decode(bytes, stopAudio).then(
              (a) => ({ ok: true as const, a }),
              (e: unknown) => ({ ok: false as const, e }),
            );
      let sample: VideoSample;
      try {
        sample = await sampler.sample(bytes, sampling);
      } catch (e) {
        stopAudio.aborted = true;
        await decoding;
        throw e;
      }
      const hasAudio = sample.probe.audio !== undefined;
      if (!hasAudio) stopAudio.aborted = true;
      const decoded = await decoding;
      const plan = planFrames(sample.frames, sample.scenes, reuseThreshold);
      const images = new Map<number, Promise<ImageInput>>();
      const imageModule = image;
      return {
        sample,
        plan,
        hasAudio,
        ...(decoded?.ok === true ? { audio: decoded.a } : {}),
        ...(hasAudio && decoded?.ok === false ? { audioError: decoded.e } : {}),
        imageInput(index: number): Promise<ImageInput> {
          let p = images.get(index);
          if (p === undefined) {
            const frame = sample.frames[index];
            if (frame === undefined || imageModule === undefined) {
              return Promise.reject(new KaleidoError('ERR_UNAVAILABLE', 'no image analyzers configured'));
            }
            const png = sampler.encodeFrame(frame);
            p = Promise.resolve(
              imageModule.prepare({
                kind: 'bytes',
                bytes: png,
                mime: 'image/png',
                sniffed: { modality: 'image', mime: 'image/png' },
              }),
            );
            images.set(index, p);
          }
          return p;
        },
      };
    },

    safetySignals(_input: VideoInput, outputs: readonly StepOutput[]): SafetySignals {
      const scores: CategoryScore[] = [];
      const n = outputOf<NsfwFrames>(outputs, 'video/nsfw');
      if (n !== undefined) {
        const d = imageAnalyzer('nsfw')?.describe() ?? NONE;
        scores.push({
          category: 'sexual',
          score: n.maxSexual,
          source: { kind: 'model', name: d.model, version: d.version },
        });
      }
      const doc = videoDocument(
        outputOf<FramesResult>(outputs, 'video/frames'),
        outputOf<SpeechStepResult>(outputs, 'video/speech'),
      );
      if (safety === undefined) return { scores, piiFindings: [], text: doc.text };
      const t = safety.safetySignals({ text: doc.text }, asText(outputs));
      return { scores: [...scores, ...t.scores], piiFindings: t.piiFindings, text: doc.text };
    },

    present(input: VideoInput, outputs: readonly StepOutput[], d: Disclosure): Presented {
      const f = outputOf<FramesResult>(outputs, 'video/frames');
      const s = outputOf<SpeechStepResult>(outputs, 'video/speech');
      const doc = videoDocument(f, s);
      const textOutputs = asText(outputs);
      const findings = (textOutputs.find((o) => o.analyzer === 'text/pii')?.value ?? []) as Finding[];
      const fromText = safety === undefined ? {} : safety.present({ text: doc.text }, textOutputs, d).results;
      const results: Record<string, unknown> = {};
      const partial: Record<string, unknown> = {};
      for (const o of outputs) {
        switch (o.analyzer) {
          case 'video/frames':
            results[o.stepId] = presentFrames(o.value as FramesResult, doc, d, findings);
            break;
          case 'video/speech': {
            const r = o.value as SpeechStepResult;
            const part = doc.parts.find((x) => x.kind === 'transcript');
            results[o.stepId] = {
              hasAudio: r.hasAudio,
              ...(r.audio === undefined ? {} : { audio: r.audio }),
              ...(r.vad === undefined ? {} : { vad: r.vad }),
              ...(r.transcript === undefined
                ? {}
                : {
                    transcript: presentTranscript(
                      r.transcript,
                      part === undefined ? d : partDisclosure(d, part),
                      part === undefined ? [] : shiftFindings(findings, part),
                    ),
                  }),
            };
            break;
          }
          case 'video/segments':
            results[o.stepId] = segmentsOf(input, f, s, d);
            break;
          default:
            results[o.stepId] = o.stepId in fromText ? fromText[o.stepId] : o.value;
        }
      }
      if (input.sample.truncated) {
        partial['frames'] = {
          reason: `the container declares no duration and sampling stopped at ${input.sample.frames.length} frames`,
          coveredSeconds: input.sample.coveredSeconds,
        };
      }
      return { results, partial };
    },
  };
}

/** Frame results as the response may show them: OCR text only as far as the disclosure allows. */
function presentFrames(
  r: FramesResult,
  doc: { text: string; parts: DocPart[] },
  d: Disclosure,
  findings: readonly Finding[],
): Record<string, unknown> {
  return {
    ...r,
    frames: r.frames.map((f) => {
      const ocr = f.results?.ocr as OcrResult | undefined;
      if (ocr === undefined || f.results === undefined) return f;
      const part = doc.parts.find((x) => x.kind === 'ocr' && x.frame === f.index);
      const pd = part === undefined ? d : partDisclosure(d, part);
      const clear = !pd.withhold && !pd.wholeTextRedacted && pd.redacted.length === 0;
      if (clear) return f;
      const text =
        part === undefined
          ? undefined
          : redactedText(doc.text.slice(part.start, part.end), pd, shiftFindings(findings, part));
      return {
        ...f,
        results: {
          ...f.results,
          ocr: {
            redacted: true,
            ...(text === undefined ? {} : { text }),
            confidence: ocr.confidence,
            readAt: ocr.readAt,
            // Where text was, not what it says.
            lines: ocr.lines.map((l) => ({ box: l.box, confidence: l.confidence, words: l.words.length })),
          },
        },
      };
    }),
  };
}
