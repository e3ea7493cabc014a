/**
 * AudioDecoder on ffmpeg/ffprobe child processes: the input goes in on stdin, 32-bit float PCM at
 * 16 kHz mono comes back on stdout, so no temporary file ever holds user data.
 *
 * Limits are enforced while decoding, not after: the input size before anything is spawned; the
 * duration from the probe (a 6-hour FLAC is refused from its header in tens of milliseconds), and
 * again from the decoder's output, which is cut off at the limit whatever the container claimed;
 * and a wall-clock timeout that kills the process. Probe and decode run concurrently (the probe
 * only reads the headers), and a failed or over-long probe kills the decode.
 *
 * Fast paths (ADR 0013): each process start costs ~70 ms of CPU, so a WAV or FLAC header is read
 * here instead of by ffprobe (which then runs only if ffmpeg fails, for its error), and a PCM WAV
 * or a valid FLAC of at most 60 s, mono or stereo, is decoded and resampled in process, matching
 * ffmpeg's output to within 3e-6 (FLAC samples bit-exact). Anything else goes to ffmpeg.
 */
import { setImmediate } from 'node:timers/promises';
import { KaleidoError } from '../../core/errors.js';
import type { AnalyzerStatus } from '../../core/ports/analyzer.js';
import type { AudioDecoder, AudioProbe, DecodedAudio, DecodeOptions } from '../../core/ports/audio.js';
import type { CancelSignal } from '../../core/ports/inference.js';
import { runProcess, stderrExcerpt, type RunResult } from './child-process.js';
import { declaredSeconds, oggIsTruncated, sniffContainer } from './container.js';
import {
  checkMediaBytes,
  checkPositiveOptions,
  ffmpegVersion,
  ffprobeBeside,
  runFfprobe,
} from './ffprobe.js';
import { decodeFlac, FlacError, type FlacPcm } from './flac-decode.js';
import { headerProbe, parseWavPcm, type WavPcm } from './header-probe.js';
import { canResample, createResampler } from './resample.js';
import { IN_PROCESS_MAX_CHANNELS, wavFrames, wavToMono } from './wav-pcm.js';

export interface FfmpegDecoderOptions {
  /** ffmpeg executable (default "ffmpeg", looked up on PATH). */
  readonly ffmpegPath?: string;
  /** ffprobe executable (default: "ffprobe" next to a configured ffmpeg path, else on PATH). */
  readonly ffprobePath?: string;
  /** Longest audio accepted, in seconds (default 600). */
  readonly maxDurationSeconds?: number;
  /** Largest encoded input accepted, in bytes (default 100 MiB). */
  readonly maxInputBytes?: number;
  /** Wall-clock limit of one decode, probe included (default 20 s). */
  readonly timeoutMs?: number;
  /** Wall-clock limit of the probe alone (default 5 s). */
  readonly probeTimeoutMs?: number;
  /**
   * Header fast paths (default true): a WAV or FLAC input is probed from its header instead of by
   * an ffprobe process, and a PCM/float WAV or a FLAC of at most 60 s (mono or stereo) is decoded
   * and resampled in process with no child process at all. False runs ffprobe and ffmpeg on every
   * input.
   */
  readonly fastPaths?: boolean;
}

export const DEFAULT_SAMPLE_RATE = 16_000;
export const DEFAULT_MAX_DURATION_SECONDS = 600;
export const DEFAULT_MAX_INPUT_BYTES = 100 * 1024 * 1024;

/**
 * A decode shorter than the container's declared duration by more than this (seconds, plus 2%)
 * means the data ends early: the file is truncated. Codec priming and padding account for a few
 * tens of milliseconds at most.
 */
const TRUNCATION_TOLERANCE_SECONDS = 0.25;

/**
 * Longest WAV decoded in process. Resampling runs on the event loop (2–4 ms per second of 48 kHz
 * stereo here, in slices of one output second with a yield between them); past this the work
 * goes to ffmpeg, which does it off the loop in SIMD code.
 */
const IN_PROCESS_MAX_SECONDS = 60;

const positive = (s: string | undefined): number | undefined => {
  const n = s === undefined ? Number.NaN : Number(s);
  return Number.isFinite(n) && n > 0 ? n : undefined;
};

