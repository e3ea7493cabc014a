/**
 * wink-nlp with its English lite model (`wink-eng-lite-web-model`): lexicon-based sentiment with
 * negation handling, and pattern-based entities (dates, times, money, percentages, numbers, URLs,
 * e-mails, hashtags, mentions, emoji). One nlp instance (≈ 4 MB of JSON) serves both engines.
 *
 * wink reports entity spans as token indices; tokens are verbatim pieces of the input (contractions
 * are split, not rewritten: "can't" → "ca", "n't"), so character offsets are recovered by walking
 * the text with a cursor.
 */
import { createRequire } from 'node:module';
import winkNLP, { type ItemEntity } from 'wink-nlp';
import model from 'wink-eng-lite-web-model';
import { KaleidoError } from '../../core/errors.js';
import type { EngineEntity, EntityEngine, SentimentEngine } from '../../core/ports/analyzer.js';

const require = createRequire(import.meta.url);
const VERSION = `${(require('wink-nlp/package.json') as { version: string }).version}+eng-lite-${(require('wink-eng-lite-web-model/package.json') as { version: string }).version}`;

type Nlp = ReturnType<typeof winkNLP>;

/** Entity types the lite model's patterns produce. */
export const WINK_ENTITY_TYPES = [
  'DATE',
  'TIME',
  'DURATION',
  'MONEY',
  'PERCENT',
  'CARDINAL',
  'ORDINAL',
  'URL',
  'EMAIL',
  'HASHTAG',
  'MENTION',
  'EMOJI',
  'EMOTICON',
] as const;

/** Shares one loaded wink instance between the sentiment and the entity engines. */
export class WinkNlp {
  private nlp: Nlp | undefined;

  get instance(): Nlp {
    this.nlp ??= winkNLP(model);
    return this.nlp;
  }
}

abstract class WinkEngine {
  readonly version = VERSION;
  private loaded = false;

  constructor(protected readonly shared: WinkNlp) {}

  init(): Promise<void> {
    void this.shared.instance;
    this.loaded = true;
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.loaded = false;
    return Promise.resolve();
  }

  protected nlp(name: string): Nlp {
    if (!this.loaded) {
      throw new KaleidoError('ERR_UNAVAILABLE', `${name} is not initialised (call init first)`, {
        details: { engine: name },
      });
    }
    return this.shared.instance;
  }
}

export class WinkSentiment extends WinkEngine implements SentimentEngine {
  readonly name = 'wink-sentiment';

  polarity(text: string): number {
    const nlp = this.nlp(this.name);
    const score = nlp.readDoc(text).out(nlp.its.sentiment) as unknown;
    return typeof score === 'number' && Number.isFinite(score) ? Math.max(-1, Math.min(1, score)) : 0;
  }
}

export class WinkEntities extends WinkEngine implements EntityEngine {
  readonly name = 'wink-entities';
  readonly types: readonly string[] = WINK_ENTITY_TYPES;

  entities(text: string): EngineEntity[] {
    const nlp = this.nlp(this.name);
    const its = nlp.its;
    const doc = nlp.readDoc(text);
    const values = doc.tokens().out(its.value) as string[];
    const starts: number[] = [];
    const ends: number[] = [];
    let cursor = 0;
    for (const v of values) {
      const at = text.indexOf(v, cursor);
      const start = at === -1 ? cursor : at;
      starts.push(start);
      ends.push(start + v.length);
      cursor = start + v.length;
    }
    const out: EngineEntity[] = [];
    doc.entities().each((e: ItemEntity) => {
      const [first, last] = e.out(its.span) as unknown as [number, number];
      const type = String(e.out(its.type));
      const start = starts[first];
      const end = ends[last];
      if (start === undefined || end === undefined || end <= start) return;
      out.push({ type, start, end });
    });
    return out;
  }
}
