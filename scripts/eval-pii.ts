/**
 * PII detection evaluation: runs the default analyzer (with libphonenumber phone metadata) on the
 * committed synthetic set, prints per-entity precision / recall / F2 (exact-span and token-level)
 * and per-recognizer speed, and rewrites the results section of docs/safety.md.
 *
 *   npx tsx scripts/eval-pii.ts [--data test/fixtures/pii/eval.jsonl] [--no-write] [--errors]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, platform, release } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { format, resolveConfig } from 'prettier';
import { LibphonenumberPhoneValidator } from '../src/adapters/pii-phone-libphonenumber/index.js';
import {
  PiiAnalyzer,
  defaultRecognizers,
  evaluatePii,
  formatEvaluationTable,
} from '../src/core/safety/pii/index.js';
import type { EvalExample } from '../src/core/safety/pii/index.js';

const { values: args } = parseArgs({
  options: {
    data: { type: 'string', default: 'test/fixtures/pii/eval.jsonl' },
    doc: { type: 'string', default: 'docs/safety.md' },
    'no-write': { type: 'boolean', default: false },
    errors: { type: 'boolean', default: false },
  },
});

/** Regions for national phone formats; src/core/safety/pii/eval.test.ts uses the same. */
const EVAL_REGIONS = ['US', 'GB'];

const examples: EvalExample[] = readFileSync(resolve(args.data), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as EvalExample);

const recognizers = defaultRecognizers({ phoneValidator: new LibphonenumberPhoneValidator() });
const analyzer = new PiiAnalyzer({ recognizers });
const detect = (text: string) => analyzer.analyze(text, { regions: EVAL_REGIONS });

const t0 = performance.now();
const report = evaluatePii(examples, detect);
const evalMs = performance.now() - t0;
const table = formatEvaluationTable(report);
console.log(table);
console.log(`\n${examples.length} sentences analysed in ${evalMs.toFixed(0)} ms`);

if (args.errors) {
  for (const ex of examples) {
    const found = detect(ex.text);
    const key = (s: { entity: string; start: number; end: number }): string =>
      `${s.entity}:${s.start}:${s.end}`;
    const gold = new Set(ex.spans.map(key));
    const pred = new Set(found.map(key));
    const fn = ex.spans.filter((s) => !pred.has(key(s)));
    const fp = found.filter((s) => !gold.has(key(s)));
    if (fn.length + fp.length === 0) continue;
    console.log(`\n${JSON.stringify(ex.text)}`);
    for (const s of fn) console.log(`  missed ${s.entity} ${JSON.stringify(ex.text.slice(s.start, s.end))}`);
    for (const s of fp)
      console.log(
        `  extra  ${s.entity} ${JSON.stringify(s.text)} ${s.score.toFixed(2)} ${s.explanation ?? ''}`,
      );
  }
}

// Speed: each recognizer on ~1 KB chunks of the evaluation text, averaged.
const corpus = examples.map((e) => e.text).join(' ');
const chunks: string[] = [];
for (let i = 0; i + 1024 <= corpus.length; i += 1024) chunks.push(corpus.slice(i, i + 1024));
const context = { language: 'en', regions: EVAL_REGIONS };
const speed: { name: string; msPerKb: number }[] = [];
for (const r of recognizers) {
  for (const c of chunks) r.analyze(c, context); // warm-up (JIT, lazy metadata)
  // Median of 7 passes: the figure should not depend on what else the machine is doing.
  const passes: number[] = [];
  for (let rep = 0; rep < 7; rep++) {
    const start = performance.now();
    for (const c of chunks) r.analyze(c, context);
    passes.push((performance.now() - start) / chunks.length);
  }
  passes.sort((x, y) => x - y);
  speed.push({ name: r.name, msPerKb: passes[3]! });
}
const speedTable = [
  '| recognizer | ms per 1 KB (median of 7 passes) |',
  '| --- | ---: |',
  ...speed.map((s) => `| ${s.name} | ${s.msPerKb.toFixed(4)} |`),
].join('\n');
console.log(`\n${speedTable}`);

if (!args['no-write']) {
  const docPath = resolve(args.doc);
  const doc = readFileSync(docPath, 'utf8');
  const begin = '<!-- pii-eval:begin -->';
  const end = '<!-- pii-eval:end -->';
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end);
  if (a < 0 || b < a) throw new Error(`${docPath} has no ${begin} … ${end} section`);
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const positives = examples.filter((e) => e.spans.length > 0).length;
  const section = [
    begin,
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpu} (${cpus().length} logical CPUs, ${platform()} ${release()}), Node ${process.version},`,
    `by \`npx tsx scripts/eval-pii.ts\` on \`${args.data}\`: ${examples.length} sentences (${positives} with PII, ${examples.length - positives} hard negatives), ${report.entities.reduce((n, m) => n + m.support, 0)} gold spans.`,
    `Analyzer: \`defaultRecognizers\` + libphonenumber phone metadata, threshold 0.5, regions ${EVAL_REGIONS.join(', ')}.`,
    '',
    table,
    '',
    `Whole set analysed in ${evalMs.toFixed(0)} ms. Speed per recognizer on 1 KB chunks of the same text:`,
    '',
    speedTable,
    '',
    end,
  ].join('\n');
  // Keep the page in the repository's formatting (prettier aligns markdown tables).
  const updated = doc.slice(0, a) + section + doc.slice(b + end.length);
  const options = (await resolveConfig(docPath)) ?? {};
  writeFileSync(docPath, await format(updated, { ...options, filepath: docPath }));
  console.log(`\nupdated ${docPath}`);
}
