/**
 * Scoring of a PII detector against a labelled set: per-entity precision, recall and F2 under
 * two matching rules, and micro-averaged totals.
 *
 * - exact: a predicted span counts only if entity, start and end all equal a gold span's.
 * - token: every word token (run of letters/digits) gets the entity of the span covering it, in
 *   the gold labels and in the predictions; tokens are then compared one by one (the scheme of
 *   presidio-research, so the numbers are comparable to Presidio's published ones).
 *
 * F2 weighs recall twice as much as precision: for redaction a miss leaks data, a false alarm
 * only hides a harmless word.
 */
import type { Finding, PiiEntity } from './types.js';

export interface EvalSpan {
  readonly entity: PiiEntity;
  readonly start: number;
  readonly end: number;
}

export interface EvalExample {
  readonly text: string;
  readonly spans: readonly EvalSpan[];
}

export interface Counts {
  tp: number;
  fp: number;
  fn: number;
}

export interface Scores extends Counts {
  /** null when nothing was predicted (precision undefined). */
  readonly precision: number | null;
  /** null when there is nothing to find (recall undefined). */
  readonly recall: number | null;
  readonly f2: number | null;
}

export interface EntityMetrics {
  readonly entity: PiiEntity;
  /** Gold spans of this entity. */
  readonly support: number;
  readonly exact: Scores;
  readonly token: Scores;
}

export interface EvaluationReport {
  readonly examples: number;
  readonly entities: EntityMetrics[];
  readonly overall: { readonly exact: Scores; readonly token: Scores };
}

export function scoresOf(c: Counts): Scores {
  const precision = c.tp + c.fp === 0 ? null : c.tp / (c.tp + c.fp);
  const recall = c.tp + c.fn === 0 ? null : c.tp / (c.tp + c.fn);
  let f2: number | null = null;
  if (precision !== null && recall !== null) {
    f2 = precision + recall === 0 ? 0 : (5 * precision * recall) / (4 * precision + recall);
  } else if (precision === null && recall !== null) {
    f2 = 0; // nothing predicted but something to find
  }
  return { ...c, precision, recall, f2 };
}

const TOKEN = /[\p{L}\p{N}]+/gu;

function tokenLabels(
  text: string,
  spans: readonly { entity: PiiEntity; start: number; end: number }[],
): (PiiEntity | undefined)[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start);
  const labels: (PiiEntity | undefined)[] = [];
  let s = 0;
  for (const m of text.matchAll(TOKEN)) {
    const start = m.index;
    const end = start + m[0].length;
    while (s < sorted.length && sorted[s]!.end <= start) s++;
    // The first span (by start) that overlaps the token labels it.
    let label: PiiEntity | undefined;
    for (let k = s; k < sorted.length && sorted[k]!.start < end; k++) {
      if (sorted[k]!.end > start) {
        label = sorted[k]!.entity;
        break;
      }
    }
    labels.push(label);
  }
  return labels;
}

/** Evaluate `detect` on every example. `entities` limits the report (default: all seen). */
export function evaluatePii(
  examples: readonly EvalExample[],
  detect: (text: string) => readonly Finding[],
  entities?: readonly PiiEntity[],
): EvaluationReport {
  const exact = new Map<PiiEntity, Counts>();
  const token = new Map<PiiEntity, Counts>();
  const support = new Map<PiiEntity, number>();
  const counts = (m: Map<PiiEntity, Counts>, e: PiiEntity): Counts => {
    let c = m.get(e);
    if (c === undefined) {
      c = { tp: 0, fp: 0, fn: 0 };
      m.set(e, c);
    }
    return c;
  };
  const include = (e: PiiEntity): boolean => entities === undefined || entities.includes(e);

  for (const ex of examples) {
    const predicted = detect(ex.text).filter((f) => include(f.entity));
    const gold = ex.spans.filter((s) => include(s.entity));
    for (const g of gold) {
      support.set(g.entity, (support.get(g.entity) ?? 0) + 1);
      counts(exact, g.entity);
      counts(token, g.entity);
    }
    const unmatched = new Set(gold.map((g) => `${g.entity}:${g.start}:${g.end}`));
    for (const p of predicted) {
      const key = `${p.entity}:${p.start}:${p.end}`;
      if (unmatched.delete(key)) counts(exact, p.entity).tp++;
      else counts(exact, p.entity).fp++;
    }
    for (const key of unmatched) counts(exact, key.slice(0, key.indexOf(':')) as PiiEntity).fn++;

    const goldTokens = tokenLabels(ex.text, gold);
    const predTokens = tokenLabels(ex.text, predicted);
    for (let k = 0; k < goldTokens.length; k++) {
      const g = goldTokens[k];
      const p = predTokens[k];
      if (g !== undefined && g === p) counts(token, g).tp++;
      else {
        if (p !== undefined) counts(token, p).fp++;
        if (g !== undefined) counts(token, g).fn++;
      }
    }
  }

  const all = [...new Set([...exact.keys(), ...token.keys()])].sort();
  const sum = (m: Map<PiiEntity, Counts>): Counts => {
    const total = { tp: 0, fp: 0, fn: 0 };
    for (const c of m.values()) {
      total.tp += c.tp;
      total.fp += c.fp;
      total.fn += c.fn;
    }
    return total;
  };
  return {
    examples: examples.length,
    entities: all.map((entity) => ({
      entity,
      support: support.get(entity) ?? 0,
      exact: scoresOf(counts(exact, entity)),
      token: scoresOf(counts(token, entity)),
    })),
    overall: { exact: scoresOf(sum(exact)), token: scoresOf(sum(token)) },
  };
}

const fmt = (v: number | null): string => (v === null ? '–' : v.toFixed(3));

/** Markdown table of a report (exact-span and token-level columns side by side). */
export function formatEvaluationTable(report: EvaluationReport): string {
  const rows = [
    '| entity | support | exact P | exact R | exact F2 | token P | token R | token F2 |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const m of report.entities) {
    rows.push(
      `| ${m.entity} | ${m.support} | ${fmt(m.exact.precision)} | ${fmt(m.exact.recall)} | ${fmt(m.exact.f2)} | ${fmt(m.token.precision)} | ${fmt(m.token.recall)} | ${fmt(m.token.f2)} |`,
    );
  }
  const o = report.overall;
  const total = report.entities.reduce((n, m) => n + m.support, 0);
  rows.push(
    `| **overall (micro)** | ${total} | ${fmt(o.exact.precision)} | ${fmt(o.exact.recall)} | ${fmt(o.exact.f2)} | ${fmt(o.token.precision)} | ${fmt(o.token.recall)} | ${fmt(o.token.f2)} |`,
  );
  return rows.join('\n');
}
