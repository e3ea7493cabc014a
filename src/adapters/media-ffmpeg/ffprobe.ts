/**
 * What the audio decoder and the video sampler share before ffmpeg runs: their options' checks,
 * the start-up check that ffmpeg and ffprobe run, the input checks (empty, too large, MP4 index
 * moved to the front for a pipe) and one ffprobe run with JSON output.
 */
import { KaleidoError, isKaleidoError } from '../../core/errors.js';
import type { CancelSignal } from '../../core/ports/inference.js';
import { runProcess, stderrExcerpt, type RunResult } from './child-process.js';
import { moveIndexToFront } from './mp4-faststart.js';

/** The fields of ffprobe's `-show_streams` that either medium reads. */
export interface FfprobeStream {
  readonly codec_type?: string;
  readonly codec_name?: string;
  readonly width?: number;
  readonly height?: number;
  readonly sample_aspect_ratio?: string;
  readonly avg_frame_rate?: string;
  readonly r_frame_rate?: string;
  readonly sample_rate?: string;
  readonly channels?: number;
  readonly duration?: string;
  readonly bit_rate?: string;
  readonly disposition?: { readonly attached_pic?: number };
  readonly tags?: { readonly rotate?: string };
  readonly side_data_list?: ReadonlyArray<{ readonly rotation?: number }>;
}

export interface FfprobeOutput {
  readonly streams?: readonly FfprobeStream[];
  readonly format?: { readonly format_name?: string; readonly duration?: string; readonly bit_rate?: string };
}

export type Medium = 'audio' | 'video';

/** ffprobe next to a configured ffmpeg path ("/opt/ff/ffmpeg-6" → "/opt/ff/ffprobe-6"), else on PATH. */
export const ffprobeBeside = (ffmpeg: string): string =>
  ffmpeg.includes('/') ? ffmpeg.replace(/ffmpeg([^/]*)$/, 'ffprobe$1') : 'ffprobe';

/** Refuses a limit or timeout that is not a positive number (ERR_BAD_CONFIG naming the field). */
export function checkPositiveOptions(what: string, options: ReadonlyArray<readonly [string, number]>): void {
  for (const [field, v] of options) {
    if (!(Number.isFinite(v) && v > 0)) {
      throw new KaleidoError('ERR_BAD_CONFIG', `${what} ${field} must be a positive number`, {
        details: { field, value: v },
      });
    }
  }
}

/**
 * Runs `<program> -version` for ffmpeg and ffprobe and answers ffmpeg's version. Fails with
 * ERR_UNAVAILABLE and a reason a person can act on (an install hint when a program is missing).
 */
export async function ffmpegVersion(ffmpeg: string, ffprobe: string): Promise<string> {
  try {
    const versions: string[] = [];
    for (const program of [ffmpeg, ffprobe]) {
      const r = await runProcess({
        command: program,
        args: ['-version'],
        timeoutMs: 10_000,
        maxStdoutBytes: 1 << 20,
      });
      const first = Buffer.concat(r.stdout).toString('utf8').split('\n')[0] ?? '';
      if (r.exitCode !== 0 || !/version/i.test(first)) {
        throw new KaleidoError('ERR_UNAVAILABLE', `${program} -version failed (exit ${String(r.exitCode)})`, {
          details: { program, stderr: stderrExcerpt(r.stderr) },
        });
      }
      versions.push(/version\s+(\S+)/i.exec(first)?.[1] ?? 'unknown');
    }
    return versions[0] ?? 'unknown';
  } catch (e) {
    const reason =
      isKaleidoError(e) && e.details?.['missing'] === true
        ? `${e.message}; install ffmpeg (Debian package "ffmpeg") or set the ffmpeg path`
        : e instanceof Error
          ? e.message
          : String(e);
    throw new KaleidoError('ERR_UNAVAILABLE', reason, {
      ...(isKaleidoError(e) && e.details !== undefined ? { details: e.details } : {}),
      cause: e,
    });
  }
}

/** Refuses empty and oversized inputs; returns the bytes to feed ffmpeg through a pipe. */
export function checkMediaBytes(input: Uint8Array, maxBytes: number, medium: Medium): Uint8Array {
  if (input.length === 0) {
    throw new KaleidoError('ERR_VALIDATION', `the ${medium} input is empty (0 bytes)`, {
      details: { field: medium, bytes: 0 },
    });
  }
  if (input.length > maxBytes) {
    throw new KaleidoError(
      'ERR_PAYLOAD_TOO_LARGE',
      `the ${medium} input is ${input.length} bytes, over the ${maxBytes}-byte limit`,
      { details: { field: medium, bytes: input.length, maxBytes } },
    );
  }
  // ffmpeg cannot seek on a pipe: an MP4 whose index sits at the end is rewritten index-first.
  return moveIndexToFront(input);
}

/**
 * Runs ffprobe on the bytes (stdin) and parses its JSON. Cancellation and timeout become
 * ERR_CANCELLED / ERR_TIMEOUT; a non-zero exit is left to the caller, which knows the medium's
 * error wording (`parsed` is `{}` when the output is not JSON).
 */
export async function runFfprobe(
  ffprobe: string,
  input: Uint8Array,
  options: { timeoutMs: number; signal: CancelSignal | undefined; medium: Medium },
): Promise<{ run: RunResult; parsed: FfprobeOutput }> {
  const { timeoutMs, signal, medium } = options;
  const run = await runProcess({
    command: ffprobe,
    args: [
      '-v',
      'error',
      '-hide_banner',
      '-print_format',
      'json',
      '-show_format',
      '-show_streams',
      '-i',
      'pipe:0',
    ],
    stdin: input,
    timeoutMs,
    maxStdoutBytes: 1 << 20,
    ...(signal === undefined ? {} : { signal }),
  });
  if (run.stopped === 'cancelled') {
    throw new KaleidoError('ERR_CANCELLED', `${medium} probing was cancelled`, {
      details: { decoder: 'ffprobe' },
    });
  }
  if (run.stopped === 'timeout') {
    throw new KaleidoError('ERR_TIMEOUT', `probing the ${medium} took longer than ${timeoutMs} ms`, {
      details: { decoder: 'ffprobe', timeoutMs },
    });
  }
  let parsed: FfprobeOutput = {};
  try {
    parsed = JSON.parse(Buffer.concat(run.stdout).toString('utf8') || '{}') as FfprobeOutput;
  } catch {
    parsed = {};
  }
  return { run, parsed };
}
