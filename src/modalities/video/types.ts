/**
 * Types of the video modality. The sampler is the port a video decoder implements (ffmpeg here:
 * src/adapters/media-ffmpeg/ffmpeg-video.ts, which satisfies it structurally); frames and cuts
 * are in seconds from the start of the video.
 */
import type { AnalyzerStatus } from '../../core/ports/analyzer.js';
import type { CancelSignal } from '../../core/ports/inference.js';

export interface VideoProbe {
  readonly container: string;
  readonly durationSeconds?: number;
  readonly bitRate?: number;
  readonly video: {
    readonly codec: string;
    /** Display size, after rotation and sample aspect ratio. */
    readonly width: number;
    readonly height: number;
    readonly rotation: number;
    readonly frameRate?: number;
    readonly streams: number;
  };
  readonly audio?: {
    readonly codec: string;
    readonly sampleRate: number;
    readonly channels: number;
    readonly streams: number;
  };
}

export interface SampledFrame {
  readonly index: number;
  readonly time: number;
  readonly width: number;
  readonly height: number;
  /** Row-major RGB24. */
  readonly rgb: Uint8Array;
}

export interface SceneChange {
  /** Time of the first frame of the new scene. */
  readonly time: number;
  readonly score: number;
}

export interface VideoSample {
  readonly probe: VideoProbe;
  readonly frames: readonly SampledFrame[];
  readonly scenes: readonly SceneChange[];
  readonly intervalSeconds: number;
  readonly coveredSeconds: number;
  readonly durationSeconds: number;
  readonly truncated: boolean;
  readonly wallMs: number;
}

/** Scene score that starts a new scene; see the ffmpeg sampler for how it was chosen. */
export const DEFAULT_SCENE_THRESHOLD = 0.1;

export interface VideoSampleOptions {
  readonly fps?: number;
  readonly maxFrames?: number;
  readonly maxSide?: number;
  readonly sceneThreshold?: number;
  readonly signal?: CancelSignal;
}

/**
 * Decodes a video held in memory into sampled frames and scene cuts. Failures are KaleidoErrors:
 * ERR_VALIDATION (empty), ERR_PAYLOAD_TOO_LARGE, ERR_MEDIA_TOO_LONG, ERR_UNSUPPORTED_MEDIA_TYPE
 * (not a video, or no video stream), ERR_MEDIA_CORRUPT, ERR_TIMEOUT, ERR_CANCELLED, ERR_UNAVAILABLE.
 */
export interface VideoSampler {
  readonly name: string;
  readonly version: string;
  init(): Promise<void>;
  status(): AnalyzerStatus;
  sample(input: Uint8Array, options?: VideoSampleOptions): Promise<VideoSample>;
  /** An encoded (lossless) image of a sampled frame, for analyzers that take image bytes. */
  encodeFrame(frame: SampledFrame): Uint8Array;
  close(): Promise<void>;
}

/** A time range in seconds, `end` exclusive. */
export interface TimeSpan {
  readonly start: number;
  readonly end: number;
}