/** ffprobe's stderr → the error a client should get when the probe fails. */
function probeError(input: Uint8Array, stderr: string, exitCode: number | null): KaleidoError {
  const excerpt = stderrExcerpt(stderr);
  const claimed = sniffContainer(input);
  const details = {
    decoder: 'ffprobe',
    exitCode,
    stderr: excerpt,
    ...(claimed ? { container: claimed } : {}),
  };
  if (/moov atom not found/i.test(stderr)) {
    return new KaleidoError(
      'ERR_MEDIA_CORRUPT',
      'the MP4/M4A file has no index (moov box): it is truncated or was not completely written',
      { details },
    );
  }
  // Bytes that announce a known container but end before ffprobe could read the stream headers.
  if (claimed !== undefined && /End of file|could not find codec parameters/i.test(stderr)) {
    return new KaleidoError(
      'ERR_MEDIA_CORRUPT',
      'the audio file ends before its headers are complete (truncated)',
      {
        details,
      },
    );
  }
  return new KaleidoError('ERR_UNSUPPORTED_MEDIA_TYPE', 'the input is not a recognised audio format', {
    details,
  });
}

/** Error lines that ffmpeg prints (at -v error) when data is damaged. */
const DECODE_ERROR =
  /Invalid data found|Error while decoding|decode_frame\(\) failed|invalid residual|corrupt|Header missing|partial file|error reading|Truncat/i;

export class FfmpegDecoder implements AudioDecoder {
  readonly name = 'ffmpeg';
  private versionText = '';
  private state: AnalyzerStatus = { available: false, reason: 'not initialised' };
  private readonly ffmpeg: string;
  private readonly ffprobe: string;
  private readonly maxDuration: number;
  private readonly maxBytes: number;
  private readonly timeoutMs: number;
  private readonly probeTimeoutMs: number;
  private readonly fastPaths: boolean;

  constructor(options: FfmpegDecoderOptions = {}) {
    this.ffmpeg = options.ffmpegPath ?? 'ffmpeg';
    this.ffprobe = options.ffprobePath ?? ffprobeBeside(this.ffmpeg);
    this.maxDuration = options.maxDurationSeconds ?? DEFAULT_MAX_DURATION_SECONDS;
    this.maxBytes = options.maxInputBytes ?? DEFAULT_MAX_INPUT_BYTES;
    this.timeoutMs = options.timeoutMs ?? 20_000;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 5_000;
    this.fastPaths = options.fastPaths ?? true;
    checkPositiveOptions('audio', [
      ['maxDurationSeconds', this.maxDuration],
      ['maxInputBytes', this.maxBytes],
      ['timeoutMs', this.timeoutMs],
      ['probeTimeoutMs', this.probeTimeoutMs],
    ]);
  }

  get version(): string {
    return this.versionText;
  }

  /** Runs `ffmpeg -version` and `ffprobe -version`; a missing program makes the decoder unavailable. */
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

  async probe(input: Uint8Array, options: { readonly signal?: CancelSignal } = {}): Promise<AudioProbe> {
    return this.probePrepared(this.prepare(input), options.signal);
  }

