/** `kaleido infer <model> --input NAME=@file.json` — one inference request from the command line. */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { KaleidoError } from '../core/errors.js';
import { clientFor, urlOption } from './common.js';

interface InputSpec {
  name: string;
  datatype: string;
  shape: number[];
  data: unknown;
}

/** NAME=@file.json (a {datatype, shape, data} object) or NAME=<the same JSON inline>. */
export function parseInputArg(arg: string): InputSpec {
  const i = arg.indexOf('=');
  if (i <= 0)
    throw new KaleidoError('ERR_VALIDATION', `--input expects NAME=@file.json or NAME=<json>, got "${arg}"`);
  const name = arg.slice(0, i);
  const value = arg.slice(i + 1);
  const text = value.startsWith('@') ? readFileSync(value.slice(1), 'utf8') : value;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new KaleidoError('ERR_INVALID_JSON', `--input ${name}: ${(e as Error).message}`);
  }
  const o = parsed as Partial<InputSpec>;
  if (
    typeof o !== 'object' ||
    o === null ||
    typeof o.datatype !== 'string' ||
    !Array.isArray(o.shape) ||
    o.data === undefined
  ) {
    throw new KaleidoError(
      'ERR_VALIDATION',
      `--input ${name}: expected an object {"datatype", "shape", "data"}`,
    );
  }
  return { name, datatype: o.datatype, shape: o.shape, data: o.data };
}

const printable = (t: {
  datatype: string;
  data: unknown;
  toNumbers?: () => number[];
  toStrings?: () => string[];
}): unknown => {
  if (t.datatype === 'BYTES' && t.toStrings) return t.toStrings();
  if ((t.datatype === 'FP16' || t.datatype === 'BF16') && t.toNumbers) return t.toNumbers();
  const d = t.data as ArrayLike<number | bigint>;
  return Array.from(d, (x) => (typeof x === 'bigint' ? x.toString() : x));
};

export function inferCommand(): Command {
  return new Command('infer')
    .description('Send one inference request (OIP v2 REST) and print the outputs as JSON.')
    .argument('<model>', 'model name')
    .addOption(urlOption())
    .option(
      '-i, --input <NAME=@file.json>',
      'an input tensor: NAME=@file.json or NAME=<json>; repeat per input',
      (v: string, p: string[] = []) => [...p, v],
    )
    .option('-o, --output <name>', 'request only this output; repeatable', (v: string, p: string[] = []) => [
      ...p,
      v,
    ])
    .option('--version <version>', 'model version')
    .option('--binary', 'use the binary tensor extension for inputs and outputs')
    .option('--classification <k>', 'ask for the top-k classes of each requested output')
    .action(
      async (
        model: string,
        opts: {
          input?: string[];
          output?: string[];
          version?: string;
          binary?: boolean;
          classification?: string;
        },
        cmd: Command,
      ) => {
        const inputs = (opts.input ?? []).map(parseInputArg);
        if (inputs.length === 0) throw new KaleidoError('ERR_MISSING_INPUT', 'give at least one --input');
        const k = opts.classification !== undefined ? Number(opts.classification) : undefined;
        const outputs = opts.output?.map((name) => (k ? { name, parameters: { classification: k } } : name));
        const result = await clientFor(cmd).infer(
          model,
          { inputs: inputs as never, ...(outputs ? { outputs } : {}) },
          { ...(opts.version ? { version: opts.version } : {}), binary: opts.binary === true },
        );
        const out = {
          model_name: result.modelName,
          model_version: result.modelVersion,
          outputs: result.outputs.map((t) => ({
            name: t.name,
            datatype: t.datatype,
            shape: t.shape,
            data: printable(t as never),
          })),
        };
        process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
      },
    );
}
