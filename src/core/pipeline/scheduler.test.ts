import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { KaleidoError } from '../errors.js';
import { runPipeline } from './scheduler.js';
import type { PipelineDefinition, PipelineStep, StepExecutor } from './types.js';

const ticks = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await Promise.resolve();
};

type Outcome = 'ok' | 'fail' | 'unavailable';

/** An executor over scripted outcomes that logs every start and finish in one sequence. */
function scripted(outcomes: Record<string, { outcome: Outcome; delay: number }>) {
  let seq = 0;
  const started = new Map<string, number[]>();
  const finished = new Map<string, number>();
  const executor: StepExecutor<string> = {
    describe: (step) => ({
      model: `m-${step.id}`,
      version: '1',
      available: outcomes[step.id]?.outcome !== 'unavailable',
      ...(outcomes[step.id]?.outcome === 'unavailable' ? { reason: 'not loaded' } : {}),
    }),
    async run(step, results) {
      started.set(step.id, [...(started.get(step.id) ?? []), seq++]);
      for (const d of step.after ?? []) expect(results.has(d)).toBe(true);
      const o = outcomes[step.id] ?? { outcome: 'ok', delay: 0 };
      await ticks(o.delay);
      finished.set(step.id, seq++);
      if (o.outcome === 'fail') throw new KaleidoError('ERR_INTERNAL', `${step.id} broke`);
      return `result-${step.id}`;
    },
  };
  return { executor, started, finished };
}

const def = (steps: PipelineStep[]): PipelineDefinition => ({ name: 'p', modality: 'text', steps });

describe('runPipeline', () => {
  it('starts independent steps together and a dependent one after both', async () => {
    const { executor, started, finished } = scripted({
      a: { outcome: 'ok', delay: 3 },
      b: { outcome: 'ok', delay: 3 },
      c: { outcome: 'ok', delay: 0 },
    });
    const run = await runPipeline(
      def([
        { id: 'a', analyzer: 'text/a' },
        { id: 'b', analyzer: 'text/b' },
        { id: 'c', analyzer: 'text/c', after: ['a', 'b'] },
      ]),
      executor,
      { clock: new ManualClock() },
    );
    // Both roots started before either finished: they ran concurrently.
    expect(Math.max(...started.get('a')!, ...started.get('b')!)).toBeLessThan(
      Math.min(finished.get('a')!, finished.get('b')!),
    );
    expect(started.get('c')![0]).toBeGreaterThan(Math.max(finished.get('a')!, finished.get('b')!));
    expect(run.stages.map((s) => [s.name, s.status, s.model])).toEqual([
      ['a', 'ok', 'm-a'],
      ['b', 'ok', 'm-b'],
      ['c', 'ok', 'm-c'],
    ]);
    expect(run.results.get('c')).toBe('result-c');
  });

  it('records failures with their code and skips dependents, naming the dependency', async () => {
    const { executor, started } = scripted({
      a: { outcome: 'fail', delay: 0 },
      u: { outcome: 'unavailable', delay: 0 },
    });
    const run = await runPipeline(
      def([
        { id: 'a', analyzer: 'text/a' },
        { id: 'b', analyzer: 'text/b', after: ['a'] },
        { id: 'u', analyzer: 'text/u' },
        { id: 'v', analyzer: 'text/v', after: ['u'] },
      ]),
      executor,
      { clock: new ManualClock() },
    );
    expect(run.stages).toEqual([
      expect.objectContaining({ name: 'a', status: 'failed', error: 'a broke', code: 'ERR_INTERNAL' }),
      expect.objectContaining({ name: 'b', status: 'skipped', error: 'dependency a failed', ms: 0 }),
      expect.objectContaining({ name: 'u', status: 'unavailable', error: 'not loaded', ms: 0 }),
      expect.objectContaining({ name: 'v', status: 'skipped', error: 'dependency u unavailable' }),
    ]);
    expect(started.has('b')).toBe(false);
    expect(started.has('u')).toBe(false);
  });

  it('fails a step that outlives its timeout, measures it on the clock, ignores its late result', async () => {
    const clock = new ManualClock();
    let release: (v: string) => void = () => undefined;
    let seenSignal: { aborted: boolean } | undefined;
    const executor: StepExecutor<string> = {
      describe: () => ({ model: 'm', version: '1', available: true }),
      run: (step, _r, signal) => {
        if (step.id === 'fast') return Promise.resolve('fast');
        seenSignal = signal;
        return new Promise((resolve) => (release = resolve));
      },
    };
    const pending = runPipeline(
      def([
        { id: 'slow', analyzer: 'text/a', timeoutMs: 100 },
        { id: 'fast', analyzer: 'text/b' },
        { id: 'after-slow', analyzer: 'text/c', after: ['slow'] },
      ]),
      executor,
      { clock },
    );
    await ticks(5);
    clock.advance(100);
    const run = await pending;
    release('too late');
    expect(run.stages[0]).toMatchObject({
      status: 'failed',
      timedOut: true,
      ms: 100,
      error: 'timed out after 100 ms',
    });
    expect(run.stages[1]).toMatchObject({ status: 'ok' });
    expect(run.stages[2]).toMatchObject({ status: 'skipped' });
    expect(run.results.has('slow')).toBe(false);
    expect(seenSignal?.aborted).toBe(true);
    expect(clock.pending).toBe(0);
  });

  it('a synchronous step that returns after its deadline is a timeout too', async () => {
    const clock = new ManualClock();
    const executor: StepExecutor<string> = {
      describe: () => ({ model: 'm', version: '1', available: true }),
      run: () => {
        clock.now = (
          (t) => () =>
            t + 500
        )(clock.now()); // the step "took" 500 ms of clock time
        return Promise.resolve('x');
      },
    };
    const run = await runPipeline(def([{ id: 'a', analyzer: 'text/a', timeoutMs: 200 }]), executor, {
      clock,
    });
    expect(run.stages[0]).toMatchObject({ status: 'failed', timedOut: true, ms: 500 });
  });

  it('a synchronous throw inside run marks the step failed', async () => {
    const executor: StepExecutor<string> = {
      describe: () => ({ model: 'm', version: '1', available: true }),
      run: () => {
        throw new Error('sync boom');
      },
    };
    const run = await runPipeline(def([{ id: 'a', analyzer: 'text/a' }]), executor, {
      clock: new ManualClock(),
    });
    expect(run.stages[0]).toMatchObject({ status: 'failed', error: 'sync boom' });
  });

  it('starts nothing once the caller cancelled, and says ERR_CANCELLED', async () => {
    const signal = { aborted: false };
    const { executor, started } = scripted({ a: { outcome: 'ok', delay: 2 } });
    const pending = runPipeline(
      def([
        { id: 'a', analyzer: 'text/a' },
        { id: 'b', analyzer: 'text/b', after: ['a'] },
      ]),
      {
        describe: executor.describe,
        run: (step: PipelineStep, r: ReadonlyMap<string, string>, s: { aborted: boolean }) => {
          signal.aborted = true;
          return executor.run(step, r, s);
        },
      },
      { clock: new ManualClock(), signal },
    );
    await expect(pending).rejects.toMatchObject({ code: 'ERR_CANCELLED' });
    expect(started.has('b')).toBe(false);
  });
});