  async decode(input: Uint8Array, options: DecodeOptions = {}): Promise<DecodedAudio> {
    const prepared = this.prepare(input);
    if (oggIsTruncated(prepared)) {
      throw new KaleidoError(
        'ERR_MEDIA_CORRUPT',
        'the Ogg file is truncated: it ends without its final (end-of-stream) page',
        {
          details: { decoder: 'ffmpeg', container: 'ogg' },
        },
      );
    }
    const sampleRate = options.sampleRate ?? DEFAULT_SAMPLE_RATE;
    const maxDuration = options.maxDurationSeconds ?? this.maxDuration;
    if (!(Number.isInteger(sampleRate) && sampleRate >= 8000 && sampleRate <= 192_000)) {
      throw new KaleidoError('ERR_VALIDATION', 'sampleRate must be an integer between 8000 and 192000', {
        details: { field: 'sampleRate', value: sampleRate },
      });
    }
    if (!(maxDuration > 0)) {
      throw new KaleidoError('ERR_VALIDATION', 'maxDurationSeconds must be positive', {
        details: { field: 'maxDurationSeconds', value: maxDuration },
      });
    }
    const header = this.fastPaths ? headerProbe(prepared) : undefined;
    if (header?.declaredDurationSeconds !== undefined && header.declaredDurationSeconds > maxDuration) {
      throw this.tooLong(maxDuration, header.declaredDurationSeconds);
    }
    if (header !== undefined) {
      const wav = header.container === 'wav' ? parseWavPcm(prepared) : undefined;
      if (
        wav !== undefined &&
        wav.channels <= IN_PROCESS_MAX_CHANNELS &&
        wavFrames(wav) / wav.sampleRate <= IN_PROCESS_MAX_SECONDS &&
        canResample(wav.sampleRate, sampleRate)
      ) {
        return this.decodeWav(prepared, wav, header, sampleRate, maxDuration, options.signal);
      }
      if (header.container === 'flac' && canResample(header.sampleRate, sampleRate)) {
        const flac = await this.decodeFlacInProcess(
          prepared,
          header,
          sampleRate,
          maxDuration,
          options.signal,
        );
        if (flac !== undefined) return flac;
      }
      return this.decodeWithHeader(prepared, header, sampleRate, maxDuration, options.signal);
    }
    // The decode is stopped early when the probe fails or declares too long a duration.
    const stopDecode = { aborted: false };
    const combined: CancelSignal = {
      get aborted() {
        return stopDecode.aborted || options.signal?.aborted === true;
      },
    };
    const probing = this.probePrepared(prepared, options.signal).then(
      (p) => {
        if (p.declaredDurationSeconds !== undefined && p.declaredDurationSeconds > maxDuration) {
          stopDecode.aborted = true;
          throw this.tooLong(maxDuration, p.declaredDurationSeconds);
        }
        return p;
      },
      (e: unknown) => {
        stopDecode.aborted = true;
        throw e;
      },
    );
    const decoding = this.runDecode(prepared, sampleRate, maxDuration, combined);
    // A failure to start ffmpeg is reported once awaited, not as an unhandled rejection meanwhile.
    decoding.catch(() => undefined);
    // Probe errors are the more informative ones (format, truncation, declared duration): they win.
    let probe: AudioProbe;
    try {
      probe = await probing;
    } catch (e) {
      await decoding.catch(() => undefined);
      throw e;
    }
    const run = await decoding;
    return this.finish(probe, run, sampleRate, maxDuration, options.signal);
  }

  /**
   * WAV or FLAC whose header told what ffprobe would: ffmpeg alone. ffprobe runs only when ffmpeg
   * fails, so that a failure gets the same, more informative error as on the two-process path.
   */
  private async decodeWithHeader(
    prepared: Uint8Array,
    header: AudioProbe,
    sampleRate: number,
    maxDuration: number,
    signal: CancelSignal | undefined,
  ): Promise<DecodedAudio> {
    const run = await this.runDecode(prepared, sampleRate, maxDuration, signal);
    const failed =
      run.stopped === undefined &&
      (run.exitCode !== 0 || run.stdoutBytes < 4 || run.stderr.split('\n').some((l) => DECODE_ERROR.test(l)));
    if (failed) await this.probePrepared(prepared, signal); // throws the probe's error if it has one
    return this.finish(header, run, sampleRate, maxDuration, signal);
  }

  /** PCM/float WAV, mono or stereo: read, downmixed and resampled here, with the same checks. */
  private async decodeWav(
    prepared: Uint8Array,
    wav: WavPcm,
    header: AudioProbe,
    sampleRate: number,
    maxDuration: number,
    signal: CancelSignal | undefined,
  ): Promise<DecodedAudio> {
    if (isAborted(signal)) throw cancelledError();
    const frames = wavFrames(wav);
    if (frames / wav.sampleRate > maxDuration) throw this.tooLong(maxDuration, undefined);
    const declared = header.declaredDurationSeconds;
    const decodedSeconds = frames / wav.sampleRate;
    if (declared !== undefined && decodedSeconds < declared * 0.98 - TRUNCATION_TOLERANCE_SECONDS) {
      throw this.truncated(declared, decodedSeconds, 'wav');
    }
    if (frames === 0) {
      throw new KaleidoError('ERR_VALIDATION', 'the audio stream contains no samples', {
        details: { field: 'audio', codec: header.codec, container: header.container },
      });
    }
    const mono = wavToMono(prepared, wav, frames);
    return {
      samples: await this.toRate(mono, wav.sampleRate, sampleRate, signal),
      sampleRate,
      probe: header,
    };
  }

