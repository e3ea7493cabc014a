/**
 * Language identification with Google's CLD3 (a small feed-forward network over character
 * n-grams, 107 languages) compiled to wasm by `cld3-asm`. The model is inside the wasm binary.
 *
 * CLD3 looks at most `maxBytes` UTF-8 bytes; we allow 1000 (its default is 700) so a paragraph is
 * read whole. `minBytes` is 0: the modality decides what is too short, and CLD3 flags short input
 * through `isReliable` anyway.
 */
import { createRequire } from 'node:module';
import { loadModule, type LanguageIdentifier } from 'cld3-asm';
import { KaleidoError } from '../../core/errors.js';
import type { LanguageGuess, LanguageIdentifierEngine } from '../../core/ports/analyzer.js';

const require = createRequire(import.meta.url);
const VERSION = (require('cld3-asm/package.json') as { version: string }).version;

export interface Cld3Options {
  /** Bytes of UTF-8 input considered (default 1000). */
  readonly maxBytes?: number;
}

export class Cld3LanguageIdentifier implements LanguageIdentifierEngine {
  readonly name = 'cld3';
  readonly version = VERSION;
  private identifier: LanguageIdentifier | undefined;
  private loading: Promise<void> | undefined;

  constructor(private readonly options: Cld3Options = {}) {}

  init(): Promise<void> {
    this.loading ??= loadModule().then((factory) => {
      this.identifier = factory.create(0, this.options.maxBytes ?? 1000);
    });
    return this.loading;
  }

  identify(text: string): LanguageGuess {
    const r = this.ready().findLanguage(text);
    return {
      code: r.language,
      probability: r.probability,
      isReliable: r.is_reliable,
      proportion: r.proportion,
    };
  }

  languages(text: string, n: number): LanguageGuess[] {
    return this.ready()
      .findMostFrequentLanguages(text, n)
      .filter((r) => r.language !== 'und')
      .map((r) => ({
        code: r.language,
        probability: r.probability,
        isReliable: r.is_reliable,
        proportion: r.proportion,
      }));
  }

  close(): Promise<void> {
    this.identifier?.dispose();
    this.identifier = undefined;
    this.loading = undefined;
    return Promise.resolve();
  }

  private ready(): LanguageIdentifier {
    if (this.identifier === undefined) {
      throw new KaleidoError('ERR_UNAVAILABLE', 'cld3 is not initialised (call init first)', {
        details: { engine: this.name },
      });
    }
    return this.identifier;
  }
}
