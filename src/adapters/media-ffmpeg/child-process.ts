/**
 * Runs a media program (ffmpeg, ffprobe, pocketsphinx …) as a child process with its input on
 * stdin and its output on stdout — no temporary files — under hard limits: a wall-clock timeout,
 * a cap on stdout bytes, and cancellation. When a limit is hit the process is killed with SIGKILL
 * at once (a decoder stuck on a pathological file may ignore SIGTERM), and the result says which
 * limit ended it, so the caller can pick the right error code.
 */
import { spawn } from 'node:child_process';
import { KaleidoError } from '../../core/errors.js';
import type { CancelSignal } from '../../core/ports/inference.js';

export interface RunOptions {
  readonly command: string;
  readonly args: readonly string[];
  /** Written to stdin, which is then closed; absent: stdin is closed at once. */
  readonly stdin?: Uint8Array;
  readonly timeoutMs: number;
  /** Stdout beyond this many bytes kills the process (result.limit = 'output'). */
  readonly maxStdoutBytes: number;
  /** Stderr is kept up to this many characters (default 16 KiB). */
  readonly maxStderrBytes?: number;
  /**
   * Which part of a long stderr to keep: 'head' (default; ffmpeg's first error is the informative
   * one) or 'tail' (programs that log verbosely and fail at the end, like pocketsphinx).
   */
  readonly keepStderr?: 'head' | 'tail';
  readonly signal?: CancelSignal;
  /**
   * Run the program as the leader of its own process group and kill the whole group on a limit:
   * needed when `command` is a shell that starts a pipeline (killing the shell alone would leave
   * its children running).
   */
  readonly processGroup?: boolean;
}

export type StopReason = 'timeout' | 'output' | 'cancelled';

export interface RunResult {
  /** Stdout chunks in order (not concatenated: the caller decides the final layout). */
  readonly stdout: readonly Buffer[];
  readonly stdoutBytes: number;
  readonly stderr: string;
  /** Exit code; null when killed by a signal. */
  readonly exitCode: number | null;
  /** Set when the process was killed because of a limit or cancellation. */
  readonly stopped?: StopReason;
  readonly wallMs: number;
}

/** How often a CancelSignal without event support is polled. */
const CANCEL_POLL_MS = 50;

interface EventSignal {
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

const hasEvents = (s: CancelSignal): s is CancelSignal & EventSignal =>
  typeof (s as Partial<EventSignal>).addEventListener === 'function';

/**
 * Spawns the program and resolves when it exits (whatever the exit code). Rejects only when the
 * program cannot be started: ERR_UNAVAILABLE, with `details.missing = true` when it is not found.
 */
export function runProcess(options: RunOptions): Promise<RunResult> {
  const started = performance.now();
  const maxStderr = options.maxStderrBytes ?? 16_384;
  return new Promise<RunResult>((resolve, reject) => {
    if (options.signal?.aborted === true) {
      resolve({ stdout: [], stdoutBytes: 0, stderr: '', exitCode: null, stopped: 'cancelled', wallMs: 0 });
      return;
    }
    const group = options.processGroup === true;
    const child = spawn(options.command, options.args, { stdio: ['pipe', 'pipe', 'pipe'], detached: group });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stderr = '';
    let stopped: StopReason | undefined;
    let settled = false;

    const stop = (why: StopReason): void => {
      if (stopped !== undefined) return;
      stopped = why;
      if (group && child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          child.kill('SIGKILL'); // the group is already gone; make sure the leader is too
        }
      } else {
        child.kill('SIGKILL');
      }
    };
    const timer = setTimeout(() => stop('timeout'), options.timeoutMs);
    const onAbort = (): void => stop('cancelled');
    let poll: ReturnType<typeof setInterval> | undefined;
    const signal = options.signal;
    if (signal !== undefined) {
      if (hasEvents(signal)) signal.addEventListener('abort', onAbort, { once: true });
      else poll = setInterval(() => signal.aborted && onAbort(), CANCEL_POLL_MS);
    }
    const cleanup = (): void => {
      clearTimeout(timer);
      if (poll !== undefined) clearInterval(poll);
      if (signal !== undefined && hasEvents(signal)) signal.removeEventListener('abort', onAbort);
    };

    child.stdout.on('data', (chunk: Buffer) => {
      if (stopped !== undefined) return;
      stdoutBytes += chunk.length;
      if (stdoutBytes > options.maxStdoutBytes) {
        stop('output');
        return;
      }
      stdout.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (options.keepStderr === 'tail') stderr = (stderr + chunk.toString('utf8')).slice(-maxStderr);
      else if (stderr.length < maxStderr) stderr += chunk.toString('utf8', 0, maxStderr - stderr.length);
    });
    // The program may exit before reading all input (ffprobe stops after the headers; ffmpeg stops
    // on garbage): the resulting EPIPE is expected, not a failure.
    child.stdin.on('error', () => undefined);

    child.on('error', (err: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      cleanup();
      const missing = err.code === 'ENOENT';
      reject(
        new KaleidoError(
          'ERR_UNAVAILABLE',
          missing
            ? `${options.command} was not found (is it installed and on PATH?)`
            : `${options.command} could not be started: ${err.message}`,
          { details: { program: options.command, missing }, cause: err },
        ),
      );
    });
    child.on('close', (code) => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve({
        stdout,
        stdoutBytes,
        stderr,
        exitCode: code,
        ...(stopped === undefined ? {} : { stopped }),
        wallMs: performance.now() - started,
      });
    });

    if (options.stdin === undefined || options.stdin.length === 0) child.stdin.end();
    else child.stdin.end(options.stdin);
  });
}

/** The error lines of a program's stderr, trimmed to a readable excerpt for error details. */
export function stderrExcerpt(stderr: string, maxLines = 6): string {
  return stderr
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .slice(0, maxLines)
    .join('\n');
}
