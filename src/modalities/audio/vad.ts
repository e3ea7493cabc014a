/**
 * Voice activity detection with the served `silero_vad` model (Silero VAD v4) through the
 * InferenceService port, so the model is the repository's — versioned, visible over OIP, with
 * its statistics — and not a private session.
 *
 * Silero is recurrent: each 512-sample frame (32 ms at 16 kHz) is run with the LSTM state `h`,`c`
 * the previous frame returned, so frames cannot be batched. The per-frame path therefore
 * allocates nothing of its own: one frame buffer and the constant `sr` tensor are reused, and the
 * state tensors the model returns are passed straight back in.
 */
import { KaleidoError } from '../../core/errors.js';
import type { AnalyzeContext, Analyzer, AnalyzerInfo } from '../../core/ports/analyzer.js';
import type { InferenceService } from '../../core/ports/inference.js';
import type { Tensor } from '../../core/tensor.js';
import { checkCancelled, notInitialised } from './common.js';
import { resolveSegmentation, speechSegments, totalSeconds, type SegmentationOptions } from './segments.js';
import type { AudioAnalysisInput, VadResult } from './types.js';

export const VAD_MODEL = 'silero_vad';
/** Silero v4 at 16 kHz takes 512-sample windows (256 at 8 kHz; this analyzer uses 16 kHz only). */
export const VAD_SAMPLE_RATE = 16_000;
export const VAD_FRAME_SAMPLES = 512;
/** LSTM state size of Silero v4: [2, 1, 64]. */
const STATE_SHAPE = [2, 1, 64] as const;
const STATE_SIZE = 2 * 64;

export interface VadAnalyzerOptions extends SegmentationOptions {
  /** Repository model name (default "silero_vad"). */
  readonly model?: string;
  /** Model version; absent: the highest ready version. */
  readonly version?: string;
  /** Include the per-frame probabilities in the result (default false: they are large). */
  readonly returnProbabilities?: boolean;
}

export class VadAnalyzer implements Analyzer<AudioAnalysisInput, VadResult> {
  private readonly model: string;
  private resolvedVersion: string | undefined;
  private readonly segmentation: Required<SegmentationOptions>;

  constructor(
    private readonly inference: InferenceService,
    private readonly options: VadAnalyzerOptions = {},
  ) {
    this.model = options.model ?? VAD_MODEL;
    this.segmentation = resolveSegmentation(options);
  }

  get info(): AnalyzerInfo {
    return {
      name: 'vad',
      task: 'voice-activity-detection',
      modality: 'audio',
      model: this.model,
      version: this.resolvedVersion ?? this.options.version ?? '',
      method: 'neural',
    };
  }

  /** Checks that the served model has Silero v4's signature (input, sr, h, c → output, hn, cn). */
  init(): Promise<void> {
    const meta = this.inference.modelMetadata(this.model, this.options.version);
    const names = (xs: readonly { name: string }[]): string[] => xs.map((x) => x.name).sort();
    const inputs = names(meta.inputs);
    const outputs = names(meta.outputs);
    if (inputs.join(',') !== 'c,h,input,sr' || !['cn', 'hn', 'output'].every((n) => outputs.includes(n))) {
      throw new KaleidoError(
        'ERR_MODEL_LOAD_FAILED',
        `${this.model} does not fit the VAD analyzer: expected Silero v4 inputs input, sr, h, c and outputs output, hn, cn`,
        { details: { model: this.model, inputs, outputs } },
      );
    }
    this.resolvedVersion =
      this.options.version ??
      meta.versions.reduce((a, b) => (Number(b) > Number(a) ? b : a), meta.versions[0] ?? '');
    return Promise.resolve();
  }

  /** Speech probability of every 32 ms frame (the last one zero-padded). */
  async probabilities(samples: Float32Array, ctx?: AnalyzeContext): Promise<Float32Array> {
    const version = this.resolvedVersion;
    if (version === undefined) throw notInitialised('vad');
    const frames = Math.ceil(samples.length / VAD_FRAME_SAMPLES);
    const out = new Float32Array(frames);
    const frame = new Float32Array(VAD_FRAME_SAMPLES);
    const input: Tensor = { name: 'input', datatype: 'FP32', shape: [1, VAD_FRAME_SAMPLES], data: frame };
    const sr: Tensor = {
      name: 'sr',
      datatype: 'INT64',
      shape: [],
      data: BigInt64Array.of(BigInt(VAD_SAMPLE_RATE)),
    };
    let h: Float32Array = new Float32Array(STATE_SIZE);
    let c: Float32Array = new Float32Array(STATE_SIZE);
    const wanted = [{ name: 'output' }, { name: 'hn' }, { name: 'cn' }];
    for (let i = 0; i < frames; i++) {
      checkCancelled(ctx, 'vad');
      const from = i * VAD_FRAME_SAMPLES;
      const to = Math.min(samples.length, from + VAD_FRAME_SAMPLES);
      frame.set(samples.subarray(from, to));
      if (to - from < VAD_FRAME_SAMPLES) frame.fill(0, to - from);
      const r = await this.inference.infer({
        modelName: this.model,
        modelVersion: version,
        inputs: [
          input,
          sr,
          { name: 'h', datatype: 'FP32', shape: STATE_SHAPE, data: h },
          { name: 'c', datatype: 'FP32', shape: STATE_SHAPE, data: c },
        ],
        outputs: wanted,
        ...(ctx?.signal === undefined ? {} : { signal: ctx.signal }),
      });
      let p: number | undefined;
      for (const t of r.outputs) {
        if (!(t.data instanceof Float32Array)) continue;
        if (t.name === 'output') p = t.data[0];
        else if (t.name === 'hn' && t.data.length === STATE_SIZE) h = t.data;
        else if (t.name === 'cn' && t.data.length === STATE_SIZE) c = t.data;
      }
      if (p === undefined || !Number.isFinite(p)) {
        throw new KaleidoError('ERR_INTERNAL', `${this.model} returned no speech probability`, {
          details: { model: this.model, frame: i },
        });
      }
      out[i] = p;
    }
    return out;
  }

  async analyze(input: AudioAnalysisInput, ctx?: AnalyzeContext): Promise<VadResult> {
    const { audio } = input;
    if (audio.sampleRate !== VAD_SAMPLE_RATE) {
      throw new KaleidoError(
        'ERR_VALIDATION',
        `the VAD needs ${VAD_SAMPLE_RATE} Hz audio, got ${audio.sampleRate} Hz`,
        {
          details: { field: 'sampleRate', value: audio.sampleRate, expected: VAD_SAMPLE_RATE },
        },
      );
    }
    const probabilities = await this.probabilities(audio.samples, ctx);
    const frameSeconds = VAD_FRAME_SAMPLES / VAD_SAMPLE_RATE;
    const durationSeconds = audio.samples.length / audio.sampleRate;
    const segments = speechSegments(probabilities, frameSeconds, durationSeconds, this.segmentation);
    const speechSeconds = totalSeconds(segments);
    return {
      segments,
      speechSeconds: Math.round(speechSeconds * 1000) / 1000,
      speechRatio: durationSeconds > 0 ? Math.round((speechSeconds / durationSeconds) * 1e4) / 1e4 : 0,
      durationSeconds,
      frameSeconds,
      frames: probabilities.length,
      ...(this.options.returnProbabilities === true
        ? { probabilities: Array.from(probabilities, (p) => Math.round(p * 1e4) / 1e4) }
        : {}),
      model: this.model,
      modelVersion: this.resolvedVersion ?? '',
    };
  }

  close(): Promise<void> {
    this.resolvedVersion = undefined;
    return Promise.resolve();
  }
}
