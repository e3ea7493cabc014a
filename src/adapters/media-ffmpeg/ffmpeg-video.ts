/**
 * Video through ffprobe/ffmpeg child processes, the input on stdin (no temporary files):
 *
 * - `probe`: container, the first real video stream (cover art does not count), display size
 *   after rotation and sample aspect ratio, frame rate, duration, and the audio stream if any.
 * - `sample`: ONE ffmpeg run decodes the video once and splits it in two branches:
 *   1. sampled frames: `select` keeps the first frame at or after each grid time
 *      t₀ + k·interval (t₀ = interval/2: a frame from the middle of each interval stands for it,
 *      and never sits on a cut at a whole second), scaled to at most `maxSide`, written as raw
 *      RGB24 on stdout; `showinfo` logs each kept frame's exact timestamp;
 *   2. scene changes: every decoded frame, shrunk to 160 px wide, goes through ffmpeg's scene
 *      score (`select='gt(scene,T)'`, T = 0.1 by default, a normalised sum of absolute differences to the previous
 *      frame, with a guard against mere brightness changes) and `metadata=print` logs each cut's
 *      time and score. So cuts are found at the full frame rate (exact to one frame), not at the
 *      sampling rate.
 *
 * Limits: input bytes before anything is spawned; the duration from the probe, and again from the
 * frames actually decoded when the container declares none; frames (at most `maxFrames`, the
 * interval widening so that they cover the whole video); stdout bytes; and a wall-clock timeout
 * that kills ffmpeg. The audio track is not touched here: the audio decoder (FfmpegDecoder) reads
 * it from the same bytes.
 */
import { KaleidoError } from '../../core/errors.js';
import type { AnalyzerStatus } from '../../core/ports/analyzer.js';
import type { CancelSignal } from '../../core/ports/inference.js';
import { runProcess, stderrExcerpt } from './child-process.js';
import { sniffContainer } from './container.js';
import {
  checkMediaBytes,
  checkPositiveOptions,
  ffmpegVersion,
  ffprobeBeside,
  runFfprobe,
  type FfprobeStream,
} from './ffprobe.js';
import { encodeRgbPng } from './png.js';

export interface FfmpegVideoOptions {
  readonly ffmpegPath?: string;
  /** Default: "ffprobe" next to a configured ffmpeg path, else on PATH. */
  readonly ffprobePath?: string;
  /** Longest video accepted, in seconds (default 600). */
  readonly maxDurationSeconds?: number;
  /** Largest encoded input, in bytes (default 200 MiB). */
  readonly maxInputBytes?: number;
  /** Wall-clock limit of one sampling run (default 120 s). */
  readonly timeoutMs?: number;
  /** Wall-clock limit of the probe (default 10 s). */
  readonly probeTimeoutMs?: number;
}

export interface VideoStreamInfo {
  readonly codec: string;
  /** Display size: after rotation and sample aspect ratio, as a player shows it. */
  readonly width: number;
  readonly height: number;
  /** Clockwise rotation the container asks for (0, 90, 180, 270). */
  readonly rotation: number;
  /** Average frame rate, when the container gives one. */
  readonly frameRate?: number;
  readonly streams: number;
}

export interface AudioStreamInfo {
  readonly codec: string;
  readonly sampleRate: number;
  readonly channels: number;
  readonly streams: number;
}

export interface VideoProbe {
  readonly container: string;
  /** Declared duration (seconds); absent when the container declares none (live WebM …). */
  readonly durationSeconds?: number;
  readonly bitRate?: number;
  readonly video: VideoStreamInfo;
  /** Absent when the file has no audio stream. */
  readonly audio?: AudioStreamInfo;
}

export interface SampledFrame {
  /** 0-based position among the sampled frames. */
  readonly index: number;
  /** Presentation time, seconds from the start of the video. */
  readonly time: number;
  readonly width: number;
  readonly height: number;
  /** Row-major RGB24, width × height × 3 bytes. */
  readonly rgb: Uint8Array;
}

export interface SceneChange {
  /** Time of the first frame of the new scene (seconds). */
  readonly time: number;
  /** ffmpeg's scene score in (threshold, 1]. */
  readonly score: number;
}

export interface SampleOptions {
  /** Frames sampled per second (default 1); lowered when `maxFrames` would not cover the video. */
  readonly fps?: number;
  /** Most frames sampled (default 60). */
  readonly maxFrames?: number;
  /** Longest side of a sampled frame, in pixels (default 640). */
  readonly maxSide?: number;
  /** ffmpeg scene score above which a frame starts a new scene (default 0.1). */
  readonly sceneThreshold?: number;
  readonly signal?: CancelSignal;
}

