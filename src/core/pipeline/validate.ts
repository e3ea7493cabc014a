/**
 * Pipeline validation: a definition is checked once, when it is registered, so a broken pipeline
 * is a start-up error naming the step, never a request-time surprise.
 */
import { KaleidoError } from '../errors.js';
import type { PipelineDefinition, PipelineStep } from './types.js';

// ":" for namespaced tasks such as the bring-your-own classifiers' `hf:<name>`.
const NAME = /^[a-z0-9][a-z0-9._:-]{0,63}$/;
const ANALYZER = /^[a-z]+\/[a-z0-9][a-z0-9._:-]{0,63}$/;

const bad = (
  pipeline: string,
  field: string,
  message: string,
  extra: Record<string, unknown> = {},
): KaleidoError =>
  new KaleidoError('ERR_BAD_CONFIG', `pipeline ${pipeline}: ${message}`, {
    details: { pipeline, field, ...extra },
  });

/**
 * Checks names, step ids, analyzers (`isKnownAnalyzer`), dependencies and timeouts, and that the
 * steps form a DAG. Throws ERR_BAD_CONFIG naming the pipeline and the offending step.
 */
export function validatePipeline(
  def: PipelineDefinition,
  isKnownAnalyzer: (analyzer: string) => boolean,
): void {
  const name = typeof def.name === 'string' ? def.name : String(def.name);
  if (!NAME.test(name)) {
    throw bad(name, 'name', 'the name must be 1–64 lower-case letters, digits, ".", "_", ":" or "-"');
  }
  if (!Array.isArray(def.steps) || def.steps.length === 0) {
    throw bad(name, 'steps', 'a pipeline needs at least one step');
  }
  const ids = new Set<string>();
  def.steps.forEach((step, i) => {
    const field = `steps[${i}]`;
    if (typeof step.id !== 'string' || !NAME.test(step.id)) {
      throw bad(name, `${field}.id`, `step ${i} has an invalid id`, { step: step.id });
    }
    if (ids.has(step.id)) throw bad(name, `${field}.id`, `step ${step.id} appears twice`, { step: step.id });
    ids.add(step.id);
    if (typeof step.analyzer !== 'string' || !ANALYZER.test(step.analyzer)) {
      throw bad(name, `${field}.analyzer`, `step ${step.id}: analyzer must be written <modality>/<task>`, {
        step: step.id,
        analyzer: step.analyzer,
      });
    }
    if (!isKnownAnalyzer(step.analyzer)) {
      throw bad(name, `${field}.analyzer`, `step ${step.id}: unknown analyzer ${step.analyzer}`, {
        step: step.id,
        analyzer: step.analyzer,
      });
    }
    if (
      step.timeoutMs !== undefined &&
      !(Number.isFinite(step.timeoutMs) && step.timeoutMs > 0 && step.timeoutMs <= 3_600_000)
    ) {
      throw bad(name, `${field}.timeoutMs`, `step ${step.id}: timeoutMs must be in (0, 3600000]`, {
        step: step.id,
        value: step.timeoutMs,
      });
    }
  });
  for (const [i, step] of def.steps.entries()) {
    const after = step.after ?? [];
    if (!Array.isArray(after)) throw bad(name, `steps[${i}].after`, `step ${step.id}: after must be a list`);
    const seen = new Set<string>();
    for (const dep of after) {
      if (dep === step.id) {
        throw bad(name, `steps[${i}].after`, `step ${step.id} depends on itself`, { step: step.id });
      }
      if (!ids.has(dep)) {
        throw bad(name, `steps[${i}].after`, `step ${step.id} depends on unknown step ${String(dep)}`, {
          step: step.id,
          dependency: dep,
        });
      }
      if (seen.has(dep)) {
        throw bad(name, `steps[${i}].after`, `step ${step.id} lists ${dep} twice`, { step: step.id });
      }
      seen.add(dep);
    }
  }
  const cycle = findCycle(def.steps);
  if (cycle !== undefined) {
    throw bad(name, 'steps', `steps form a cycle: ${cycle.join(' → ')}`, {
      step: cycle[0],
      cycle,
    });
  }
}

/** A dependency cycle as a closed path of step ids (first = last), or undefined. */
function findCycle(steps: readonly PipelineStep[]): string[] | undefined {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const state = new Map<string, 'visiting' | 'done'>();
  const path: string[] = [];
  // Iterative DFS would be longer to read; pipelines hold a handful of steps.
  const visit = (id: string): string[] | undefined => {
    const s = state.get(id);
    if (s === 'done') return undefined;
    if (s === 'visiting') return [...path.slice(path.indexOf(id)), id];
    state.set(id, 'visiting');
    path.push(id);
    for (const dep of byId.get(id)?.after ?? []) {
      const found = visit(dep);
      if (found !== undefined) return found;
    }
    path.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const s of steps) {
    const found = visit(s.id);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The steps in an order where every step comes after its dependencies (stable: ties keep definition order). */
export function topologicalOrder(def: PipelineDefinition): PipelineStep[] {
  const done = new Set<string>();
  const out: PipelineStep[] = [];
  while (out.length < def.steps.length) {
    const next = def.steps.find((s) => !done.has(s.id) && (s.after ?? []).every((d) => done.has(d)));
    if (next === undefined) throw bad(def.name, 'steps', 'steps form a cycle');
    done.add(next.id);
    out.push(next);
  }
  return out;
}

/**
 * The sub-pipeline that computes `wanted` steps: those steps and, transitively, what they depend
 * on, in definition order. Unknown ids are the caller's to reject before calling.
 */
export function selectSteps(def: PipelineDefinition, wanted: readonly string[]): PipelineDefinition {
  const byId = new Map(def.steps.map((s) => [s.id, s]));
  const keep = new Set<string>();
  const add = (id: string): void => {
    if (keep.has(id)) return;
    const s = byId.get(id);
    if (s === undefined) return;
    keep.add(id);
    for (const d of s.after ?? []) add(d);
  };
  for (const id of wanted) add(id);
  return { ...def, steps: def.steps.filter((s) => keep.has(s.id)) };
}