  /**
   * A valid FLAC of at most IN_PROCESS_MAX_SECONDS, mono or stereo, up to 24 bits: decoded here
   * (flac-decode.ts, every CRC checked). Undefined when that decoder declines or finds anything
   * wrong: ffmpeg then decodes it and reports what is wrong as before (truncation included: the
   * in-process decoder refuses a sample count that differs from STREAMINFO's).
   */
  private async decodeFlacInProcess(
    prepared: Uint8Array,
    header: AudioProbe,
    sampleRate: number,
    maxDuration: number,
    signal: CancelSignal | undefined,
  ): Promise<DecodedAudio | undefined> {
    let pcm: FlacPcm;
    try {
      pcm = await decodeFlac(prepared, { maxSeconds: IN_PROCESS_MAX_SECONDS, pause: () => setImmediate() });
    } catch (e) {
      if (e instanceof FlacError) return undefined;
      throw e;
    }
    if (pcm.mono.length === 0) return undefined;
    // A stream whose STREAMINFO declares no length is only measured now.
    if (pcm.mono.length / pcm.sampleRate > maxDuration) throw this.tooLong(maxDuration, undefined);
    if (isAborted(signal)) throw cancelledError();
    return {
      samples: await this.toRate(pcm.mono, pcm.sampleRate, sampleRate, signal),
      sampleRate,
      probe: header,
    };
  }

  /** Resamples in slices of one output second, yielding the event loop between them. */
  private async toRate(
    mono: Float32Array,
    from: number,
    to: number,
    signal: CancelSignal | undefined,
  ): Promise<Float32Array> {
    if (from === to) return mono;
    const resampler = createResampler(from, to);
    const samples = new Float32Array(resampler.outputLength(mono.length));
    for (let at = 0; at < samples.length; at += to) {
      resampler.run(mono, samples, at, Math.min(samples.length, at + to));
      await setImmediate();
      if (isAborted(signal)) throw cancelledError();
    }
    return samples;
  }

  /** ffmpeg: the input on stdin → f32le mono at `sampleRate` on stdout, cut just past the limit. */
  private runDecode(
    prepared: Uint8Array,
    sampleRate: number,
    maxDuration: number,
    signal: CancelSignal | undefined,
  ): Promise<RunResult> {
    const maxSamples = Math.ceil(maxDuration * sampleRate);
    return runProcess({
      command: this.ffmpeg,
      args: [
        '-nostdin',
        '-hide_banner',
        '-v',
        'error',
        '-i',
        'pipe:0',
        '-map',
        '0:a:0',
        '-vn',
        '-sn',
        '-dn',
        // Downmix by averaging: ffmpeg's default matrix keeps power (each channel × 0.707), which
        // lifts identical channels by 3 dB and can push a full-scale stereo file past 1.0;
        // normalising the matrix to a sum of 1 keeps levels and clipping measurable.
        '-ac',
        '1',
        '-rematrix_maxval',
        '1.0',
        '-ar',
        String(sampleRate),
        // A second cap inside ffmpeg: it stops producing just past the limit by itself.
        '-t',
        String(maxDuration + 1),
        '-f',
        'f32le',
        'pipe:1',
      ],
      stdin: prepared,
      timeoutMs: this.timeoutMs,
      maxStdoutBytes: maxSamples * 4,
      ...(signal === undefined ? {} : { signal }),
    });
  }

  private finish(
    probe: AudioProbe,
    run: RunResult,
    sampleRate: number,
    maxDuration: number,
    signal: CancelSignal | undefined,
  ): DecodedAudio {
    if (run.stopped === 'cancelled' || signal?.aborted === true) {
      throw new KaleidoError('ERR_CANCELLED', 'audio decoding was cancelled', {
        details: { decoder: 'ffmpeg' },
      });
    }
    if (run.stopped === 'output') throw this.tooLong(maxDuration, undefined);
    if (run.stopped === 'timeout') {
      throw new KaleidoError(
        'ERR_TIMEOUT',
        `audio decoding took longer than ${this.timeoutMs} ms and was stopped`,
        {
          details: { decoder: 'ffmpeg', timeoutMs: this.timeoutMs },
        },
      );
    }
    const decodedSeconds = run.stdoutBytes / 4 / sampleRate;
    if (decodedSeconds > maxDuration) throw this.tooLong(maxDuration, undefined);
    const errors = run.stderr.split('\n').filter((l) => DECODE_ERROR.test(l));
    if (run.exitCode !== 0 || errors.length > 0) {
      throw new KaleidoError(
        'ERR_MEDIA_CORRUPT',
        'the audio data is damaged or truncated and could not be decoded cleanly',
        {
          details: {
            decoder: 'ffmpeg',
            exitCode: run.exitCode,
            decodedSeconds: round3(decodedSeconds),
            stderr: stderrExcerpt(errors.length > 0 ? errors.join('\n') : run.stderr),
          },
        },
      );
    }
    const declared = probe.declaredDurationSeconds;
    if (declared !== undefined && decodedSeconds < declared * 0.98 - TRUNCATION_TOLERANCE_SECONDS) {
      throw this.truncated(declared, decodedSeconds, 'ffmpeg');
    }
    if (run.stdoutBytes < 4) {
      throw new KaleidoError('ERR_VALIDATION', 'the audio stream contains no samples', {
        details: { field: 'audio', codec: probe.codec, container: probe.container },
      });
    }
    // Copy into a fresh, aligned Float32Array (f32le = host order on every platform Node supports).
    const samples = new Float32Array(Math.floor(run.stdoutBytes / 4));
    const bytes = new Uint8Array(samples.buffer);
    let at = 0;
    for (const chunk of run.stdout) {
      const take = Math.min(chunk.length, bytes.length - at);
      bytes.set(chunk.subarray(0, take), at);
      at += take;
    }
    return { samples, sampleRate, probe };
  }