export interface VideoSample {
  readonly probe: VideoProbe;
  readonly frames: readonly SampledFrame[];
  readonly scenes: readonly SceneChange[];
  /** Seconds between sampled frames actually used. */
  readonly intervalSeconds: number;
  /** Seconds of video the frames and scene detection covered. */
  readonly coveredSeconds: number;
  /** Duration used for the timeline: declared, or what was decoded when none is declared. */
  readonly durationSeconds: number;
  /** True when `maxFrames` stopped sampling before the end (only when no duration is declared). */
  readonly truncated: boolean;
  readonly wallMs: number;
}

export const DEFAULT_VIDEO_MAX_DURATION_SECONDS = 600;
export const DEFAULT_VIDEO_MAX_INPUT_BYTES = 200 * 1024 * 1024;
export const DEFAULT_SAMPLE_FPS = 1;
export const DEFAULT_MAX_FRAMES = 60;
export const DEFAULT_FRAME_MAX_SIDE = 640;
/**
 * ffmpeg's own scene-change default (scdet: 10 on its 0–100 scale). The 0.3–0.4 often quoted for
 * `select` misses cuts between shots of similar brightness: on the generated tuning clips
 * (scripts/eval/video-data.ts, seed 1) recall was 23/24 at 0.1 and 10/24 at 0.3, with no false
 * cut at either; a moving test pattern stays below 0.03. Footage with flashes or fast pans may
 * need a higher value (the option is per request).
 */
export const DEFAULT_SCENE_THRESHOLD = 0.1;
/** Width of the copy the scene score is computed on: cuts are global changes, 160 px see them. */
const SCENE_WIDTH = 160;
/** Cap on the log kept from ffmpeg: a flickering video could otherwise report a cut per frame. */
const MAX_STDERR_BYTES = 4 * 1024 * 1024;

const positive = (s: string | number | undefined): number | undefined => {
  const n = s === undefined ? Number.NaN : Number(s);
  return Number.isFinite(n) && n > 0 ? n : undefined;
};

/** "30000/1001" → 29.97; undefined for "0/0" and junk. */
export function parseRational(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const [a, b = '1'] = s.split(/[/:]/);
  const n = Number(a) / Number(b);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}

/** Rotation in whole quarter turns, clockwise, normalised to 0/90/180/270. */
function rotationOf(s: FfprobeStream): number {
  const fromMatrix = s.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation;
  // The display matrix is counter-clockwise (ffprobe prints -90 for a phone held upright).
  const deg = fromMatrix !== undefined ? -fromMatrix : Number(s.tags?.rotate ?? 0);
  const r = (((Math.round((Number.isFinite(deg) ? deg : 0) / 90) * 90) % 360) + 360) % 360;
  return r;
}

/** Size of the sampled frames: the display size scaled so its longest side is ≤ maxSide. */
export function frameSize(width: number, height: number, maxSide: number): { width: number; height: number } {
  const f = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(2, Math.round(width * f)), height: Math.max(2, Math.round(height * f)) };
}

/**
 * The sampling grid: `fps` frames a second, widened so that at most `maxFrames` cover `duration`;
 * the first sample sits half an interval in (or in the middle of a video shorter than that).
 */
export function samplingPlan(
  durationSeconds: number | undefined,
  fps: number,
  maxFrames: number,
): { intervalSeconds: number; firstSeconds: number } {
  const base = 1 / fps;
  const intervalSeconds = durationSeconds === undefined ? base : Math.max(base, durationSeconds / maxFrames);
  const half = intervalSeconds / 2;
  return {
    intervalSeconds,
    firstSeconds: durationSeconds === undefined ? half : Math.min(half, durationSeconds / 2),
  };
}

