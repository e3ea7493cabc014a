/**
 * The model lifecycle on the command line, over a running server's REST API (--url, --api-key):
 *
 *   kaleido dataset upload <file> --name <n> [options]   register a data set version (JSONL, CSV, TSV, zip)
 *   kaleido dataset list | show <name> [--version v]
 *   kaleido train <dataset> [--model mlp --hidden 32 --epochs 20 --lr 0.01 …]
 *                                                         train one head; a progress bar follows the job
 *   kaleido jobs list | show <id> | cancel <id>
 *   kaleido study create <spec.json|yaml> [--wait]        start a hyperparameter study
 *   kaleido study list | show <id|name> | stop <id|name>
 *   kaleido runs list [--experiment <name>]               tracked runs (MLflow-shaped API)
 *   kaleido registry models | versions <model> | alias <model> <alias> [version] | card <model> <version> [--markdown]
 *
 * Progress comes from the server's Server-Sent Events (/v1/training-jobs/{id}/events,
 * /v1/studies/{id}/events): a bar redrawn in place on a terminal, one line per update otherwise.
 */
import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { Command, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { ErrorCatalog, KaleidoError, type ErrorCode } from '../core/errors.js';
import { apiKeyOf, fetchFor, urlOption } from './common.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- wire JSON, read along documented paths
type Json = Record<string, any>;

const MLFLOW = '/api/2.0/mlflow';

/** Where output goes (replaceable in tests). */
export interface CliOutput {
  write(text: string): void;
  readonly isTTY: boolean;
}

let out: CliOutput = {
  write: (text) => void process.stdout.write(text),
  get isTTY() {
    return process.stdout.isTTY === true;
  },
};

/** Redirects the lifecycle commands' output (tests); returns the previous sink. */
export function setLifecycleOutput(sink: CliOutput): CliOutput {
  const previous = out;
  out = sink;
  return previous;
}

const print = (text: string): void => out.write(`${text}\n`);

/** Columns padded to their widest cell (common.ts's printTable, through this module's output). */
function printTable(rows: ReadonlyArray<Record<string, string | number>>): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0] as object);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(width[i] as number))
      .join('  ')
      .trimEnd();
  print(line(cols));
  for (const r of rows) print(line(cols.map((c) => String(r[c] ?? ''))));
}
const printJson = (value: unknown): void => print(JSON.stringify(value, null, 2));

function serverError(status: number, body: Json | undefined, fallback: string): KaleidoError {
  const e = body?.['error'];
  const code =
    typeof e?.code === 'string' && Object.hasOwn(ErrorCatalog, e.code)
      ? (e.code as ErrorCode)
      : 'ERR_INTERNAL';
  const message =
    typeof e?.message === 'string'
      ? e.message
      : typeof body?.['message'] === 'string'
        ? body['message']
        : fallback;
  return new KaleidoError(code, message, { details: { httpStatus: status, ...(e?.details ?? {}) } });
}

function base(cmd: Command): string {
  return String(cmd.optsWithGlobals().url).replace(/\/+$/, '');
}

function headers(cmd: Command, extra: Record<string, string> = {}): Record<string, string> {
  const apiKey = apiKeyOf(cmd);
  return { ...(apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` }), ...extra };
}

/** One JSON call; an error answer becomes a KaleidoError with the server's code and message. */
async function api(
  cmd: Command,
  method: string,
  path: string,
  body?: unknown,
  raw?: { bytes: Uint8Array; type: string },
): Promise<Json> {
  const res = await fetchFor(cmd)(`${base(cmd)}${path}`, {
    method,
    headers: headers(
      cmd,
      raw !== undefined
        ? { 'content-type': raw.type }
        : body === undefined
          ? {}
          : { 'content-type': 'application/json' },
    ),
    ...(raw !== undefined ? { body: raw.bytes } : body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(120_000),
  });
  const text = await res.text();
  let parsed: Json | undefined;
  try {
    parsed = text === '' ? {} : (JSON.parse(text) as Json);
  } catch {
    parsed = undefined;
  }
  if (!res.ok || parsed === undefined)
    throw serverError(res.status, parsed, `${method} ${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
  return parsed;
}

const query = (params: Record<string, string | number | undefined>): string => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, String(v));
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
};

// ---- Server-Sent Events -----------------------------------------------------------------------

/** Incremental SSE parser: feed it text chunks, it returns complete events (comments skipped). */
export class SseParser {
  private buffer = '';

  push(chunk: string): Array<{ event: string; data: string }> {
    this.buffer += chunk.replace(/\r\n/g, '\n');
    const events: Array<{ event: string; data: string }> = [];
    let end = this.buffer.indexOf('\n\n');
    while (end !== -1) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length > 0) events.push({ event, data: data.join('\n') });
      end = this.buffer.indexOf('\n\n');
    }
    return events;
  }
}

