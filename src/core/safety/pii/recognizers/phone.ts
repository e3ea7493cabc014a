import type { AnalysisContext, Finding, PhoneValidator, Recognizer } from '../types.js';
import { parseIPv4 } from '../ip.js';
import { isAlnum, isDigit } from '../text.js';

const SEPARATORS = new Set([' ', '-', '.', '(', ')', '/']);

interface Candidate {
  start: number;
  end: number;
  /** End offsets of each digit group, to retry without trailing groups. */
  groupEnds: number[];
  digitCount: number;
}

/** Boundaries between digit groups, counted in digits from the end of the number. */
function boundariesFromEnd(groups: readonly number[]): Set<number> {
  const out = new Set<number>();
  let acc = 0;
  for (let k = groups.length - 1; k > 0; k--) {
    acc += groups[k]!;
    out.add(acc);
  }
  return out;
}

/**
 * Whether the way a national number is split into groups agrees with its national format: every
 * break the writer made inside the national number must be a break of the usual format (fewer
 * breaks are fine: "4155552671", "415 5552671"). "4164-56-1606" is a build number, not
 * (416) 456-1606. Breaks before the national number (trunk prefix "1-") are ignored. This is
 * libphonenumber's strict-grouping idea, applied only to numbers without a '+'.
 */
export function groupingConsistent(candidate: string, nationalGroups: readonly number[]): boolean {
  const written = (candidate.match(/\d+/g) ?? []).map((g) => g.length);
  const expected = boundariesFromEnd(nationalGroups);
  const nationalLength = nationalGroups.reduce((a, b) => a + b, 0);
  for (const b of boundariesFromEnd(written)) if (b < nationalLength && !expected.has(b)) return false;
  return true;
}

/**
 * Phone numbers, international ("+44 20 7946 0958") and national in the configured regions
 * ("(415) 555-2671"). Candidate extraction is a linear scan for digit groups joined by common
 * separators; whether the digits form a real number is decided by the injected
 * `PhoneValidator` (libphonenumber metadata in production). Score reflects how phone-like the
 * writing is: '+' prefix 0.75, grouped national 0.6, bare digits 0.4 (needs a context word).
 * Shapes that belong to other entities (dotted quads, dates, AAA-GG-SSSS) are skipped.
 */
export class PhoneRecognizer implements Recognizer {
  readonly name = 'PhoneRecognizer';
  readonly entities = ['PHONE_NUMBER'] as const;
  readonly context = [
    'phone',
    'tel',
    'telephone',
    'mobile',
    'cell',
    'call',
    'fax',
    'contact',
    'reach',
    'whatsapp',
    'sms',
    'text me',
    'dial',
  ];
  readonly negativeContext = [
    'part',
    'sku',
    'order',
    'serial',
    'model',
    'invoice',
    'ref',
    'reference',
    'item',
    'tracking',
    'product',
    'batch',
    'lot',
  ];

  constructor(private readonly validator: PhoneValidator) {}

  analyze(text: string, context: AnalysisContext): Finding[] {
    const out: Finding[] = [];
    let i = 0;
    while (i < text.length) {
      const ch = text[i];
      const startsHere =
        (ch === '+' || ch === '(' || isDigit(ch)) &&
        !isAlnum(text[i - 1]) &&
        text[i - 1] !== '.' &&
        text[i - 1] !== '-' &&
        text[i - 1] !== '+';
      if (!startsHere) {
        i++;
        continue;
      }
      const cand = this.readCandidate(text, i);
      if (cand === undefined) {
        i++;
        continue;
      }
      const finding = this.validate(text, cand, context);
      if (finding !== undefined) out.push(finding);
      i = cand.end;
    }
    return out;
  }

  private readCandidate(text: string, start: number): Candidate | undefined {
    let p = start;
    if (text[p] === '+') p++;
    const groupEnds: number[] = [];
    let digitCount = 0;
    let lastDigitEnd = -1;
    while (p < text.length) {
      if (isDigit(text[p])) {
        while (isDigit(text[p])) {
          p++;
          digitCount++;
        }
        lastDigitEnd = p;
        groupEnds.push(p);
        if (digitCount > 17) return { start, end: p, groupEnds, digitCount };
        continue;
      }
      // Up to two separators in a row (") " or " (").
      let q = p;
      while (q < text.length && q - p < 2 && SEPARATORS.has(text[q]!)) q++;
      if (q === p || (!isDigit(text[q]) && text[q] !== '(')) break;
      if (text[q] === '(') q++;
      if (!isDigit(text[q])) break;
      p = q;
    }
    if (lastDigitEnd < 0) return undefined;
    return { start, end: lastDigitEnd, groupEnds, digitCount };
  }

  private validate(text: string, cand: Candidate, context: AnalysisContext): Finding | undefined {
    // The number must not continue into letters ("555-1234x") or a decimal part.
    if (isAlnum(text[cand.end]) || (text[cand.end] === '.' && isDigit(text[cand.end + 1]))) return undefined;
    if (cand.digitCount < 7 || cand.digitCount > 15) return undefined;
    const raw = text.slice(cand.start, cand.end);
    if (this.belongsElsewhere(raw)) return undefined;
    // Try the whole candidate, then without one or two trailing groups ("+49 30 901820 07700" is
    // a number followed by a postcode).
    for (let drop = 0; drop <= 2 && drop < cand.groupEnds.length; drop++) {
      const end = cand.groupEnds[cand.groupEnds.length - 1 - drop]!;
      let s = cand.start;
      // "(415) 555" with the group dropped may leave an unbalanced "(": skip it.
      const value = text.slice(s, end);
      const digits = value.replace(/\D/g, '');
      if (digits.length < 7) break;
      if (value.startsWith('(') && !value.includes(')')) s++;
      const candidate = text.slice(s, end);
      // National numbers (with trunk prefix) have at most 13 digits in every numbering plan:
      // longer national candidates are not worth a metadata lookup.
      if (!candidate.startsWith('+') && digits.length > 13) continue;
      const regions = candidate.startsWith('+') ? ['ZZ'] : context.regions;
      for (const region of regions) {
        const valid = this.validator.validate(candidate, region);
        if (valid === undefined) continue;
        const international = candidate.startsWith('+');
        if (
          !international &&
          valid.nationalGroups !== undefined &&
          !groupingConsistent(candidate, valid.nationalGroups)
        )
          continue;
        const grouped = /[ ()./-]/.test(candidate);
        const score = international ? 0.75 : grouped ? 0.6 : 0.4;
        return {
          entity: 'PHONE_NUMBER',
          start: s,
          end,
          score,
          recognizer: this.name,
          explanation: `valid number for ${valid.region} (${valid.e164})`,
        };
      }
    }
    return undefined;
  }

  /** Dotted quads, ISO and D/M/Y dates, and AAA-GG-SSSS are other entities' shapes. */
  private belongsElsewhere(raw: string): boolean {
    if (parseIPv4(raw) !== undefined) return true;
    if (/^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$/.test(raw) || /^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$/.test(raw))
      return true;
    return /^\d{3}-\d{2}-\d{4}$/.test(raw);
  }
}
