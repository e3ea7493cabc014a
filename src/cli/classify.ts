/**
 * `kaleido classify <model> <file>` / `kaleido classify <model> --text "..."` — raw content
 * through a registered classifier head (POST /v1/classify/{model}); prints the classes, best
 * first, or the whole answer with --json. `<model>` is name, name@alias or name/versions/N.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { ErrorCatalog, KaleidoError, type ErrorCode } from '../core/errors.js';
import { apiKeyOf, fetchFor, urlOption } from './common.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- wire JSON, read along documented paths
type Json = Record<string, any>;

/** The URL path of a model reference (`name/versions/N` → the versions route). */
export function classifyPath(ref: string): string {
  const m = /^(.+)\/versions\/([^/]+)$/.exec(ref);
  return m === null
    ? `/v1/classify/${encodeURIComponent(ref)}`
    : `/v1/classify/${encodeURIComponent(m[1] as string)}/versions/${encodeURIComponent(m[2] as string)}`;
}

/** One line per class: `label  score`, best first. */
export function formatLabels(answer: Json): string {
  const labels = (answer['labels'] ?? []) as Array<{ label: string; score: number }>;
  const width = Math.max(5, ...labels.map((l) => l.label.length));
  return labels.map((l) => `${l.label.padEnd(width)}  ${l.score.toFixed(4)}`).join('\n');
}

export function classifyCommand(): Command {
  return new Command('classify')
    .description(
      'Classify a file (image, audio, video, text) or --text with a registered head (POST /v1/classify).',
    )
    .argument('<model>', 'registered model: name, name@alias or name/versions/N')
    .argument('[file]', 'the content to classify (its bytes decide what it is)')
    .option('--text <text>', 'classify this text instead of a file')
    .option('--json', 'print the whole answer as JSON')
    .addOption(urlOption())
    .action(async (model: string, file: string | undefined, opts: Json, cmd: Command) => {
      if ((file === undefined) === (opts['text'] === undefined)) {
        throw new KaleidoError('ERR_VALIDATION', 'give either a file or --text, not both and not neither', {
          details: { field: 'file' },
        });
      }
      const apiKey = apiKeyOf(cmd);
      const body = file !== undefined ? readFileSync(file) : JSON.stringify({ text: opts['text'] as string });
      const url = `${String(cmd.optsWithGlobals().url).replace(/\/+$/, '')}${classifyPath(model)}`;
      const res = await fetchFor(cmd)(url, {
        method: 'POST',
        headers: {
          'content-type': file !== undefined ? 'application/octet-stream' : 'application/json',
          ...(apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` }),
        },
        body,
        signal: AbortSignal.timeout(120_000),
      });
      const text = await res.text();
      let answer: Json | undefined;
      try {
        answer = JSON.parse(text) as Json;
      } catch {
        answer = undefined;
      }
      if (!res.ok || answer === undefined) {
        const e = answer?.['error'];
        const code: ErrorCode =
          typeof e?.code === 'string' && Object.hasOwn(ErrorCatalog, e.code) ? e.code : 'ERR_INTERNAL';
        throw new KaleidoError(code, typeof e?.message === 'string' ? e.message : `HTTP ${res.status}`, {
          details: { httpStatus: res.status, ...(e?.details ?? {}) },
        });
      }
      if (opts['json'] === true) process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`);
      else {
        process.stdout.write(
          `${answer['model']} version ${answer['version']} (${answer['featurizer']?.id}, ${answer['durationMs']} ms)\n${formatLabels(answer)}\n`,
        );
      }
    });
}
