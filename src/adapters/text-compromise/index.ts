/**
 * People, places and organisations from `compromise` (rule- and lexicon-based English NLP; no
 * statistical model). Its offsets are UTF-16 indices into the input; a match can carry trailing
 * punctuation ("New York City."), which is trimmed here so the span is the name only.
 */
import nlp from 'compromise';
import type { EngineEntity, EntityEngine } from '../../core/ports/analyzer.js';

// compromise exports no package.json; it carries its version on the default export.
const VERSION = String((nlp as unknown as { version?: string }).version ?? 'unknown');

interface OffsetJson {
  readonly offset?: { readonly start: number; readonly length: number };
}

type Doc = ReturnType<typeof nlp>;
/** The common part of the views compromise returns (People, Two …): what `.json()` needs. */
interface View {
  json(options: object): unknown;
}

const SELECTORS: ReadonlyArray<readonly [string, (doc: Doc) => View]> = [
  ['PERSON', (doc) => doc.people()],
  ['PLACE', (doc) => doc.places()],
  ['ORGANIZATION', (doc) => doc.organizations()],
];

/** Characters trimmed from both ends of a match (punctuation compromise keeps on its terms). */
const EDGE = /[\s.,;:!?"'“”‘’()[\]{}]/u;

export class CompromiseEntities implements EntityEngine {
  readonly name = 'compromise';
  readonly version = VERSION;
  readonly types: readonly string[] = SELECTORS.map(([t]) => t);

  init(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  entities(text: string): EngineEntity[] {
    const doc = nlp(text);
    const out: EngineEntity[] = [];
    for (const [type, select] of SELECTORS) {
      for (const j of select(doc).json({ offset: true }) as OffsetJson[]) {
        if (j.offset === undefined) continue;
        let start = j.offset.start;
        let end = Math.min(text.length, start + j.offset.length);
        while (start < end && EDGE.test(text.charAt(start))) start++;
        // Keep the dot of an abbreviation at the end ("Acme Inc."): drop it only after a longer word.
        while (end > start && EDGE.test(text.charAt(end - 1))) {
          if (text.charAt(end - 1) === '.' && /\b[A-Z][a-z]{0,3}$/.test(text.slice(start, end - 1))) break;
          end--;
        }
        if (end > start) out.push({ type, start, end });
      }
    }
    return out;
  }
}
