/** What the study pages compute from a study: progress, the objective series, parameter names. */
import type { StudyView, TrialView } from '../api/lifecycle';
import { bestSoFar } from './charts';

export const METRIC_LABELS: Record<string, string> = {
  valLoss: 'validation loss',
  valAccuracy: 'validation accuracy',
  valMacroF1: 'validation macro F1',
};

/** Finished trials (complete, pruned, failed) out of the planned number. */
export function progressOf(study: Pick<StudyView, 'counts' | 'spec'>): { done: number; total: number } {
  const done = study.counts.complete + study.counts.pruned + study.counts.fail;
  return { done, total: Math.max(study.spec.nTrials, done + study.counts.running) };
}

/**
 * The value to plot for a trial: its told value (complete, pruned = its last reported one), else
 * the last intermediate value of a running trial; undefined when it has none.
 */
export function plottedValue(t: TrialView): number | undefined {
  if (t.value !== null && Number.isFinite(t.value)) return t.value;
  const last = t.intermediateValues.at(-1);
  return last !== undefined && Number.isFinite(last[1]) ? last[1] : undefined;
}

export interface ObjectivePoint {
  readonly trial: number;
  readonly value: number;
  readonly state: TrialView['state'];
}

/** Points of the objective-vs-trial chart and the best-so-far steps (complete trials only). */
export function objectiveSeries(
  trials: readonly TrialView[],
  direction: 'minimize' | 'maximize',
): { points: ObjectivePoint[]; best: Array<[number, number]> } {
  const sorted = [...trials].sort((a, b) => a.number - b.number);
  const points: ObjectivePoint[] = [];
  for (const t of sorted) {
    const v = plottedValue(t);
    if (v !== undefined && t.state !== 'FAIL') points.push({ trial: t.number, value: v, state: t.state });
  }
  const bests = bestSoFar(
    sorted.map((t) => (t.state === 'COMPLETE' ? t.value : null)),
    direction,
  );
  const best: Array<[number, number]> = [];
  sorted.forEach((t, i) => {
    const b = bests[i];
    if (b !== undefined) best.push([t.number, b]);
  });
  return { points, best };
}

/** Every parameter name any trial used, in first-seen order. */
export function paramNames(trials: readonly TrialView[]): string[] {
  const names: string[] = [];
  for (const t of trials) for (const k of Object.keys(t.params)) if (!names.includes(k)) names.push(k);
  return names;
}

/** A one-sentence summary of a study's search, for the charts' text alternative. */
export function searchSummary(study: StudyView, trials: readonly TrialView[]): string {
  const metric = METRIC_LABELS[study.spec.metric] ?? study.spec.metric;
  const { done, total } = progressOf(study);
  const best = study.bestTrial;
  return (
    `${done} of ${total} trials finished (${study.counts.complete} complete, ${study.counts.pruned} pruned, ` +
    `${study.counts.fail} failed, ${study.counts.running} running); objective: ${study.spec.direction} ${metric}. ` +
    (best && best.value !== null
      ? `Best so far: trial ${best.number} with ${best.value.toFixed(4)}.`
      : trials.length === 0
        ? 'No trial has started yet.'
        : 'No trial has completed yet.')
  );
}

/** Study states after which nothing changes; any other state (running, featurizing …) is live. */
const FINAL_STUDY_STATES: ReadonlySet<string> = new Set(['completed', 'failed']);

/** Whether a study may still change (and its page should keep polling). */
export const studyIsLive = (state: string): boolean => !FINAL_STUDY_STATES.has(state);

/**
 * The status line of a study's page. A state this console does not know yet (a newer server's,
 * e.g. "featurizing") is shown as it is, and the page keeps updating.
 */
export function studyStatusLine(
  study: Pick<StudyView, 'state' | 'finishedAt'>,
  live: boolean,
  formatDate: (ms: number | undefined) => string,
): string {
  const updating = live ? 'updating every 1.5 seconds.' : 'updates paused while this tab is hidden.';
  switch (study.state) {
    case 'running':
      return live ? 'Live: updating every 1.5 seconds.' : 'Updates paused while this tab is hidden.';
    case 'featurizing':
      return `Computing the features of the data set's files first; the trials start when they are ready — ${updating}`;
    case 'completed':
      return `Completed ${formatDate(study.finishedAt ?? undefined)}.`;
    case 'failed':
      return 'The study failed.';
    default:
      return `State: ${String(study.state)}; ${updating}`;
  }
}
