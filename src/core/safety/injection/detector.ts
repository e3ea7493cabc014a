/**
 * Prompt-injection / jailbreak heuristics for text that will reach a downstream LLM.
 *
 * Method (docs/safety-policies.md reports its measured precision and recall):
 * 1. Invisible and Unicode-tag characters are stripped (and themselves reported), so that
 *    "ig\u200Bnore previous instructions" reads as what the model will read.
 * 2. Phrase patterns (patterns.ts) run on the cleaned text: instruction override in English and
 *    eight other languages, jailbreak personas, system-prompt exfiltration, fake role markers,
 *    "decode and follow", data exfiltration requests.
 * 3. Encoded payloads are decoded and the phrase patterns run on the result: base64/base64url
 *    and hex blobs, ROT13 of the whole text, hidden Unicode-tag ASCII.
 * 4. Markdown and HTML images whose URL carries a query string (the zero-click exfiltration
 *    channel: the renderer fetches the URL, leaking whatever the model put into it).
 * 5. Discussion damping: a phrase match inside quotes in a text that talks about attacks ("what
 *    does 'ignore previous instructions' do?") is weighted down, since it is mentioned, not used.
 * The score is the noisy-OR of the strongest weight of each distinct signal id.
 *
 * No injection model is available on this machine. A model (e.g. an ONNX prompt-injection
 * classifier) plugs in beside this as another `prompt-injection` CategoryScore with
 * `source.kind: 'model'`; the policy then acts on either.
 */
import { KaleidoError } from '../../errors.js';
import type { CategoryScore, ScoreSource } from '../taxonomy.js';
import { decodeBase64Text, decodeHexText, decodeTagRuns, rot13, stripInvisible } from './decode.js';
import type { InjectionFamily, PhrasePattern } from './patterns.js';
import { PHRASE_PATTERNS } from './patterns.js';

export interface InjectionSignal {
  /** Pattern id (`override.ignore-previous`) or structural signal id (`unicode-tags`). */
  readonly id: string;
  readonly family: InjectionFamily;
  /** The weight this signal contributed (after damping). */
  readonly weight: number;
  /** Span in the original text (UTF-16 offsets, end exclusive). */
  readonly start: number;
  readonly end: number;
  /** How it was found: `base64`, `hex`, `rot13`, `unicode-tags`, a language code … */
  readonly detail?: string;
  /** True when discussion damping lowered the weight. */
  readonly damped?: boolean;
}

export interface InjectionResult {
  /** In [0, 1]. */
  readonly score: number;
  /** Signals sorted by position; at most one entry per (id, span). */
  readonly signals: readonly InjectionSignal[];
  /** The same result as a taxonomy score, for the policy engine. */
  readonly categoryScore: CategoryScore;
}

export interface InjectionDetectorOptions {
  readonly patterns?: readonly PhrasePattern[];
  /** Multiplier for quoted matches in texts about attacks (default 0.35). */
  readonly discussionDamping?: number;
  /** Longest text accepted, in UTF-16 code units (default 1 000 000). */
  readonly maxTextLength?: number;
}

/** Rule-set name and version; bump the version whenever a pattern, weight or step changes. */
export const INJECTION_SOURCE: ScoreSource = {
  kind: 'rules',
  name: 'kaleido-injection-heuristics',
  version: '1.0.0',
};

/** The decision threshold the evaluation uses and the default policy mirrors. */
export const INJECTION_THRESHOLD = 0.5;

interface CompiledPattern {
  readonly p: PhrasePattern;
  readonly re: RegExp;
}

