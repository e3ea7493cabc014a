/**
 * The taxonomy tables of docs/safety-policies.md, rendered from the code so the two cannot drift
 * (taxonomy-doc.test.ts checks that the doc contains exactly this text).
 */
import {
  ALL_SAFETY_CATEGORIES,
  AZURE_CATEGORIES,
  FROM_AZURE,
  FROM_MLCOMMONS,
  FROM_OPENAI,
  MLCOMMONS_HAZARDS,
  OPENAI_CATEGORIES,
  SafetyCategories,
  TO_AZURE,
  TO_MLCOMMONS,
  TO_OPENAI,
} from '../core/safety/taxonomy.js';
import type { MlcHazard } from '../core/safety/taxonomy.js';

const list = (xs: readonly string[]): string =>
  xs.length === 0 ? '—' : xs.map((x) => `\`${x}\``).join(', ');

export function formatTaxonomyTables(): string {
  const hazards = Object.keys(MLCOMMONS_HAZARDS) as MlcHazard[];
  return [
    '### Categories',
    '',
    '| category | covers | OpenAI | Azure | MLCommons |',
    '| --- | --- | --- | --- | --- |',
    ...ALL_SAFETY_CATEGORIES.map(
      (c) =>
        `| \`${c}\` | ${SafetyCategories[c].description} | ${list(TO_OPENAI[c])} | ${list(TO_AZURE[c])} | ${list(TO_MLCOMMONS[c])} |`,
    ),
    '',
    '### From OpenAI moderation',
    '',
    '| OpenAI category | Kaleido category |',
    '| --- | --- |',
    ...OPENAI_CATEGORIES.map((c) => `| \`${c}\` | \`${FROM_OPENAI[c]}\` |`),
    '',
    '### From Azure AI Content Safety',
    '',
    '| Azure category | Kaleido category |',
    '| --- | --- |',
    ...AZURE_CATEGORIES.map((c) => `| \`${c}\` | \`${FROM_AZURE[c]}\` |`),
    '',
    '### From the MLCommons hazard taxonomy (Llama Guard 3 numbering)',
    '',
    '| code | hazard | Kaleido category |',
    '| --- | --- | --- |',
    ...hazards.map((h) => `| ${h} | ${MLCOMMONS_HAZARDS[h]} | \`${FROM_MLCOMMONS[h]}\` |`),
  ].join('\n');
}

/**
 * Markdown with table cells trimmed and delimiter rows shortened, so text can be compared with a
 * document that Prettier has re-aligned.
 */
export function normalizeMarkdownTables(markdown: string): string {
  return markdown
    .split('\n')
    .map((line) =>
      line.trimStart().startsWith('|')
        ? line
            .trim()
            .split(/(?<!\\)\|/)
            .map((cell) => cell.trim().replace(/^(:?)-{3,}(:?)$/, '$1---$2'))
            .join('|')
        : line,
    )
    .join('\n');
}