/** The `[Parsed_showinfo_N]` / `[Parsed_metadata_N]` lines of ffmpeg's log → frame and cut times. */
export function parseSampleLog(
  stderr: string,
  frameFilter: string,
  sceneFilter: string,
): { frameTimes: number[]; scenes: SceneChange[] } {
  const frameTimes: number[] = [];
  const scenes: SceneChange[] = [];
  let pendingCut: number | undefined;
  for (const line of stderr.split('\n')) {
    if (line.includes(`[${frameFilter} @`)) {
      const m = /\bn:\s*\d+\s+pts:\s*-?\d+\s+pts_time:(-?[\d.e+-]+)/.exec(line);
      if (m) frameTimes.push(Number(m[1]));
    } else if (line.includes(`[${sceneFilter} @`)) {
      const t = /pts_time:(-?[\d.e+-]+)/.exec(line);
      if (t) {
        pendingCut = Number(t[1]);
        continue;
      }
      const s = /lavfi\.scene_score=([\d.e+-]+)/.exec(line);
      if (s && pendingCut !== undefined) {
        scenes.push({ time: pendingCut, score: Number(s[1]) });
        pendingCut = undefined;
      }
    }
  }
  return { frameTimes, scenes };
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export class FfmpegVideoSampler {
  readonly name = 'ffmpeg';
  private versionText = '';
  private state: AnalyzerStatus = { available: false, reason: 'not initialised' };
  private readonly ffmpeg: string;
  private readonly ffprobe: string;
  readonly maxDurationSeconds: number;
  readonly maxInputBytes: number;
  private readonly timeoutMs: number;
  private readonly probeTimeoutMs: number;

  constructor(options: FfmpegVideoOptions = {}) {
    this.ffmpeg = options.ffmpegPath ?? 'ffmpeg';
    this.ffprobe = options.ffprobePath ?? ffprobeBeside(this.ffmpeg);
    this.maxDurationSeconds = options.maxDurationSeconds ?? DEFAULT_VIDEO_MAX_DURATION_SECONDS;
    this.maxInputBytes = options.maxInputBytes ?? DEFAULT_VIDEO_MAX_INPUT_BYTES;
    this.timeoutMs = options.timeoutMs ?? 120_000;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 10_000;
    checkPositiveOptions('video', [
      ['maxDurationSeconds', this.maxDurationSeconds],
      ['maxInputBytes', this.maxInputBytes],
      ['timeoutMs', this.timeoutMs],
      ['probeTimeoutMs', this.probeTimeoutMs],
    ]);
  }

  get version(): string {
    return this.versionText;
  }

  /** Checks that ffmpeg and ffprobe run; a missing program makes video analysis unavailable. */
  async init(): Promise<void> {
    try {
      this.versionText = await ffmpegVersion(this.ffmpeg, this.ffprobe);
      this.state = { available: true };
    } catch (e) {
      this.state = { available: false, reason: (e as Error).message };
      throw e;
    }
  }

  status(): AnalyzerStatus {
    return this.state;
  }

  close(): Promise<void> {
    this.state = { available: false, reason: 'closed' };
    return Promise.resolve();
  }

  /** PNG bytes of a sampled frame (for analyzers that take encoded images). */
  encodeFrame(frame: SampledFrame): Uint8Array {
    return encodeRgbPng(frame.rgb, frame.width, frame.height);
  }

  async probe(input: Uint8Array, options: { readonly signal?: CancelSignal } = {}): Promise<VideoProbe> {
    return this.probePrepared(this.prepareInput(input), options.signal);
  }

  async sample(input: Uint8Array, options: SampleOptions = {}): Promise<VideoSample> {
    const started = performance.now();
    const fps = options.fps ?? DEFAULT_SAMPLE_FPS;
    const maxFrames = options.maxFrames ?? DEFAULT_MAX_FRAMES;
    const maxSide = options.maxSide ?? DEFAULT_FRAME_MAX_SIDE;
    const threshold = options.sceneThreshold ?? DEFAULT_SCENE_THRESHOLD;
    if (!(Number.isFinite(fps) && fps > 0 && fps <= 30)) {
      throw new KaleidoError('ERR_VALIDATION', 'fps must be in (0, 30]', {
        details: { field: 'fps', value: fps },
      });
    }
    if (!(Number.isInteger(maxFrames) && maxFrames > 0 && maxFrames <= 1000)) {
      throw new KaleidoError('ERR_VALIDATION', 'maxFrames must be an integer in [1, 1000]', {
        details: { field: 'maxFrames', value: maxFrames },
      });
    }
    if (!(Number.isInteger(maxSide) && maxSide >= 16 && maxSide <= 4096)) {
      throw new KaleidoError('ERR_VALIDATION', 'maxSide must be an integer in [16, 4096]', {
        details: { field: 'maxSide', value: maxSide },
      });
    }
    if (!(threshold > 0 && threshold < 1)) {
      throw new KaleidoError('ERR_VALIDATION', 'sceneThreshold must be in (0, 1)', {
        details: { field: 'sceneThreshold', value: threshold },
      });
    }
    const prepared = this.prepareInput(input);
    const probe = await this.probePrepared(prepared, options.signal);
    const declared = probe.durationSeconds;
    if (declared !== undefined && declared > this.maxDurationSeconds) throw this.tooLong(declared);
    const plan = samplingPlan(declared, fps, maxFrames);
    const size = frameSize(probe.video.width, probe.video.height, maxSide);
    const frameBytes = size.width * size.height * 3;
    const first = plan.firstSeconds.toFixed(4);
    const step = plan.intervalSeconds.toFixed(6);
    // Filter indices: split=0, select=1, scale=2, showinfo=3 | scale=4, select=5, metadata=6.
    const graph =
      `[0:v:0]split=2[a][b];` +
      `[a]select='gte(t,${first}+${step}*selected_n)',scale=${size.width}:${size.height}:flags=bilinear,showinfo[f];` +
      `[b]scale=${SCENE_WIDTH}:-2,select='gt(scene,${threshold})',metadata=mode=print:key=lavfi.scene_score[s]`;
    const run = await runProcess({
      command: this.ffmpeg,
      args: [
        '-nostdin',
        '-hide_banner',
        '-nostats',
        '-v',
        'info',
        // Without a declared duration the decode itself is capped just past the limit.
        ...(declared === undefined ? ['-t', String(this.maxDurationSeconds + plan.intervalSeconds)] : []),
        '-i',
        'pipe:0',
        '-filter_complex',
        graph,
        '-map',
        '[f]',
        '-fps_mode',
        'passthrough',
        '-frames:v',
        String(maxFrames),
        '-f',
        'rawvideo',
        '-pix_fmt',
        'rgb24',
        'pipe:1',
        '-map',
        '[s]',
        '-fps_mode',
        'passthrough',
        '-f',
        'null',
        '-',
      ],
      stdin: prepared,
      timeoutMs: this.timeoutMs,
      maxStdoutBytes: frameBytes * maxFrames,
      maxStderrBytes: MAX_STDERR_BYTES,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    if (run.stopped === 'cancelled' || options.signal?.aborted === true) {
      throw new KaleidoError('ERR_CANCELLED', 'video sampling was cancelled', {
        details: { decoder: 'ffmpeg' },
      });
    }
    if (run.stopped === 'timeout') {
      throw new KaleidoError(
        'ERR_TIMEOUT',
        `sampling the video took longer than ${this.timeoutMs} ms and was stopped`,
        {
          details: { decoder: 'ffmpeg', timeoutMs: this.timeoutMs },
        },
      );
    }
    if (run.stopped === 'output') {
      // -frames:v caps the output, so more bytes than maxFrames frames is an ffmpeg surprise.
      throw new KaleidoError('ERR_MEDIA_CORRUPT', 'ffmpeg produced more frame data than requested', {
        details: { decoder: 'ffmpeg', maxFrames },
      });
    }
    const { frameTimes, scenes } = parseSampleLog(run.stderr, 'Parsed_showinfo_3', 'Parsed_metadata_6');
    const count = Math.floor(run.stdoutBytes / frameBytes);
    if (run.exitCode !== 0 || count === 0) {
      throw new KaleidoError('ERR_MEDIA_CORRUPT', 'the video stream could not be decoded', {
        details: {
          decoder: 'ffmpeg',
          exitCode: run.exitCode,
          frames: count,
          stderr: stderrExcerpt(
            run.stderr
              .split('\n')
              .filter((l) => /error|invalid|corrupt/i.test(l))
              .join('\n'),
          ),
        },
      });
    }
    const all = Buffer.concat(run.stdout, count * frameBytes);
    const frames: SampledFrame[] = [];
    for (let i = 0; i < count; i++) {
      // A copy per frame: the analyzers may keep a frame after the others are dropped.
      const rgb = new Uint8Array(frameBytes);
      rgb.set(all.subarray(i * frameBytes, (i + 1) * frameBytes));
      const time = frameTimes[i] ?? plan.firstSeconds + i * plan.intervalSeconds;
      frames.push({ index: i, time: round3(time), width: size.width, height: size.height, rgb });
    }
    const lastFrame = frames.at(-1)?.time ?? 0;
    const lastCut = scenes.at(-1)?.time ?? 0;
    if (declared === undefined && Math.max(lastFrame, lastCut) > this.maxDurationSeconds) {
      throw this.tooLong(undefined);
    }
    const truncated = declared === undefined && count === maxFrames;
    // Without a declared duration, the timeline ends half an interval after the last sample.
    const durationSeconds = declared ?? round3(Math.max(lastFrame + plan.intervalSeconds / 2, lastCut));
    return {
      probe,
      frames,
      scenes: scenes.map((s) => ({ time: round3(s.time), score: round3(s.score) })),
      intervalSeconds: round3(plan.intervalSeconds),
      coveredSeconds: truncated ? round3(lastFrame + plan.intervalSeconds / 2) : durationSeconds,
      durationSeconds,
      truncated,
      wallMs: Math.round(performance.now() - started),
    };
  }

  private tooLong(declared: number | undefined): KaleidoError {
    return new KaleidoError(
      'ERR_MEDIA_TOO_LONG',
      declared === undefined
        ? `the video is longer than the ${this.maxDurationSeconds} s limit`
        : `the video is ${round3(declared)} s long, over the ${this.maxDurationSeconds} s limit`,
      {
        details: {
          maxDurationSeconds: this.maxDurationSeconds,
          ...(declared === undefined ? {} : { declaredSeconds: round3(declared) }),
        },
      },
    );
  }

  private prepareInput(input: Uint8Array): Uint8Array {
    if (this.state.available !== true) {
      throw new KaleidoError(
        'ERR_UNAVAILABLE',
        `the video decoder is unavailable: ${this.state.reason ?? ''}`,
        {
          details: { decoder: 'ffmpeg' },
        },
      );
    }
    return checkMediaBytes(input, this.maxInputBytes, 'video');
  }

  private async probePrepared(input: Uint8Array, signal: CancelSignal | undefined): Promise<VideoProbe> {
    const { run, parsed } = await runFfprobe(this.ffprobe, input, {
      timeoutMs: this.probeTimeoutMs,
      signal,
      medium: 'video',
    });
    const claimed = sniffContainer(input);
    if (run.exitCode !== 0 || parsed.format === undefined) {
      const details = { decoder: 'ffprobe', exitCode: run.exitCode, stderr: stderrExcerpt(run.stderr) };
      if (/moov atom not found/i.test(run.stderr)) {
        throw new KaleidoError('ERR_MEDIA_CORRUPT', 'the MP4 file has no index (moov box): it is truncated', {
          details,
        });
      }
      throw new KaleidoError(
        claimed === undefined ? 'ERR_UNSUPPORTED_MEDIA_TYPE' : 'ERR_MEDIA_CORRUPT',
        claimed === undefined
          ? 'the input is not a recognised video format'
          : 'the video file is damaged or truncated: its headers cannot be read',
        { details: { ...details, ...(claimed === undefined ? {} : { container: claimed }) } },
      );
    }
    const streams = parsed.streams ?? [];
    // Cover art in an audio file is a one-picture "video" stream; it is not a video.
    const videos = streams.filter((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
    const audios = streams.filter((s) => s.codec_type === 'audio');
    const v = videos[0];
    const container = parsed.format.format_name ?? 'unknown';
    if (v === undefined || !(positive(v.width) && positive(v.height))) {
      throw new KaleidoError(
        'ERR_UNSUPPORTED_MEDIA_TYPE',
        audios.length > 0
          ? `the file has no video stream, only audio: send it with an audio Content-Type (e.g. audio/mp4) to analyse the audio`
          : 'the file has no video stream',
        {
          details: {
            detected: container,
            container,
            streams: streams.map((s) => s.codec_type ?? 'unknown'),
            reason: 'no-video-stream',
          },
        },
      );
    }
    const rotation = rotationOf(v);
    const sar = parseRational(v.sample_aspect_ratio) ?? 1;
    let width = Math.round((v.width as number) * sar);
    let height = v.height as number;
    if (rotation === 90 || rotation === 270) [width, height] = [height, width];
    const frameRate = parseRational(v.avg_frame_rate) ?? parseRational(v.r_frame_rate);
    const duration = positive(parsed.format.duration) ?? positive(v.duration);
    const bitRate = positive(parsed.format.bit_rate);
    const a = audios[0];
    return {
      container,
      ...(duration === undefined ? {} : { durationSeconds: duration }),
      ...(bitRate === undefined ? {} : { bitRate }),
      video: {
        codec: v.codec_name ?? 'unknown',
        width,
        height,
        rotation,
        ...(frameRate === undefined ? {} : { frameRate: round3(frameRate) }),
        streams: videos.length,
      },
      ...(a === undefined
        ? {}
        : {
            audio: {
              codec: a.codec_name ?? 'unknown',
              sampleRate: positive(a.sample_rate) ?? 0,
              channels: a.channels ?? 0,
              streams: audios.length,
            },
          }),
    };
  }
}