const BASE64_BLOB = /(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/=_-])/g;
const HEX_BLOB = /(?<![0-9A-Fa-f])(?:(?:\\x)?[0-9A-Fa-f]{2}[\s:]?){10,}(?![0-9A-Fa-f])/g;
const MD_IMAGE = /!\[[^\]\n]{0,200}\]\(\s*<?(https?:\/\/[^\s)>]{1,2048})>?(?:\s+"[^"\n]{0,200}")?\s*\)/gi;
const HTML_IMAGE = /<img\b[^>]{0,500}?\bsrc\s*=\s*["']?(https?:\/\/[^"'\s>]{1,2048})/gi;
const SUSPICIOUS_QUERY =
  /[{}<>$]|%7[bd]|%3c|(?:^|[?&])(?:data|secret|prompt|conversation|history|chat|password|pwd|token|key|session|message|msg|info|leak|exfil|payload|content|q)=/i;
/** Quote pairs a phrase can be mentioned in. */
const QUOTED = /"[^"\n]{1,300}"|“[^”\n]{1,300}”|«[^»\n]{1,300}»|`[^`\n]{1,300}`|'[^'\n]{4,300}'/g;
const DISCUSSION =
  /\b(?:attacks?|injections?|jailbreaks?|examples?|techniques?|vulnerabilit(?:y|ies)|payloads?|defen[cs]es?|defend|detect(?:ion|or|s)?|red[-\s]?team(?:ing)?|research|paper|classifier|filter|phrases?|strings?|mean|means|called|quoted?)\b/i;

export class InjectionDetector {
  private readonly patterns: readonly CompiledPattern[];
  private readonly damping: number;
  private readonly maxLength: number;

  constructor(options: InjectionDetectorOptions = {}) {
    this.patterns = (options.patterns ?? PHRASE_PATTERNS).map((p) => {
      try {
        return { p, re: new RegExp(p.pattern, p.caseSensitive === true ? 'gu' : 'giu') };
      } catch (cause) {
        throw new KaleidoError('ERR_BAD_CONFIG', `injection pattern ${p.id}: invalid regular expression`, {
          details: { field: p.id },
          cause,
        });
      }
    });
    this.damping = options.discussionDamping ?? 0.35;
    if (!(this.damping >= 0 && this.damping <= 1)) {
      throw new KaleidoError('ERR_BAD_CONFIG', 'discussionDamping must be in [0, 1]', {
        details: { field: 'discussionDamping', value: this.damping },
      });
    }
    this.maxLength = options.maxTextLength ?? 1_000_000;
  }

