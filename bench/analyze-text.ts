/**
 * `npm run bench:text` — text `POST /v1/analyze` over HTTP: throughput and latency percentiles of
 * the whole default pipeline (language, sentiment, entities, PII, profanity, spam, injection,
 * moderation verdict), the seed target being p99 < 100 ms and ≥ 1,000 requests/s on 2 cores.
 *
 * The server runs in its own process (bench/server-child.ts, auth off, SQLite in memory, only the
 * text modality) so the load generator never shares its event loop; requests are closed loops of
 * N clients for a fixed time after a warm-up. Inputs are real texts, cycled in a fixed order:
 *  - sentences: the UCI Sentiment Labelled Sentences shipped with `sentiment` (≈ 70 characters);
 *  - e-mails: the held-out SpamAssassin split of the spam evaluation (median ≈ 3.5 k characters,
 *    a long tail to 100 k), the realistic worst case for a moderation API.
 * Each row also gives the server's CPU (share of one core) and CPU time per request, so a reader
 * can tell a CPU-bound server from one starved by the machine's other work.
 *
 * Flags: --quick (shorter windows), --write (replace the text block of docs/benchmarks.md).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { closedLoop } from '../src/cli/loadgen.js';
import { loadSpamSplit } from '../scripts/eval/spam-data.js';
import { uciSentences } from '../scripts/eval/text.js';
import { measure, type Measured } from './lib/measure.js';
import { describeMachine, fmt, machineLine, renderMarkdown, renderText, type Table } from './lib/report.js';
import { startServer } from './lib/server-process.js';

const ROOT = join(import.meta.dirname, '..');
const args = parseArgs({
  options: { quick: { type: 'boolean', default: false }, write: { type: 'boolean', default: false } },
}).values;
const quick = args.quick === true;
const WINDOW_MS = quick ? 4_000 : 12_000;
const WARMUP_MS = quick ? 1_000 : 3_000;
const log = (s: string) => process.stderr.write(`[bench:text] ${s}\n`);

interface Row {
  readonly pipeline: string;
  readonly corpus: string;
  readonly concurrency: number;
  readonly m: Measured;
}

async function main(): Promise<void> {
  const sentences = uciSentences().map((s) => JSON.stringify({ text: s.text }));
  const mails = loadSpamSplit().test.map((m) => JSON.stringify({ text: m.text }));
  // The full default pipeline on both corpora; the moderation-only pipeline (the "moderation API"
  // use: PII, profanity, spam, injection, rules; no NLP) on sentences.
  const runs: ReadonlyArray<readonly [string, string, readonly string[]]> = [
    ['text-default', 'sentences', sentences],
    ['text-default', 'e-mails', mails],
    ['text-moderation', 'sentences', sentences],
  ];
  const dataDir = mkdtempSync(join(tmpdir(), 'kaleido-bench-text-'));
  const server = await startServer({
    repository: join(ROOT, 'models', 'bundled'),
    dataDir,
    startupModels: ['spam_classifier'],
    overrides: { 'analysis.modalities': 'text' },
    startTimeoutMs: 120_000,
  });
  const dispatcher = new Agent({ connections: 128, pipelining: 1, keepAliveTimeout: 30_000 });
  const rows: Row[] = [];
  try {
    for (const [pipeline, corpus, bodies] of runs) {
      for (const concurrency of [1, 8, 32]) {
        let next = 0;
        const once = async (): Promise<void> => {
          const body = bodies[next++ % bodies.length] as string;
          const res = await request(`${server.httpUrl}/v1/analyze?pipeline=${pipeline}`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body,
            dispatcher,
          });
          const text = await res.body.text();
          if (res.statusCode !== 200) {
            throw Object.assign(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 200)}`), {
              status: res.statusCode,
            });
          }
        };
        const m = await measure({ httpUrl: server.httpUrl, pid: server.pid }, undefined, () =>
          closedLoop(once, { concurrency, durationMs: WINDOW_MS, warmupMs: WARMUP_MS }),
        );
        log(
          `${pipeline} ${corpus} c=${concurrency}: ${m.load.throughput.toFixed(0)} req/s, p50 ${m.load.p50Ms.toFixed(1)} ms, ` +
            `p99 ${m.load.p99Ms.toFixed(1)} ms, errors ${m.load.errors}, server ${m.serverCores.toFixed(2)} cores`,
        );
        rows.push({ pipeline, corpus, concurrency, m });
      }
    }
  } finally {
    await dispatcher.close();
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }

  const machine = describeMachine();
  const table: Table = {
    title: 'Text POST /v1/analyze over HTTP (closed loop)',
    columns: [
      'pipeline',
      'texts',
      'clients',
      'requests',
      'req/s',
      'p50 ms',
      'p90 ms',
      'p99 ms',
      'max ms',
      'errors',
      'server cores',
      'server CPU ms/req',
      'client cores',
    ],
    rows: rows.map(({ pipeline, corpus, concurrency, m }) => [
      pipeline,
      corpus,
      String(concurrency),
      String(m.load.requests),
      fmt.int(m.load.throughput),
      fmt.ms(m.load.p50Ms),
      fmt.ms(m.load.p90Ms),
      fmt.ms(m.load.p99Ms),
      fmt.ms(m.load.maxMs),
      String(m.load.errors),
      m.serverCores.toFixed(2),
      (m.serverCpuUsPerInference / 1000).toFixed(2),
      m.clientCores.toFixed(2),
    ]),
  };
  process.stdout.write(`${machineLine(machine)}\n\n${renderText(table)}\n`);
  const of = (pipeline: string, corpus: string) =>
    rows.filter((r) => r.pipeline === pipeline && r.corpus === corpus);
  const best = (pipeline: string, corpus: string) =>
    [...of(pipeline, corpus)].sort((a, b) => b.m.load.throughput - a.m.load.throughput)[0];
  const at8 = (corpus: string, pipeline = 'text-default') =>
    of(pipeline, corpus).find((r) => r.concurrency === 8);
  const s = best('text-default', 'sentences');
  const mod = best('text-moderation', 'sentences');
  const cpu = (r: Row | undefined) => ((r?.m.serverCpuUsPerInference ?? NaN) / 1000).toFixed(2);
  const verdict = [
    `- Sentences: best ${fmt.int(s?.m.load.throughput ?? NaN)} req/s (${s?.concurrency} clients, p99 ${fmt.ms(s?.m.load.p99Ms ?? NaN)} ms); ` +
      `at 8 clients p99 ${fmt.ms(at8('sentences')?.m.load.p99Ms ?? NaN)} ms. Target ≥ 1,000 req/s with p99 < 100 ms: ` +
      `${(s?.m.load.throughput ?? 0) >= 1000 && (s?.m.load.p99Ms ?? Infinity) < 100 ? 'met' : 'missed'}.`,
    `- The server's CPU per request (default pipeline, sentences, 8 clients): ${cpu(at8('sentences'))} ms, i.e. at most ` +
      `${fmt.int(2000 / Number(cpu(at8('sentences'))))} req/s if it had both cores to itself. Moderation-only pipeline: best ` +
      `${fmt.int(mod?.m.load.throughput ?? NaN)} req/s (p99 ${fmt.ms(mod?.m.load.p99Ms ?? NaN)} ms), ${cpu(at8('sentences', 'text-moderation'))} ms CPU per request.`,
    `- E-mails: at 8 clients ${fmt.int(at8('e-mails')?.m.load.throughput ?? NaN)} req/s, p99 ${fmt.ms(at8('e-mails')?.m.load.p99Ms ?? NaN)} ms ` +
      `(one client: p99 ${fmt.ms(of('text-default', 'e-mails').find((r) => r.concurrency === 1)?.m.load.p99Ms ?? NaN)} ms).`,
  ].join('\n');
  process.stdout.write(`\n${verdict}\n`);
  if (args.write === true) {
    const path = join(ROOT, 'docs', 'benchmarks.md');
    const START = '<!-- bench:text:start (written by `npm run bench:text -- --write`) -->';
    const END = '<!-- bench:text:end -->';
    const block = `${START}\n\n${machineLine(machine)}, ${quick ? 'quick' : 'full'} run, ${WINDOW_MS / 1000} s windows after ${WARMUP_MS / 1000} s warm-up.\n\n${renderMarkdown(table)}\n\n${verdict}\n\n${END}`;
    const current = readFileSync(path, 'utf8');
    const s0 = current.indexOf(START);
    const e0 = current.indexOf(END);
    writeFileSync(
      path,
      s0 >= 0 && e0 > s0
        ? `${current.slice(0, s0)}${block}${current.slice(e0 + END.length)}`
        : `${current.trimEnd()}\n\n## Text analysis over HTTP (\`bench/analyze-text.ts\`)\n\n${block}\n`,
    );
    log(`wrote ${path}`);
  }
}

await main();
