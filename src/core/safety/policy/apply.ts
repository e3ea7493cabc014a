/**
 * Carrying out a decision on the content itself: PII operators from a policy's YAML-friendly
 * specs, and the one function that decides what of a text may be returned or stored. Blocked
 * content is never returned in clear from here: the caller gets `withheld` and no text at all.
 */
import { KaleidoError } from '../../errors.js';
import { anonymize } from '../pii/anonymize.js';
import type { Operator, OperatorsByEntity } from '../pii/anonymize.js';
import type { PiiCrypto, PiiEntity } from '../pii/types.js';
import type { SafetyCategory } from '../taxonomy.js';
import type { Decision, PolicyPii, Redaction } from './types.js';

/**
 * Turns `policy.pii.entities` into the PII anonymizer's operators, resolving each `keyRef` (the
 * deployment's secret store, environment, KMS …). An unresolvable key is a configuration error
 * naming the field, raised before any content is processed.
 */
export function resolvePiiOperators(
  pii: PolicyPii | undefined,
  resolveKey: (keyRef: string) => Uint8Array | undefined = () => undefined,
): OperatorsByEntity {
  const out: Partial<Record<PiiEntity | 'DEFAULT', Operator>> = {};
  for (const [entity, spec] of Object.entries(pii?.entities ?? {}) as Array<
    [PiiEntity | 'DEFAULT', NonNullable<PolicyPii['entities'][PiiEntity]>]
  >) {
    if (spec.type === 'hash' || spec.type === 'encrypt') {
      const key = resolveKey(spec.keyRef);
      if (key === undefined) {
        throw new KaleidoError(
          'ERR_BAD_CONFIG',
          `pii.entities.${entity}.keyRef: key "${spec.keyRef}" is not configured`,
          {
            details: { field: `pii.entities.${entity}.keyRef` },
          },
        );
      }
      out[entity] =
        spec.type === 'hash'
          ? {
              type: 'hash',
              key,
              ...(spec.encoding !== undefined ? { encoding: spec.encoding } : {}),
              ...(spec.truncate !== undefined ? { truncate: spec.truncate } : {}),
            }
          : { type: 'encrypt', key };
    } else {
      out[entity] = spec;
    }
  }
  return out;
}

export type StorableContent =
  | { readonly withheld: true; readonly action: 'block' }
  | { readonly withheld: false; readonly text: string; readonly redacted: boolean };

export interface ApplyOptions {
  /** PII operators (from `resolvePiiOperators`); entities not listed are replaced by `<ENTITY>`. */
  readonly operators?: OperatorsByEntity;
  readonly crypto?: PiiCrypto;
}

interface Cluster {
  start: number;
  end: number;
  members: Redaction[];
}

/**
 * What of `text` may be returned or stored under `decision`. Block: nothing (`withheld`).
 * Otherwise the decision's redactions are applied: a PII span alone is rewritten with its
 * entity's operator; any other span (or overlapping spans) becomes `[REDACTED:<categories>]`; a
 * redaction without a span replaces the whole text.
 */
export function contentForStorage(
  decision: Decision,
  text: string,
  options: ApplyOptions = {},
): StorableContent {
  if (decision.action === 'block') return { withheld: true, action: 'block' };
  if (decision.redactions.length === 0) return { withheld: false, text, redacted: false };

  const label = (members: readonly Redaction[]): string =>
    `[REDACTED:${[...new Set<SafetyCategory>(members.map((m) => m.category))].sort().join(',')}]`;

  const whole = decision.redactions.filter((r) => r.start === undefined || r.end === undefined);
  if (whole.length > 0) return { withheld: false, text: label(whole), redacted: true };

  const spans = decision.redactions
    .map((r) => {
      const start = r.start as number;
      const end = r.end as number;
      if (end > text.length) {
        throw new KaleidoError('ERR_VALIDATION', 'a redaction span lies outside the text', {
          details: { field: 'redactions', ruleId: r.ruleId, start, end, length: text.length },
        });
      }
      return { r, start, end };
    })
    .sort((a, b) => a.start - b.start || a.end - b.end);

  // Merge overlapping spans so every character is rewritten once.
  const clusters: Cluster[] = [];
  for (const s of spans) {
    if (s.start === s.end) continue; // an empty span hides nothing
    const last = clusters[clusters.length - 1];
    if (last !== undefined && s.start < last.end) {
      last.end = Math.max(last.end, s.end);
      last.members.push(s.r);
    } else clusters.push({ start: s.start, end: s.end, members: [s.r] });
  }

  const parts: string[] = [];
  let cursor = 0;
  for (const c of clusters) {
    parts.push(text.slice(cursor, c.start));
    const value = text.slice(c.start, c.end);
    const entities = new Set(c.members.map((m) => m.entity));
    const entity = c.members[0]?.entity;
    if (
      entity !== undefined &&
      entities.size === 1 &&
      c.members.every((m) => m.start === c.start && m.end === c.end)
    ) {
      const finding = { entity, start: 0, end: value.length, score: 1, recognizer: 'policy' };
      parts.push(anonymize(value, [finding], options.operators ?? {}, options.crypto).text);
    } else {
      parts.push(label(c.members));
    }
    cursor = c.end;
  }
  parts.push(text.slice(cursor));
  return { withheld: false, text: parts.join(''), redacted: true };
}