  private truncated(declared: number, decodedSeconds: number, decoder: string): KaleidoError {
    return new KaleidoError(
      'ERR_MEDIA_CORRUPT',
      `the audio file is truncated: its header declares ${round3(declared)} s but only ${round3(decodedSeconds)} s could be decoded`,
      {
        details: {
          decoder,
          declaredSeconds: round3(declared),
          decodedSeconds: round3(decodedSeconds),
        },
      },
    );
  }

  private tooLong(maxDuration: number, declared: number | undefined): KaleidoError {
    return new KaleidoError(
      'ERR_MEDIA_TOO_LONG',
      declared === undefined
        ? `the audio is longer than the ${maxDuration} s limit`
        : `the audio is ${round3(declared)} s long, over the ${maxDuration} s limit`,
      {
        details: {
          maxDurationSeconds: maxDuration,
          ...(declared === undefined ? {} : { declaredSeconds: round3(declared) }),
        },
      },
    );
  }

  /** Input checks shared by probe and decode; returns the bytes to feed (MP4 index moved first). */
  private prepare(input: Uint8Array): Uint8Array {
    if (this.state.available !== true) {
      throw new KaleidoError(
        'ERR_UNAVAILABLE',
        `the audio decoder is unavailable: ${this.state.reason ?? ''}`,
        {
          details: { decoder: 'ffmpeg' },
        },
      );
    }
    if (!(input instanceof Uint8Array)) {
      throw new KaleidoError('ERR_VALIDATION', 'audio input must be bytes', { details: { field: 'audio' } });
    }
    return checkMediaBytes(input, this.maxBytes, 'audio');
  }

  private async probePrepared(input: Uint8Array, signal: CancelSignal | undefined): Promise<AudioProbe> {
    const { run, parsed } = await runFfprobe(this.ffprobe, input, {
      timeoutMs: this.probeTimeoutMs,
      signal,
      medium: 'audio',
    });
    if (run.exitCode !== 0 || parsed.format === undefined) throw probeError(input, run.stderr, run.exitCode);
    const streams = parsed.streams ?? [];
    const audio = streams.filter((s) => s.codec_type === 'audio');
    const first = audio[0];
    if (first === undefined) {
      throw new KaleidoError('ERR_UNSUPPORTED_MEDIA_TYPE', 'the input has no audio stream', {
        details: {
          container: parsed.format.format_name,
          streams: streams.map((s) => s.codec_type ?? 'unknown'),
        },
      });
    }
    const declared = positive(first.duration) ?? positive(parsed.format.duration) ?? declaredSeconds(input);
    const bitRate = positive(first.bit_rate) ?? positive(parsed.format.bit_rate);
    return {
      container: parsed.format.format_name ?? 'unknown',
      codec: first.codec_name ?? 'unknown',
      sampleRate: positive(first.sample_rate) ?? 0,
      channels: first.channels ?? 0,
      audioStreams: audio.length,
      ...(declared === undefined ? {} : { declaredDurationSeconds: declared }),
      ...(bitRate === undefined ? {} : { bitRate }),
    };
  }
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
const cancelledError = (): KaleidoError =>
  new KaleidoError('ERR_CANCELLED', 'audio decoding was cancelled', { details: { decoder: 'in-process' } });
/** A function, not an inline test: the flag may change between two reads in one method. */
const isAborted = (signal: CancelSignal | undefined): boolean => signal?.aborted === true;
