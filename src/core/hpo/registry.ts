/**
 * Samplers and pruners by spec: the data that `Study.toJSON()` stores is turned back into
 * objects here. The table is the single place a new sampler or pruner type is registered.
 */
import { KaleidoError } from '../errors.js';
import { MedianPruner, NopPruner, PercentilePruner, SuccessiveHalvingPruner } from './pruners.js';
import { GridSampler, RandomSampler, type GridSearchSpace } from './samplers.js';
import { TPESampler, type TPESamplerOptions } from './tpe.js';
import type { Pruner, Sampler } from './types.js';

type Spec = Record<string, unknown>;

const samplerFactories: Record<string, (spec: Spec) => Sampler> = {
  random: (s) => new RandomSampler({ seed: s['seed'] as number }),
  grid: (s) =>
    new GridSampler({
      seed: s['seed'] as number,
      searchSpace: s['searchSpace'] as GridSearchSpace,
      onExhausted: s['onExhausted'] as 'stop' | 'cycle',
    }),
  tpe: (s) => new TPESampler(s as TPESamplerOptions),
};

const prunerFactories: Record<string, (spec: Spec) => Pruner> = {
  nop: () => new NopPruner(),
  median: (s) => new MedianPruner(s),
  percentile: (s) => new PercentilePruner(s['percentile'] as number, s),
  'successive-halving': (s) => new SuccessiveHalvingPruner(s),
};

function lookup<T>(kind: string, table: Record<string, (spec: Spec) => T>, raw: unknown): T {
  if (typeof raw !== 'object' || raw === null || typeof (raw as Spec)['type'] !== 'string') {
    throw new KaleidoError('ERR_VALIDATION', `a ${kind} spec needs a string 'type'`, {
      details: { field: kind },
    });
  }
  const type = (raw as Spec)['type'] as string;
  const factory = Object.hasOwn(table, type) ? table[type] : undefined;
  if (!factory) {
    throw new KaleidoError('ERR_VALIDATION', `unknown ${kind} type '${type}'`, {
      details: { field: kind, type, known: Object.keys(table) },
    });
  }
  return factory(raw as Spec);
}

export function samplerFromSpec(raw: unknown): Sampler {
  return lookup('sampler', samplerFactories, raw);
}

export function prunerFromSpec(raw: unknown): Pruner {
  return lookup('pruner', prunerFactories, raw);
}
