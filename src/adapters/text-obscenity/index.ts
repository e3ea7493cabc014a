/**
 * Profanity matching with `obscenity`: its English data set (words with whitelisted look-alikes,
 * so "Scunthorpe" is clean) and its recommended transformers (leet-speak, repeated letters,
 * confusable characters, case). Obscenity reports inclusive end indices into the original string;
 * they are turned into the exclusive UTF-16 spans the analyzers use.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { RegExpMatcher, englishDataset, englishRecommendedTransformers } from 'obscenity';
import { KaleidoError } from '../../core/errors.js';
import type { ProfanityEngine, ProfanityMatch } from '../../core/ports/analyzer.js';

const require = createRequire(import.meta.url);
// obscenity exports no package.json: read it next to the resolved entry (dist/index.js).
const VERSION = (
  JSON.parse(readFileSync(join(dirname(require.resolve('obscenity')), '..', 'package.json'), 'utf8')) as {
    version: string;
  }
).version;

export class ObscenityProfanity implements ProfanityEngine {
  readonly name = 'obscenity-english';
  readonly version = VERSION;
  private matcher: RegExpMatcher | undefined;

  init(): Promise<void> {
    this.matcher ??= new RegExpMatcher({ ...englishDataset.build(), ...englishRecommendedTransformers });
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.matcher = undefined;
    return Promise.resolve();
  }

  matches(text: string): ProfanityMatch[] {
    if (this.matcher === undefined) {
      throw new KaleidoError('ERR_UNAVAILABLE', 'obscenity is not initialised (call init first)', {
        details: { engine: this.name },
      });
    }
    const seen = new Set<string>();
    const out: ProfanityMatch[] = [];
    for (const m of this.matcher.getAllMatches(text, true)) {
      const term =
        englishDataset.getPayloadWithPhraseMetadata(m).phraseMetadata?.originalWord ??
        text.slice(m.startIndex, m.endIndex + 1);
      const key = `${m.startIndex}:${m.endIndex}:${term}`;
      // The data set lists some words under several patterns; one span per word is enough.
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ start: m.startIndex, end: m.endIndex + 1, term });
    }
    return out;
  }
}
