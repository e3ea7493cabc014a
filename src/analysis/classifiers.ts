/**
 * The `classifiers` option of /v1/analyze: the caller's own registered classifier heads
 * (lifecycle/classify.ts) run on the same content next to the analyzers, and their answers land
 * in `results.classifiers[<ref>]` as `{model, version, label, score, labels, featurizer}`.
 *
 * References are resolved before anything runs (an unknown model is a 404, a version without a
 * featuriser a 409), so a typo never yields a silently thinner answer. A head whose featuriser
 * reads another modality than the content's is listed in `skipped["classifiers/<ref>"]` with the
 * reason instead (a request may name an image head and an audio head and send either). Heads run
 * concurrently with the analysis pipeline; their stages are appended as `classifier:<ref>/…`.
 * Not a safety analyzer: a user's head carries no moderation semantics the policy could rely on.
 */
import { KaleidoError } from '../core/errors.js';
import type { Stage } from '../core/pipeline/index.js';
import type { CancelSignal } from '../core/ports/inference.js';
import type { ClassifyService, HeadClassification, ResolvedHead } from '../lifecycle/classify.js';
import type { AnalysisContent, AnalysisResponse } from './types.js';

/** Most heads one request may name. */
export const MAX_CLASSIFIERS = 16;

/** `classifiers` as a comma-separated string or a list of strings → distinct references. */
export function parseClassifiers(value: unknown, field = 'classifiers'): string[] {
  const list = Array.isArray(value) ? value : [value];
  const out: string[] = [];
  for (const v of list) {
    if (typeof v !== 'string') {
      throw new KaleidoError('ERR_VALIDATION', `${field} must be a string or a list of strings`, {
        details: { field },
      });
    }
    out.push(...v.split(',').map((t) => t.trim()));
  }
  const refs = [...new Set(out.filter((t) => t !== ''))];
  if (refs.length === 0) {
    throw new KaleidoError('ERR_VALIDATION', `${field} must name at least one model (name@alias)`, {
      details: { field },
    });
  }
  if (refs.length > MAX_CLASSIFIERS) {
    throw new KaleidoError('ERR_VALIDATION', `${field} names more than ${MAX_CLASSIFIERS} models`, {
      details: { field, max: MAX_CLASSIFIERS },
    });
  }
  return refs;
}

/** Resolves every reference in the caller's registry (4xx before any analysis runs). */
export function resolveClassifiers(
  service: ClassifyService,
  tenantId: string,
  refs: readonly string[],
): Promise<ResolvedHead[]> {
  return Promise.all(refs.map((ref) => service.resolve(tenantId, ref)));
}

export interface ClassifierOutcome {
  readonly results: Record<string, Omit<HeadClassification, 'stages'>>;
  readonly skipped: Record<string, { readonly status: 'skipped'; readonly reason: string }>;
  readonly stages: readonly Stage[];
}

/** Runs the heads whose featuriser reads the content's modality; the others are skipped. */
export async function runClassifiers(
  service: ClassifyService,
  heads: readonly ResolvedHead[],
  content: AnalysisContent,
  signal?: CancelSignal,
): Promise<ClassifierOutcome> {
  const input = service.detect(content);
  const matching = heads.filter((h) => h.featurizer.modality === input.modality);
  const skipped: ClassifierOutcome['skipped'] = {};
  for (const h of heads) {
    if (h.featurizer.modality === input.modality) continue;
    skipped[`classifiers/${h.ref}`] = {
      status: 'skipped',
      reason: `featurizer ${h.featurizer.spec.type} reads ${h.featurizer.modality}; the content is ${input.modality}`,
    };
  }
  const answers = await service.classifyDetected(matching, input, signal === undefined ? {} : { signal });
  const results: ClassifierOutcome['results'] = {};
  const stages: Stage[] = [];
  answers.forEach((a, i) => {
    const ref = (matching[i] as ResolvedHead).ref;
    const { stages: own, ...rest } = a;
    results[ref] = rest;
    for (const s of own) stages.push({ ...s, name: `classifier:${ref}/${s.name}` });
  });
  return { results, skipped, stages };
}

/** Adds the outcome to an analysis response (additively: nothing the analyzers said changes). */
export function withClassifiers(response: AnalysisResponse, outcome: ClassifierOutcome): AnalysisResponse {
  return {
    ...response,
    stages: [...response.stages, ...outcome.stages],
    results: { ...response.results, classifiers: outcome.results },
    skipped: { ...response.skipped, ...outcome.skipped },
  };
}
