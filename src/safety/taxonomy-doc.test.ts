import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatTaxonomyTables, normalizeMarkdownTables } from './taxonomy-doc.js';

describe('docs/safety-policies.md', () => {
  it('contains the taxonomy and mapping tables exactly as the code defines them', () => {
    const doc = readFileSync('docs/safety-policies.md', 'utf8');
    expect(normalizeMarkdownTables(doc)).toContain(normalizeMarkdownTables(formatTaxonomyTables()));
  });

  it('compares tables independently of column alignment', () => {
    expect(normalizeMarkdownTables('|  a  | b |\n| :---- | ----: |\ntext  | x')).toBe(
      '|a|b|\n|:---|---:|\ntext  | x',
    );
  });
});
