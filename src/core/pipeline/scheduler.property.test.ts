import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../clock.js';
import { KaleidoError } from '../errors.js';
import { runPipeline } from './scheduler.js';
import type { PipelineDefinition, StepExecutor } from './types.js';

const ticks = async (n: number): Promise<void> => {
  for (let i = 0; i < n; i++) await Promise.resolve();
};

type Outcome = 'ok' | 'fail' | 'unavailable';

/** Scripted outcomes; every start and finish is logged in one sequence. */
function scripted(outcomes: Record<string, { outcome: Outcome; delay: number }>) {
  let seq = 0;
  const started = new Map<string, number[]>();
  const finished = new Map<string, number>();
  const executor: StepExecutor<string> = {
    describe: (step) => ({
      model: `m-${step.id}`,
      version: '1',
      available: outcomes[step.id]?.outcome !== 'unavailable',
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

const def = (steps: PipelineDefinition['steps']): PipelineDefinition => ({
  name: 'p',
  modality: 'text',
  steps,
});

describe('runPipeline properties', () => {
  /** A random DAG: step i may depend on any earlier step; definition order shuffled. */
  const dagArb = fc.integer({ min: 1, max: 9 }).chain((n) =>
    fc
      .tuple(
        fc.tuple(
          ...Array.from({ length: n }, (_, i) =>
            fc.record({
              deps: fc.subarray(Array.from({ length: i }, (_, k) => k)),
              outcome: fc.constantFrom<Outcome>('ok', 'ok', 'ok', 'fail', 'unavailable'),
              delay: fc.integer({ min: 0, max: 4 }),
            }),
          ),
        ),
        fc.shuffledSubarray(
          Array.from({ length: n }, (_, i) => i),
          { minLength: n, maxLength: n },
        ),
      )
      .map(([specs, order]) => ({ specs, order })),
  );

  it('every step runs at most once, after its dependencies; a failed step’s dependents are skipped', async () => {
    await fc.assert(
      fc.asyncProperty(dagArb, async ({ specs, order }) => {
        const id = (i: number): string => `s${i}`;
        const steps = order.map((i) => ({
          id: id(i),
          analyzer: `text/a${i}`,
          after: specs[i]!.deps.map(id),
        }));
        const outcomes = Object.fromEntries(
          specs.map((s, i) => [id(i), { outcome: s.outcome, delay: s.delay }]),
        );
        const { executor, started, finished } = scripted(outcomes);
        const run = await runPipeline(def(steps), executor, { clock: new ManualClock() });

        expect(run.stages.map((s) => s.name)).toEqual(steps.map((s) => s.id));
        const status = new Map(run.stages.map((s) => [s.name, s.status]));
        // Expected statuses, computed independently in dependency order.
        const expected = new Map<string, string>();
        specs.forEach((s, i) => {
          const depsOk = s.deps.every((d) => expected.get(id(d)) === 'ok');
          expected.set(
            id(i),
            !depsOk
              ? 'skipped'
              : s.outcome === 'unavailable'
                ? 'unavailable'
                : s.outcome === 'fail'
                  ? 'failed'
                  : 'ok',
          );
        });
        expect(status).toEqual(expected);
        for (const step of steps) {
          const starts = started.get(step.id) ?? [];
          expect(starts.length).toBeLessThanOrEqual(1);
          const ran = starts.length === 1;
          expect(ran).toBe(['ok', 'failed'].includes(expected.get(step.id)!));
          if (!ran) continue;
          for (const d of step.after) {
            expect(status.get(d)).toBe('ok');
            expect(finished.get(d)!).toBeLessThan(starts[0]!);
          }
        }
        expect([...run.results.keys()].sort()).toEqual(
          [...expected]
            .filter(([, s]) => s === 'ok')
            .map(([k]) => k)
            .sort(),
        );
      }),
      { numRuns: 300 },
    );
  });
});
