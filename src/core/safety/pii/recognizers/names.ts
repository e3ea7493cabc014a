import type { AnalysisContext, Finding, Recognizer } from '../types.js';
import {
  AMBIGUOUS_FIRST_NAMES,
  AMBIGUOUS_LOCATIONS,
  FIRST_NAMES,
  LOCATIONS,
  LOCATIVE_WORDS,
  NOT_SURNAMES,
  SURNAME_PARTICLES,
  TITLES,
} from './gazetteer.js';

interface Token {
  text: string;
  start: number;
  end: number;
}

/** Word tokens (letters, inner apostrophes and hyphens); one linear regex pass. */
function tokenize(text: string): Token[] {
  const out: Token[] = [];
  for (const m of text.matchAll(/\p{L}[\p{L}\p{M}'’-]*/gu)) {
    let word = m[0];
    while (word.endsWith("'") || word.endsWith('’') || word.endsWith('-')) word = word.slice(0, -1);
    out.push({ text: word, start: m.index, end: m.index + word.length });
  }
  return out;
}

/** Words directly before a name that make a capitalised pair a person ("Dear Ada Lovelace"). */
const PERSON_CUES: ReadonlySet<string> = new Set([
  'dear',
  'signed',
  'sincerely',
  'regards',
  'employee',
  'patient',
  'name',
  'holder',
  'applicant',
  'customer',
  'client',
  'attn',
  'attention',
  'hi',
  'hello',
  'tenant',
  'cardholder',
  'passenger',
  'beneficiary',
  'recipient',
]);

/** Capitalised word with at least one lower-case letter (so not an acronym like "IBAN"). */
const isCapWord = (w: string): boolean => /^\p{Lu}/u.test(w) && /\p{Ll}/u.test(w) && w.length >= 2;

/** Tokens a and b are separated by exactly one space (or ". " after an initial or a title). */
function adjacent(text: string, a: Token, b: Token): boolean {
  const gap = text.slice(a.end, b.start);
  return gap === ' ' || (gap === '. ' && (a.text.length === 1 || TITLES.has(a.text)));
}

/**
 * Person names by dictionary and shape: a known given name followed by capitalised surname(s)
 * (with particles like "van", "de", and middle initials), or an honorific ("Dr.", "Mrs") followed
 * by capitalised name(s). A known given name alone scores below the threshold unless a context
 * word ("Dear", "patient", "name" …) precedes it. Names whose given name is outside the
 * dictionary and carry no title are missed; this is a dictionary, not a model.
 */
export class PersonRecognizer implements Recognizer {
  readonly name = 'PersonRecognizer';
  readonly entities = ['PERSON'] as const;
  readonly context = [
    'name',
    'named',
    'dear',
    'hi',
    'hello',
    'patient',
    'customer',
    'client',
    'employee',
    'contact',
    'signed',
    'regards',
    'thanks',
    'called',
    'user',
    'applicant',
    'mr',
    'mrs',
    'ms',
    'dr',
  ];

  analyze(text: string, _context: AnalysisContext): Finding[] {
    const tokens = tokenize(text);
    const out: Finding[] = [];
    for (let t = 0; t < tokens.length; t++) {
      const tok = tokens[t]!;
      if (TITLES.has(tok.text)) {
        const end = this.extendSurnames(text, tokens, t, 2);
        if (end > t) {
          out.push(
            this.finding(tokens[t + 1]!.start, tokens[end]!.end, 0.8, 'honorific and capitalised name'),
          );
          t = end;
        }
        continue;
      }
      const known = FIRST_NAMES.has(tok.text);
      const ambiguous = AMBIGUOUS_FIRST_NAMES.has(tok.text);
      if (!known && !ambiguous) {
        // An unknown given name still counts right after a strong cue ("Dear", "Signed,",
        // "Employee", "Name:"), when followed by a capitalised surname.
        if (isCapWord(tok.text) && !NOT_SURNAMES.has(tok.text) && this.cuedBefore(text, tokens, t)) {
          const end = this.extendSurnames(text, tokens, t, 2);
          if (end > t) {
            out.push(this.finding(tok.start, tokens[end]!.end, 0.6, 'capitalised name after a person cue'));
            t = end;
          }
        }
        continue;
      }
      const end = this.extendSurnames(text, tokens, t, 3);
      if (end > t) {
        const score = ambiguous ? 0.6 : 0.75;
        out.push(this.finding(tok.start, tokens[end]!.end, score, 'given name and capitalised surname'));
        t = end;
      } else if (!ambiguous) {
        out.push(this.finding(tok.start, tok.end, 0.35, 'given name alone'));
      }
    }
    return out;
  }

  /**
   * Index of the last token of a name continuing after token `t`: up to `max` capitalised words,
   * single-letter initials and lower-case particles, ending on a capitalised word. `t` if none.
   */
  private extendSurnames(text: string, tokens: Token[], t: number, max: number): number {
    let last = t;
    let k = t;
    let words = 0;
    while (words < max) {
      const next = tokens[k + 1];
      if (next === undefined || !adjacent(text, tokens[k]!, next)) break;
      if (SURNAME_PARTICLES.has(next.text)) {
        k++;
        continue;
      }
      const initial = next.text.length === 1 && /\p{Lu}/u.test(next.text) && text[next.end] === '.';
      if (!initial && (!isCapWord(next.text) || NOT_SURNAMES.has(next.text))) break;
      k++;
      words++;
      if (!initial) last = k;
    }
    return last;
  }

  private cuedBefore(text: string, tokens: Token[], t: number): boolean {
    const prev = tokens[t - 1];
    if (prev === undefined || !PERSON_CUES.has(prev.text.toLowerCase())) return false;
    return /^[,:]? $/.test(text.slice(prev.end, tokens[t]!.start));
  }

  private finding(start: number, end: number, score: number, how: string): Finding {
    return { entity: 'PERSON', start, end, score, recognizer: this.name, explanation: how };
  }
}

/** Gazetteer keyed by first word; each entry a phrase as words, longest first. */
const LOCATION_INDEX: ReadonlyMap<string, readonly (readonly string[])[]> = (() => {
  const index = new Map<string, string[][]>();
  for (const place of LOCATIONS) {
    const parts = place.split(' ');
    const list = index.get(parts[0]!) ?? [];
    list.push(parts);
    index.set(parts[0]!, list);
  }
  for (const list of index.values()) list.sort((a, b) => b.length - a.length);
  return index;
})();

/**
 * Locations from a gazetteer of countries and major cities (case-sensitive, longest phrase wins:
 * "New York City" over "New York"). Names that are also common words or given names ("Nice",
 * "Turkey", "Jordan", "Paris") count only after a locative word ("in", "from", "near" …).
 * Streets, small towns and addresses are not covered.
 */
export class LocationRecognizer implements Recognizer {
  readonly name = 'LocationRecognizer';
  readonly entities = ['LOCATION'] as const;
  readonly context = [
    'city',
    'country',
    'lives in',
    'located',
    'address',
    'town',
    'born in',
    'moved to',
    'travel',
    'resident',
  ];

  analyze(text: string, _context: AnalysisContext): Finding[] {
    const tokens = tokenize(text);
    const out: Finding[] = [];
    for (let t = 0; t < tokens.length; t++) {
      const candidates = LOCATION_INDEX.get(tokens[t]!.text);
      if (candidates === undefined) continue;
      const phrase = candidates.find((parts) => this.matches(text, tokens, t, parts));
      if (phrase === undefined) continue;
      const last = tokens[t + phrase.length - 1]!;
      const name = phrase.join(' ');
      const prev = tokens[t - 1];
      const locative =
        prev !== undefined &&
        LOCATIVE_WORDS.has(prev.text.toLowerCase()) &&
        text.slice(prev.end, tokens[t]!.start) === ' ';
      // A following capitalised word glued to the place ("Paris Hilton", "Jordan Peterson")
      // makes it part of another name.
      const nextTok = tokens[t + phrase.length];
      const gluedToName =
        nextTok !== undefined && isCapWord(nextTok.text) && text.slice(last.end, nextTok.start) === ' ';
      let score = 0.7;
      if (AMBIGUOUS_LOCATIONS.has(name)) score = locative ? 0.6 : 0.25;
      if (gluedToName && !locative) score = Math.min(score, 0.3);
      out.push({
        entity: 'LOCATION',
        start: tokens[t]!.start,
        end: last.end,
        score,
        recognizer: this.name,
        explanation: 'gazetteer',
      });
      t += phrase.length - 1;
    }
    return out;
  }

  private matches(text: string, tokens: Token[], t: number, parts: readonly string[]): boolean {
    for (let k = 0; k < parts.length; k++) {
      const tok = tokens[t + k];
      if (tok === undefined || tok.text !== parts[k]) return false;
      if (k > 0 && text.slice(tokens[t + k - 1]!.end, tok.start) !== ' ') return false;
    }
    return true;
  }
}
