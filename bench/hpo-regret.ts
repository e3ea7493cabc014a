/**
 * Simple-regret benchmark of the HPO samplers: random search vs TPE on Branin and Hartmann-6.
 *
 *   npx tsx bench/hpo-regret.ts [--random-seeds 2000] [--tpe-seeds 100] [--no-write]
 *
 * Prints a table of median (IQR) regret after n = 10, 20, 50, 100 trials and writes it into
 * docs/lifecycle.md between the hpo-regret markers (with machine and date), unless --no-write.
 * The random-search rows are comparable with docs known-answers §2.1 (4000 repetitions there).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { branin, hartmann6, type BenchmarkFunction } from '../src/core/hpo/benchmarks.js';
import { regretTrace } from '../src/core/hpo/runner.js';
import { RandomSampler } from '../src/core/hpo/samplers.js';
import { TPESampler } from '../src/core/hpo/tpe.js';
import type { Sampler } from '../src/core/hpo/types.js';

const CHECKPOINTS = [10, 20, 50, 100] as const;

function argValue(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isSafeInteger(v) || v < 1) throw new Error(`${name} needs a positive integer`);
  return v;
}

/** Linear-interpolation quantile (numpy's default), as used for the known-answers table. */
function quantile(sorted: readonly number[], p: number): number {
  const pos = p * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

function fmt(x: number): string {
  return x >= 1 ? x.toFixed(2) : x >= 0.01 ? x.toFixed(3) : x.toExponential(1);
}

interface Row {
  fn: string;
  sampler: string;
  seeds: number;
  cells: string[];
  seconds: number;
}

function measure(fn: BenchmarkFunction, name: string, make: (seed: number) => Sampler, seeds: number): Row {
  const t0 = performance.now();
  const maxN = CHECKPOINTS[CHECKPOINTS.length - 1] as number;
  const perCheckpoint: number[][] = CHECKPOINTS.map(() => []);
  for (let seed = 0; seed < seeds; seed++) {
    const trace = regretTrace(fn, make(seed), maxN);
    CHECKPOINTS.forEach((n, i) => (perCheckpoint[i] as number[]).push(trace[n - 1] as number));
  }
  const cells = perCheckpoint.map((values) => {
    const s = [...values].sort((a, b) => a - b);
    return `${fmt(quantile(s, 0.5))} (${fmt(quantile(s, 0.25))}–${fmt(quantile(s, 0.75))})`;
  });
  return { fn: fn.name, sampler: name, seeds, cells, seconds: (performance.now() - t0) / 1000 };
}

const randomSeeds = argValue('--random-seeds', 2000);
const tpeSeeds = argValue('--tpe-seeds', 100);
const rows: Row[] = [];
for (const fn of [branin, hartmann6]) {
  rows.push(measure(fn, 'random', (seed) => new RandomSampler({ seed }), randomSeeds));
  rows.push(measure(fn, 'TPE', (seed) => new TPESampler({ seed }), tpeSeeds));
}

const header = `| Function | Sampler | seeds | ${CHECKPOINTS.map((n) => `n=${n}`).join(' | ')} | time (s) |`;
const rule = `|${' --- |'.repeat(CHECKPOINTS.length + 4)}`;
const lines = rows.map(
  (r) => `| ${r.fn} | ${r.sampler} | ${r.seeds} | ${r.cells.join(' | ')} | ${r.seconds.toFixed(1)} |`,
);
const table = [header, rule, ...lines].join('\n');
const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const stamp = `Measured ${new Date().toISOString().slice(0, 10)} on ${cpu} (${os.cpus().length} logical CPUs), Node ${process.version}; median (IQR) of simple regret, seeds 0…N−1.`;
console.log(table);
console.log(stamp);

if (!process.argv.includes('--no-write')) {
  const docPath = fileURLToPath(new URL('../docs/lifecycle.md', import.meta.url));
  const START = '<!-- hpo-regret:start -->';
  const END = '<!-- hpo-regret:end -->';
  const block = `${START}\n${table}\n\n${stamp}\n${END}`;
  let doc = existsSync(docPath) ? readFileSync(docPath, 'utf8') : '# Model lifecycle\n';
  const a = doc.indexOf(START);
  const b = doc.indexOf(END);
  if (a >= 0 && b > a) doc = doc.slice(0, a) + block + doc.slice(b + END.length);
  else doc = `${doc.trimEnd()}\n\n## Hyperparameter search: TPE vs random search\n\n${block}\n`;
  // Keep the doc in the repository's Prettier style so `npm run format:check` stays green.
  const config = (await prettier.resolveConfig(docPath)) ?? {};
  writeFileSync(docPath, await prettier.format(doc, { ...config, filepath: docPath }));
  console.log(`wrote ${docPath}`);
}