  detect(text: string): InjectionResult {
    if (typeof text !== 'string') {
      throw new KaleidoError('ERR_VALIDATION', 'text must be a string', { details: { field: 'text' } });
    }
    if (text.length > this.maxLength) {
      throw new KaleidoError('ERR_VALIDATION', `text is longer than ${this.maxLength} characters`, {
        details: { field: 'text', length: text.length },
      });
    }
    const signals: InjectionSignal[] = [];
    const { cleaned, map, removed } = stripInvisible(text);
    const toOriginal = (i: number): number => map[Math.min(i, map.length - 1)] as number;

    // 1. Hidden characters.
    const tagRuns = decodeTagRuns(text);
    for (const run of tagRuns) {
      signals.push({
        id: 'unicode-tags',
        family: 'unicode-tags',
        weight: 0.9,
        start: run.start,
        end: run.end,
        detail: 'unicode-tags',
      });
    }
    const invisibleOnly = removed - tagRuns.reduce((n, r) => n + [...text.slice(r.start, r.end)].length, 0);
    if (invisibleOnly >= 2) {
      signals.push({
        id: 'invisible-characters',
        family: 'invisible',
        weight: 0.45,
        start: 0,
        end: text.length,
        detail: `${invisibleOnly} invisible characters`,
      });
    }

    // 2. Phrases in the cleaned text, with discussion damping.
    const quoted = [...cleaned.matchAll(QUOTED)].map((m) => [m.index, m.index + m[0].length] as const);
    const discussing = DISCUSSION.test(cleaned);
    for (const hit of this.phrases(cleaned)) {
      const inQuotes = quoted.some(([a, b]) => hit.start >= a && hit.end <= b);
      const damped = discussing && inQuotes;
      signals.push({
        id: hit.p.id,
        family: hit.p.family,
        weight: damped ? hit.p.weight * this.damping : hit.p.weight,
        start: toOriginal(hit.start),
        end: toOriginal(hit.end),
        ...(hit.p.language !== undefined ? { detail: hit.p.language } : {}),
        ...(damped ? { damped: true } : {}),
      });
    }

    // 3. Encoded payloads: decode, then look for the same phrases inside.
    const payload = (decoded: string, start: number, end: number, detail: string): void => {
      const inner = this.phrases(decoded).filter((h) => h.p.family !== 'encoded' && h.p.weight >= 0.5);
      const strongest = inner.reduce((w, h) => Math.max(w, h.p.weight), 0);
      if (strongest > 0) {
        const ids = [...new Set(inner.map((h) => h.p.id))].join(',');
        signals.push({
          id: `encoded.${detail}`,
          family: 'encoded',
          weight: Math.max(0.85, strongest),
          start,
          end,
          detail: `${detail}: ${ids}`,
        });
      }
    };
    for (const m of cleaned.matchAll(BASE64_BLOB)) {
      const decoded = decodeBase64Text(m[0]);
      if (decoded !== undefined)
        payload(decoded, toOriginal(m.index), toOriginal(m.index + m[0].length), 'base64');
    }
    for (const m of cleaned.matchAll(HEX_BLOB)) {
      const blob = m[0].trimEnd();
      const decoded = decodeHexText(blob);
      if (decoded !== undefined)
        payload(decoded, toOriginal(m.index), toOriginal(m.index + blob.length), 'hex');
    }
    for (const run of tagRuns)
      if (run.hidden.trim() !== '') payload(run.hidden, run.start, run.end, 'unicode-tags');
    // ROT13 keeps every offset, so its hits map straight back. Only hits the plain text lacks count.
    const plainIds = new Set(signals.map((s) => s.id));
    for (const hit of this.phrases(rot13(cleaned))) {
      if (hit.p.family === 'encoded' || hit.p.weight < 0.5 || plainIds.has(hit.p.id)) continue;
      signals.push({
        id: 'encoded.rot13',
        family: 'encoded',
        weight: 0.85,
        start: toOriginal(hit.start),
        end: toOriginal(hit.end),
        detail: `rot13: ${hit.p.id}`,
      });
    }

    // 4. Images whose URL carries data out.
    for (const re of [MD_IMAGE, HTML_IMAGE]) {
      for (const m of cleaned.matchAll(re)) {
        const url = m[1] as string;
        const q = url.indexOf('?');
        if (q < 0 || q === url.length - 1) continue;
        const suspicious = SUSPICIOUS_QUERY.test(url.slice(q));
        signals.push({
          id: re === MD_IMAGE ? 'markup-exfil.markdown-image' : 'markup-exfil.html-image',
          family: 'markup-exfil',
          weight: suspicious ? 0.8 : 0.3,
          start: toOriginal(m.index),
          end: toOriginal(m.index + m[0].length),
          detail: suspicious ? 'query carries data or a template placeholder' : 'query string',
        });
      }
    }

    // Noisy-OR over distinct signal ids, each at its strongest.
    const strongest = new Map<string, number>();
    for (const s of signals) strongest.set(s.id, Math.max(strongest.get(s.id) ?? 0, s.weight));
    let miss = 1;
    for (const w of strongest.values()) miss *= 1 - w;
    const score = 1 - miss;
    signals.sort((a, b) => a.start - b.start || a.end - b.end || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    return {
      score,
      signals,
      categoryScore: {
        category: 'prompt-injection',
        score,
        source: INJECTION_SOURCE,
        spans: signals.map((s) => ({ start: s.start, end: s.end, label: s.id })),
      },
    };
  }

  private phrases(text: string): Array<{ p: PhrasePattern; start: number; end: number }> {
    const hits: Array<{ p: PhrasePattern; start: number; end: number }> = [];
    for (const { p, re } of this.patterns) {
      re.lastIndex = 0;
      for (const m of text.matchAll(re)) hits.push({ p, start: m.index, end: m.index + m[0].length });
    }
    return hits;
  }
}
