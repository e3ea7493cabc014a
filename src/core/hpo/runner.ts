/**
 * Drives a study over a benchmark function: the loop used by the known-answer tests and by
 * bench/hpo-regret.ts. Parameters are named x0, x1, … and are continuous floats on the bounds.
 */
import type { BenchmarkFunction } from './benchmarks.js';
import { NopPruner } from './pruners.js';
import { Study } from './study.js';
import type { Sampler } from './types.js';

/**
 * Runs `nTrials` trials and returns the simple regret (best value so far − optimum) after each
 * trial; `regrets[n − 1]` is the regret after n trials.
 */
export function regretTrace(fn: BenchmarkFunction, sampler: Sampler, nTrials: number): number[] {
  const study = new Study({ direction: 'minimize', sampler, pruner: new NopPruner() });
  const regrets: number[] = [];
  let best = Infinity;
  for (let i = 0; i < nTrials; i++) {
    const trial = study.ask();
    const x = fn.bounds.map(([low, high], d) => trial.suggestFloat(`x${d}`, low, high));
    const y = fn.evaluate(x);
    study.tell(trial.number, y);
    if (y < best) best = y;
    regrets.push(best - fn.optimum);
  }
  return regrets;
}