/** Follows an event stream until the server ends it; `onEvent` returning true stops early. */
async function follow(
  cmd: Command,
  path: string,
  onEvent: (event: string, data: Json) => boolean | void,
): Promise<void> {
  const res = await fetchFor(cmd)(`${base(cmd)}${path}`, {
    headers: headers(cmd, { accept: 'text/event-stream' }),
  });
  if (!res.ok || res.body === null) {
    const text = await res.text();
    let parsed: Json | undefined;
    try {
      parsed = JSON.parse(text) as Json;
    } catch {
      parsed = undefined;
    }
    throw serverError(res.status, parsed, `GET ${path}: HTTP ${res.status}`);
  }
  const parser = new SseParser();
  const decoder = new TextDecoder();
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      for (const e of parser.push(decoder.decode(value, { stream: true }))) {
        if (onEvent(e.event, JSON.parse(e.data) as Json) === true) return;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** `[########............]  8/20` — a fixed-width text bar. */
export function renderProgressBar(done: number, total: number, width = 24): string {
  const t = Math.max(1, total);
  const d = Math.min(Math.max(0, done), t);
  const filled = Math.round((d / t) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(d).padStart(String(t).length)}/${t}`;
}

/** Draws progress: in place on a terminal, one line per change otherwise. */
class Progress {
  private last = '';

  update(line: string): void {
    if (line === this.last) return;
    this.last = line;
    if (out.isTTY) out.write(`\r\x1b[2K${line}`);
    else out.write(`${line}\n`);
  }

  done(): void {
    if (out.isTTY && this.last !== '') out.write('\n');
  }
}

const fmt = (x: unknown): string =>
  typeof x === 'number'
    ? Number.isInteger(x)
      ? String(x)
      : x.toFixed(4)
    : x === null || x === undefined
      ? '-'
      : String(x);
const when = (ms: unknown): string => (typeof ms === 'number' ? new Date(ms).toISOString() : '-');

function epochLine(m: Json | undefined, maxEpochs: number): string {
  const epoch = typeof m?.['epoch'] === 'number' ? (m['epoch'] as number) : 0;
  const metrics =
    m === undefined
      ? ''
      : `  loss ${fmt(m['trainLoss'])}  val_loss ${fmt(m['valLoss'])}  val_acc ${fmt(m['valAccuracy'])}`;
  return `epoch ${renderProgressBar(epoch, maxEpochs)}${metrics}`;
}

// ---- dataset ----------------------------------------------------------------------------------

const CONTENT_TYPES: Record<string, string> = {
  '.jsonl': 'application/x-ndjson',
  '.ndjson': 'application/x-ndjson',
  '.csv': 'text/csv',
  '.tsv': 'text/tab-separated-values',
  '.zip': 'application/zip',
};

function datasetCommand(): Command {
  const dataset = new Command('dataset').description('Register and inspect labelled data sets.');
  dataset
    .command('upload <file>')
    .description('Upload a JSONL, CSV/TSV or zip (one folder per class) file as a new data set version.')
    .addOption(urlOption())
    .option('--name <name>', 'data set name (default: the file name without extension)')
    .addOption(
      new Option('--format <format>', 'file format (default: from the extension)').choices([
        'jsonl',
        'csv',
        'tsv',
        'zip',
      ]),
    )
    .option('--label-field <field>', 'label column (default: label, class or y)')
    .option('--text-field <field>', 'text column (default: text)')
    .option('--feature-fields <fields>', 'comma-separated numeric feature columns')
    .addOption(
      new Option('--bad-rows <mode>', 'reject the upload on bad rows, or skip them').choices([
        'reject',
        'skip',
      ]),
    )
    .option('--validation-fraction <x>', 'share of rows held out for validation (default 0.1)')
    .option('--test-fraction <x>', 'share of rows held out for testing (default 0.1)')
    .option('--split-seed <n>', 'seed of the stratified split (default 0)')
    .option('--description <text>', 'free text')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: Record<string, string | boolean | undefined>, cmd: Command) => {
      const ext = extname(file).toLowerCase();
      const format = opts['format'] as string | undefined;
      const type = format === undefined ? CONTENT_TYPES[ext] : CONTENT_TYPES[`.${format}`];
      if (type === undefined) {
        throw new KaleidoError(
          'ERR_VALIDATION',
          `cannot tell the format of ${file}: use --format jsonl|csv|tsv|zip`,
          {
            details: { field: 'format' },
          },
        );
      }
      const name = (opts['name'] as string | undefined) ?? basename(file, extname(file));
      const bytes = new Uint8Array(readFileSync(file));
      const q = query({
        name,
        labelField: opts['labelField'] as string | undefined,
        textField: opts['textField'] as string | undefined,
        featureFields: opts['featureFields'] as string | undefined,
        badRows: opts['badRows'] as string | undefined,
        validationFraction: opts['validationFraction'] as string | undefined,
        testFraction: opts['testFraction'] as string | undefined,
        splitSeed: opts['splitSeed'] as string | undefined,
        description: opts['description'] as string | undefined,
      });
      const v = await api(cmd, 'POST', `/v1/datasets${q}`, undefined, { bytes, type });
      if (opts['json']) return printJson(v);
      print(
        `${v['name']}@${v['version']}: ${v['rowCount']} rows, classes ${JSON.stringify(v['classBalance'])}`,
      );
      if (v['rejectedRows'].length > 0)
        print(`${v['rejectedRows'].length} rows rejected (kaleido dataset show ${v['name']})`);
    });
  dataset
    .command('list')
    .description('Data sets with their latest version.')
    .addOption(urlOption())
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const list = (await api(cmd, 'GET', '/v1/datasets'))['datasets'] as Json[];
      if (opts.json) return printJson(list);
      if (list.length === 0) return print('no data sets');
      printTable(
        list.map((d) => ({
          NAME: d['name'],
          VERSION: d['latestVersion'],
          ROWS: d['rowCount'],
          CLASSES: Object.entries(d['classBalance'] as Record<string, number>)
            .map(([c, n]) => `${c}:${n}`)
            .join(' '),
          REJECTED: d['rejectedRows'],
          CREATED: when(d['createdAt']),
        })),
      );
    });
  dataset
    .command('show <name>')
    .description('One version: schema, class balance, split, rejected rows.')
    .addOption(urlOption())
    .option('--version <version>', 'version number (default: latest)')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { version?: string; json?: boolean }, cmd: Command) => {
      const v = await api(
        cmd,
        'GET',
        `/v1/datasets/${encodeURIComponent(name)}/versions/${opts.version ?? 'latest'}`,
      );
      if (opts.json) return printJson(v);
      print(
        `${v['name']}@${v['version']}  ${v['format']}  ${v['rowCount']} rows  sha256 ${String(v['sha256']).slice(0, 16)}…`,
      );
      print(
        `label: ${v['schema'].labelField}  text: ${v['schema'].textField ?? '-'}  features: ${v['schema'].featureFields.join(', ') || '-'}`,
      );
      printTable(
        (v['schema'].fields as Json[]).map((f) => ({
          FIELD: f['name'],
          TYPE: f['type'],
          ROLE: f['role'],
          PRESENT: f['present'],
        })),
      );
      const counts = v['split'].counts as Record<string, Record<string, number>>;
      printTable(
        Object.keys(v['classBalance'] as object).map((c) => ({
          CLASS: c,
          ROWS: v['classBalance'][c],
          TRAIN: counts['train']?.[c] ?? 0,
          VALIDATION: counts['validation']?.[c] ?? 0,
          TEST: counts['test']?.[c] ?? 0,
        })),
      );
      const rejected = v['rejectedRows'] as Json[];
      if (rejected.length > 0) {
        print(`rejected rows (${rejected.length}):`);
        for (const r of rejected.slice(0, 20))
          print(`  line ${r['line'] ?? r['path'] ?? '?'}: ${r['message']}`);
      }
    });
  return dataset;
}

// ---- train / jobs -----------------------------------------------------------------------------

function parseFeaturizerFlag(value: string): Json {
  if (value === 'tabular') return { type: 'tabular' };
  // Frozen media encoders (lifecycle/datasets/media-features.ts); the server fills in the defaults.
  if (value === 'image-embedding' || value === 'audio-features' || value === 'video-features')
    return { type: value };
  const m = /^hashed-bow(?::(\d+))?(:bigrams)?$/.exec(value);
  if (m === null) {
    throw new KaleidoError(
      'ERR_VALIDATION',
      '--featurizer must be tabular, image-embedding, audio-features, video-features or hashed-bow[:<dimensions>][:bigrams]',
      {
        details: { field: 'featurizer', value },
      },
    );
  }
  return {
    type: 'hashed-bow',
    dimensions: m[1] === undefined ? 1024 : Number(m[1]),
    bigrams: m[2] !== undefined,
  };
}

const num = (flag: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (value.trim() === '' || !Number.isFinite(x)) {
    throw new KaleidoError('ERR_VALIDATION', `${flag} must be a number`, { details: { field: flag, value } });
  }
  return x;
};

/** Follows a job's events with a progress bar; resolves with the final job record. */
async function watchJob(cmd: Command, id: string): Promise<Json> {
  const progress = new Progress();
  let maxEpochs = 1;
  let finished = false;
  await follow(cmd, `/v1/training-jobs/${id}/events`, (event, data) => {
    if (event === 'snapshot' && data['state'] === 'featurizing' && data['featurization']) {
      // Media features computed in the background before the job is queued.
      maxEpochs = data['progress']?.maxEpochs ?? 1;
      const f = data['featurization'];
      progress.update(`features ${renderProgressBar(f.done, f.total)}`);
    } else if (event === 'job-featurizing') {
      progress.update(`features ${renderProgressBar(data['done'], data['total'])}`);
    } else if (event === 'snapshot') {
      maxEpochs = data['progress']?.maxEpochs ?? 1;
      progress.update(epochLine(data['history']?.at(-1), maxEpochs));
    } else if (event === 'job-epoch') {
      maxEpochs = data['maxEpochs'] ?? maxEpochs;
      progress.update(epochLine(data['metrics'], maxEpochs));
    } else if (event === 'job-retrying') {
      progress.update(`worker restarted (attempt ${data['attempt']}): ${data['reason']}`);
    } else if (event === 'job-succeeded' || event === 'job-failed' || event === 'job-cancelled') {
      finished = true;
    }
  });
  progress.done();
  const job = await api(cmd, 'GET', `/v1/training-jobs/${id}`);
  if (
    !finished &&
    job['state'] !== 'succeeded' &&
    job['state'] !== 'failed' &&
    job['state'] !== 'cancelled'
  ) {
    throw new KaleidoError(
      'ERR_UNAVAILABLE',
      `the event stream of job ${id} ended before the job did (it is ${job['state']})`,
    );
  }
  return job;
}

function trainCommand(): Command {
  return new Command('train')
    .argument('<dataset>', 'data set name')
    .description('Train a classifier head on a data set version, showing per-epoch progress.')
    .addOption(urlOption())
    .option('--version <version>', 'data set version (default: latest)')
    .option(
      '--featurizer <spec>',
      'tabular | image-embedding | audio-features | video-features | hashed-bow[:<dimensions>][:bigrams] (default: by data set)',
    )
    .addOption(new Option('--model <kind>', 'head kind').choices(['logistic', 'mlp']))
    .option('--hidden <units>', 'hidden layer widths for mlp, comma-separated (e.g. 64 or 64,32)')
    .option('--epochs <n>', 'maximum epochs')
    .option('--batch-size <n>', 'mini-batch size')
    .option('--lr <x>', 'learning rate')
    .option('--l2 <x>', 'L2 penalty')
    .option('--seed <n>', 'random seed')
    .option('--no-early-stopping', 'train every epoch')
    .option('--publish <model>', 'export the trained head into the model repository under this name')
    .option('--no-wait', 'print the job id and return')
    .option('--json', 'print the final job as JSON')
    .action(async (name: string, opts: Record<string, string | boolean | undefined>, cmd: Command) => {
      const hidden = opts['hidden'] as string | undefined;
      const config: Json = {
        ...(opts['model'] === undefined ? {} : { kind: opts['model'] }),
        ...(hidden === undefined ? {} : { hiddenUnits: hidden.split(',').map((h) => num('--hidden', h)) }),
        ...(opts['epochs'] === undefined ? {} : { epochs: num('--epochs', opts['epochs'] as string) }),
        ...(opts['batchSize'] === undefined
          ? {}
          : { batchSize: num('--batch-size', opts['batchSize'] as string) }),
        ...(opts['lr'] === undefined ? {} : { learningRate: num('--lr', opts['lr'] as string) }),
        ...(opts['l2'] === undefined ? {} : { l2: num('--l2', opts['l2'] as string) }),
        ...(opts['seed'] === undefined ? {} : { seed: num('--seed', opts['seed'] as string) }),
        ...(opts['earlyStopping'] === false ? { earlyStopping: null } : {}),
      };
      const job = await api(cmd, 'POST', '/v1/training-jobs', {
        dataset: {
          id: name,
          ...(opts['version'] === undefined ? {} : { version: num('--version', opts['version'] as string) }),
        },
        ...(opts['featurizer'] === undefined
          ? {}
          : { featurizer: parseFeaturizerFlag(opts['featurizer'] as string) }),
        config,
        ...(opts['publish'] === undefined ? {} : { publish: { modelName: opts['publish'] } }),
      });
      if (opts['wait'] === false) return print(String(job['id']));
      if (!opts['json']) print(`job ${job['id']}: ${job['spec'].description}`);
      const final = await watchJob(cmd, String(job['id']));
      if (opts['json']) printJson(final);
      else printJobOutcome(final);
      if (final['state'] !== 'succeeded') process.exitCode = 1;
    });
}

function printJobOutcome(job: Json): void {
  if (job['state'] === 'succeeded') {
    const r = job['result'];
    print(
      `succeeded: ${r['epochs']} epochs (kept epoch ${r['bestEpoch']}, ${r['stopReason']})  val_loss ${fmt(r['metrics']?.valLoss)}  val_acc ${fmt(r['metrics']?.valAccuracy)}  val_macro_f1 ${fmt(r['metrics']?.valMacroF1)}`,
    );
    if (r['model'] !== null)
      print(
        `published ${r['model'].modelName} version ${r['model'].version} (sha256 ${String(r['model'].sha256).slice(0, 16)}…)`,
      );
  } else if (job['state'] === 'failed') {
    print(`failed: ${job['error']?.code}: ${job['error']?.message}`);
  } else print(job['state']);
}

function jobsCommand(): Command {
  const jobs = new Command('jobs').description('List, inspect and cancel training jobs.');
  jobs
    .command('list')
    .addOption(urlOption())
    .option('--state <states>', 'comma-separated: featurizing, queued, running, succeeded, failed, cancelled')
    .option('--json', 'print JSON')
    .action(async (opts: { state?: string; json?: boolean }, cmd: Command) => {
      const list = (await api(cmd, 'GET', `/v1/training-jobs${query({ state: opts.state })}`))[
        'jobs'
      ] as Json[];
      if (opts.json) return printJson(list);
      if (list.length === 0) return print('no training jobs');
      printTable(
        list.map((j) => ({
          ID: j['id'],
          STATE: j['state'],
          EPOCH: `${j['progress'].epoch}/${j['progress'].maxEpochs}`,
          KIND: j['spec'].config.kind,
          DESCRIPTION: j['spec'].description ?? '',
          CREATED: when(j['createdAt']),
        })),
      );
    });
  jobs
    .command('show <id>')
    .addOption(urlOption())
    .option('--follow', 'follow the job with a progress bar until it ends')
    .action(async (id: string, opts: { follow?: boolean }, cmd: Command) => {
      if (opts.follow) return printJobOutcome(await watchJob(cmd, id));
      printJson(await api(cmd, 'GET', `/v1/training-jobs/${encodeURIComponent(id)}`));
    });
  jobs
    .command('cancel <id>')
    .addOption(urlOption())
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const job = await api(cmd, 'POST', `/v1/training-jobs/${encodeURIComponent(id)}/cancel`);
      print(`${job['id']}: ${job['state']}`);
    });
  return jobs;
}

// ---- study ------------------------------------------------------------------------------------

function readSpec(file: string): unknown {
  const text = file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8');
  try {
    return /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new KaleidoError(
      'ERR_VALIDATION',
      `${file} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(e as Error).message}`,
      {
        details: { field: 'spec' },
      },
    );
  }
}

function printStudy(s: Json): void {
  const c = s['counts'];
  print(`study ${s['name']} (${s['id']}): ${s['state']}${s['stopped'] ? ', stopped' : ''}`);
  const f = s['featurization'];
  if (f !== null && f !== undefined) {
    print(
      f.finishedAt === null
        ? `features: ${f.featurizer} ${renderProgressBar(f.done, f.total)} files`
        : `features: ${f.featurizer}, ${f.total} files in ${fmt((f.finishedAt - f.startedAt) / 1000)} s`,
    );
  }
  print(
    `trials ${c.complete + c.pruned + c.fail + c.running}/${s['spec'].nTrials}: ${c.complete} complete, ${c.pruned} pruned, ${c.fail} failed, ${c.running} running  (${s['spec'].metric}, ${s['spec'].direction})`,
  );
  if (s['bestTrial'] !== null) {
    print(
      `best: trial ${s['bestTrial'].number} = ${fmt(s['bestTrial'].value)}  ${JSON.stringify(s['bestTrial'].params)}`,
    );
  }
  if (s['importance'] !== null) {
    const ranked = Object.entries(s['importance'] as Record<string, number>).sort((a, b) => b[1] - a[1]);
    print(`importance: ${ranked.map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`);
  }
  const ev = s['result']?.evaluation;
  if (ev !== undefined) {
    print(
      `evaluation (${ev.split}, ${ev.rows} rows): accuracy ${fmt(ev.accuracy)}  macro F1 ${fmt(ev.macroF1)}  ROC-AUC ${fmt(ev.rocAuc)}  log loss ${fmt(ev.logLoss)}  ECE ${fmt(ev.ece)}`,
    );
  }
  const model = s['result']?.model;
  if (model !== undefined) {
    print(
      `model: ${model.modelName} version ${model.registeredVersion ?? model.version}${model.alias ? ` @${model.alias}` : ''}${model.served ? ', served' : ''}`,
    );
  }
  if (s['error'] !== null) print(`error: ${s['error'].code}: ${s['error'].message}`);
}

/** Follows a study's events with a bar over its trials; resolves with the final study. */
async function watchStudy(cmd: Command, id: string): Promise<Json> {
  const progress = new Progress();
  let total = 1;
  let finished = 0;
  let best: number | null = null;
  let minimize = false;
  const line = (): string => `trials ${renderProgressBar(finished, total)}  best ${fmt(best)}`;
  await follow(cmd, `/v1/studies/${encodeURIComponent(id)}/events`, (event, data) => {
    if (event === 'study-featurizing' || (event === 'snapshot' && data['state'] === 'featurizing')) {
      // Media features computed in the background before the first trial.
      const f = event === 'snapshot' ? data['featurization'] : data;
      if (event === 'snapshot') total = data['spec'].nTrials;
      if (f !== null && f !== undefined) progress.update(`features ${renderProgressBar(f.done, f.total)}`);
      return;
    }
    if (event === 'snapshot') {
      total = data['spec'].nTrials;
      minimize = data['spec'].direction === 'minimize';
      finished = data['counts'].complete + data['counts'].pruned + data['counts'].fail;
      best = data['bestTrial']?.value ?? null;
    } else if (event === 'trial-finished') {
      finished++;
      const v = data['value'];
      if (data['state'] === 'COMPLETE' && typeof v === 'number') {
        best = best === null ? v : minimize ? Math.min(best, v) : Math.max(best, v);
      }
    } else if (event === 'study-finalizing') {
      progress.update(`${line()}  ${data['step']}…`);
      return;
    }
    progress.update(line());
  });
  progress.done();
  return api(cmd, 'GET', `/v1/studies/${encodeURIComponent(id)}`);
}

function studyCommand(): Command {
  const study = new Command('study').description('Hyperparameter studies: create, follow, inspect, stop.');
  study
    .command('create <spec>')
    .description('Create a study from a JSON or YAML specification file ("-" reads stdin).')
    .addOption(urlOption())
    .option('--wait', 'follow the study with a progress bar until it ends')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { wait?: boolean; json?: boolean }, cmd: Command) => {
      const created = await api(cmd, 'POST', '/v1/studies', readSpec(file));
      if (!opts.wait)
        return opts.json ? printJson(created) : print(`study ${created['name']} (${created['id']}) started`);
      const final = await watchStudy(cmd, String(created['id']));
      if (opts.json) printJson(final);
      else printStudy(final);
      if (final['state'] !== 'completed') process.exitCode = 1;
    });
  study
    .command('list')
    .addOption(urlOption())
    .option('--state <states>', 'comma-separated: featurizing, running, completed, failed')
    .option('--json', 'print JSON')
    .action(async (opts: { state?: string; json?: boolean }, cmd: Command) => {
      const list = (await api(cmd, 'GET', `/v1/studies${query({ state: opts.state })}`))['studies'] as Json[];
      if (opts.json) return printJson(list);
      if (list.length === 0) return print('no studies');
      printTable(
        list.map((s) => ({
          NAME: s['name'],
          STATE: s['state'],
          TRIALS: `${s['counts'].complete + s['counts'].pruned + s['counts'].fail}/${s['spec'].nTrials}`,
          BEST: fmt(s['bestTrial']?.value),
          METRIC: s['spec'].metric,
          DATASET: `${s['spec'].dataset.id}@${s['spec'].dataset.version}`,
          CREATED: when(s['createdAt']),
        })),
      );
    });
  study
    .command('show <study>')
    .description('A study by id or name: trials, best trial, importance, evaluation, model.')
    .addOption(urlOption())
    .option('--follow', 'follow a running study with a progress bar first')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { follow?: boolean; json?: boolean }, cmd: Command) => {
      const s = opts.follow
        ? await watchStudy(cmd, id)
        : await api(cmd, 'GET', `/v1/studies/${encodeURIComponent(id)}`);
      if (opts.json) return printJson(s);
      printStudy(s);
      printTable(
        (s['trials'] as Json[]).map((t) => ({
          TRIAL: t['number'],
          STATE: t['state'],
          VALUE: fmt(t['value']),
          EPOCHS: t['intermediateValues'].length,
          PARAMS: Object.entries(t['params'] as Record<string, unknown>)
            .map(([k, v]) => `${k}=${fmt(v)}`)
            .join(' '),
        })),
      );
    });
  study
    .command('stop <study>')
    .description('Ask no more trials; running ones finish and the study completes with the best so far.')
    .addOption(urlOption())
    .action(async (id: string, _opts: unknown, cmd: Command) => {
      const s = await api(cmd, 'POST', `/v1/studies/${encodeURIComponent(id)}/stop`);
      print(`study ${s['name']}: stopping (${s['counts'].running} trials still running)`);
    });
  return study;
}

// ---- runs / registry (MLflow-shaped API) -------------------------------------------------------

function runsCommand(): Command {
  const runs = new Command('runs').description('Tracked runs (studies and their trials).');
  runs
    .command('list')
    .addOption(urlOption())
    .option('--experiment <name>', 'only this experiment (studies log to "kaleido-study-<name>")')
    .option('--filter <expr>', 'MLflow search filter, e.g. "metrics.val_accuracy > 0.8"')
    .option('--max <n>', 'at most this many runs', '100')
    .option('--json', 'print JSON')
    .action(
      async (opts: { experiment?: string; filter?: string; max: string; json?: boolean }, cmd: Command) => {
        let experiments: Json[];
        if (opts.experiment !== undefined) {
          experiments = [
            (
              await api(
                cmd,
                'GET',
                `${MLFLOW}/experiments/get-by-name${query({ experiment_name: opts.experiment })}`,
              )
            )['experiment'],
          ];
        } else {
          experiments = ((
            await api(cmd, 'GET', `${MLFLOW}/experiments/search${query({ max_results: 100 })}`)
          )['experiments'] ?? []) as Json[];
        }
        const names = new Map(experiments.map((e) => [e['experiment_id'] as string, e['name'] as string]));
        const found =
          experiments.length === 0
            ? []
            : (((
                await api(cmd, 'POST', `${MLFLOW}/runs/search`, {
                  experiment_ids: [...names.keys()],
                  max_results: num('--max', opts.max),
                  order_by: ['attributes.start_time DESC'],
                  ...(opts.filter === undefined ? {} : { filter: opts.filter }),
                })
              )['runs'] ?? []) as Json[]);
        if (opts.json) return printJson(found);
        if (found.length === 0) return print('no runs');
        printTable(
          found.map((r) => {
            const metrics = (r['data'].metrics ?? []) as Json[];
            const pick = (k: string): string => fmt(metrics.find((m) => m['key'] === k)?.['value']);
            return {
              RUN: String(r['info'].run_id).slice(0, 12),
              NAME: r['info'].run_name,
              EXPERIMENT: names.get(r['info'].experiment_id) ?? r['info'].experiment_id,
              STATUS: r['info'].status,
              OBJECTIVE: pick('objective'),
              VAL_ACC: pick('val_accuracy'),
              STARTED: when(r['info'].start_time),
            };
          }),
        );
      },
    );
  return runs;
}

function registryCommand(): Command {
  const registry = new Command('registry').description('Registered models, versions and aliases.');
  registry
    .command('models')
    .addOption(urlOption())
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const models = ((
        await api(cmd, 'GET', `${MLFLOW}/registered-models/search${query({ max_results: 1000 })}`)
      )['registered_models'] ?? []) as Json[];
      if (opts.json) return printJson(models);
      if (models.length === 0) return print('no registered models');
      printTable(
        models.map((m) => ({
          MODEL: m['name'],
          ALIASES: ((m['aliases'] ?? []) as Json[]).map((a) => `${a['alias']}→${a['version']}`).join(' '),
          UPDATED: when(m['last_updated_timestamp']),
        })),
      );
    });
  registry
    .command('versions <model>')
    .addOption(urlOption())
    .option('--json', 'print JSON')
    .action(async (model: string, opts: { json?: boolean }, cmd: Command) => {
      const versions = ((
        await api(
          cmd,
          'GET',
          `${MLFLOW}/model-versions/search${query({ filter: `name = '${model.replace(/'/g, "\\'")}'`, max_results: 1000, order_by: 'version DESC' })}`,
        )
      )['model_versions'] ?? []) as Json[];
      if (opts.json) return printJson(versions);
      if (versions.length === 0) return print(`no versions of ${model}`);
      printTable(
        versions.map((v) => ({
          VERSION: v['version'],
          STATUS: v['status'],
          ALIASES: ((v['aliases'] ?? []) as string[]).join(' '),
          SHA256: v['sha256'] === undefined ? '-' : `${String(v['sha256']).slice(0, 12)}…`,
          METRICS: Object.entries((v['metrics_snapshot'] ?? {}) as Record<string, number>)
            .slice(0, 3)
            .map(([k, x]) => `${k}=${fmt(x)}`)
            .join(' '),
          CREATED: when(v['creation_timestamp']),
        })),
      );
    });
  registry
    .command('alias <model> <alias> [version]')
    .description('Show which version an alias points at, or point it at [version].')
    .addOption(urlOption())
    .option('--delete', 'remove the alias')
    .action(
      async (
        model: string,
        alias: string,
        version: string | undefined,
        opts: { delete?: boolean },
        cmd: Command,
      ) => {
        if (opts.delete) {
          await api(cmd, 'DELETE', `${MLFLOW}/registered-models/alias`, { name: model, alias });
          return print(`${model}@${alias} removed`);
        }
        if (version !== undefined) {
          await api(cmd, 'POST', `${MLFLOW}/registered-models/alias`, { name: model, alias, version });
          return print(`${model}@${alias} → version ${version}`);
        }
        const v = (
          await api(cmd, 'GET', `${MLFLOW}/registered-models/alias${query({ name: model, alias })}`)
        )['model_version'];
        print(`${model}@${alias} → version ${v['version']}`);
      },
    );
  registry
    .command('card <model> <version>')
    .description('The model card of a version (number, "latest" or alias), assembled from the registry.')
    .addOption(urlOption())
    .option('--markdown', 'print Markdown instead of JSON')
    .action(async (model: string, version: string, opts: { markdown?: boolean }, cmd: Command) => {
      const path = `/v1/registry/models/${encodeURIComponent(model)}/versions/${encodeURIComponent(version)}/card`;
      if (!opts.markdown) return printJson(await api(cmd, 'GET', path));
      const res = await fetchFor(cmd)(`${base(cmd)}${path}?format=markdown`, {
        headers: headers(cmd, { accept: 'text/markdown' }),
        signal: AbortSignal.timeout(120_000),
      });
      const text = await res.text();
      if (!res.ok) {
        let parsed: Json | undefined;
        try {
          parsed = JSON.parse(text) as Json;
        } catch {
          parsed = undefined;
        }
        throw serverError(res.status, parsed, `GET ${path}: HTTP ${res.status} ${text.slice(0, 200)}`);
      }
      out.write(text.endsWith('\n') ? text : `${text}\n`);
    });
  return registry;
}

/** The lifecycle commands, for the program in cli/main.ts to add. */
export function lifecycleCommands(): Command[] {
  return [datasetCommand(), trainCommand(), jobsCommand(), studyCommand(), runsCommand(), registryCommand()];
}
