import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../../core/errors.js';
import { runProcess, stderrExcerpt } from './child-process.js';

describe('runProcess', () => {
  it('passes stdin through and collects stdout and the exit code', async () => {
    const r = await runProcess({
      command: 'cat',
      args: [],
      stdin: new TextEncoder().encode('hello'),
      timeoutMs: 5_000,
      maxStdoutBytes: 100,
    });
    expect(Buffer.concat(r.stdout).toString()).toBe('hello');
    expect(r.exitCode).toBe(0);
    expect(r.stopped).toBeUndefined();
  });

  it('kills a process that runs past the timeout', async () => {
    const t0 = performance.now();
    const r = await runProcess({ command: 'sleep', args: ['10'], timeoutMs: 200, maxStdoutBytes: 100 });
    expect(r.stopped).toBe('timeout');
    expect(performance.now() - t0).toBeLessThan(3_000);
  });

  it('kills a process whose output passes the cap', async () => {
    const r = await runProcess({ command: 'yes', args: [], timeoutMs: 5_000, maxStdoutBytes: 10_000 });
    expect(r.stopped).toBe('output');
    expect(r.stdout.reduce((n, c) => n + c.length, 0)).toBeLessThanOrEqual(10_000);
  });

  it('kills a whole pipeline when asked to, and honours cancellation', async () => {
    const signal = { aborted: false };
    setTimeout(() => (signal.aborted = true), 150);
    const t0 = performance.now();
    const r = await runProcess({
      command: 'sh',
      args: ['-c', 'sleep 10 | cat'],
      timeoutMs: 10_000,
      maxStdoutBytes: 100,
      processGroup: true,
      signal,
    });
    expect(r.stopped).toBe('cancelled');
    expect(performance.now() - t0).toBeLessThan(3_000);
  });

  it('rejects with ERR_UNAVAILABLE (missing) when the program does not exist', async () => {
    const e = await runProcess({
      command: 'no-such-program-kaleido',
      args: [],
      timeoutMs: 1_000,
      maxStdoutBytes: 1,
    }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KaleidoError);
    expect(e).toMatchObject({ code: 'ERR_UNAVAILABLE', details: { missing: true } });
  });

  it('keeps the tail of stderr when asked', async () => {
    const r = await runProcess({
      command: 'sh',
      args: ['-c', 'i=0; while [ $i -lt 200 ]; do echo "line $i" >&2; i=$((i+1)); done'],
      timeoutMs: 5_000,
      maxStdoutBytes: 1,
      maxStderrBytes: 100,
      keepStderr: 'tail',
    });
    expect(r.stderr.length).toBeLessThanOrEqual(100);
    expect(r.stderr.trim().endsWith('line 199')).toBe(true);
    expect(stderrExcerpt('\n a \n\n b \n', 1)).toBe('a');
  });
});
