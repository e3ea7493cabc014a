/** The `kaleido` CLI, driven in-process against a real server started with the fixture models. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildCli } from '../../src/cli/main.js';
import { parseInputArg } from '../../src/cli/infer.js';
import { loadConfig } from '../../src/config/load.js';
import { startKaleido, type RunningKaleido } from '../../src/main.js';

let server: RunningKaleido;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kaleido-cli-'));
  const config = loadConfig({
    overrides: {
      'server.httpPort': '0',
      'server.grpcEnabled': 'false',
      // The CLI's own auth options are tested in test/security; here the commands themselves.
      'auth.mode': 'disabled',
      'models.repositories': 'models/fixtures',
      'models.startup': 'mlp_fp32,identity_fp32,identity_bytes',
      'data.dir': dir,
    },
  });
  server = await startKaleido(config, { logger: pino({ level: 'silent' }) });
});

afterAll(async () => {
  await server.close();
});

/** Runs the CLI with args; returns what it printed. */
async function run(...args: string[]): Promise<string> {
  let out = '';
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
    return true;
  });
  try {
    const cli = buildCli().exitOverride();
    for (const c of cli.commands) c.exitOverride();
    await cli.parseAsync(['node', 'kaleido', ...args]);
  } finally {
    spy.mockRestore();
  }
  return out;
}

describe('kaleido CLI', () => {
  it('has --help on every command', async () => {
    const top = buildCli();
    const names = top.commands.flatMap((c) => [
      c.name(),
      ...c.commands.map((s) => `${c.name()} ${s.name()}`),
    ]);
    expect(names).toEqual(
      expect.arrayContaining([
        'serve',
        'models list',
        'models load',
        'models unload',
        'models info',
        'infer',
        'bench',
      ]),
    );
    for (const c of top.commands) {
      expect(c.helpInformation()).toContain(c.description().slice(0, 20));
      for (const s of c.commands) expect(s.helpInformation()).toContain('--url');
    }
    expect(top.commands.find((c) => c.name() === 'serve')?.helpInformation()).toContain('--model-repository');
  });

  it('lists, inspects, unloads and loads models', async () => {
    const list = await run('models', 'list', '--url', server.httpUrl);
    expect(list).toMatch(/mlp_fp32\s+1\s+READY/);
    const info = JSON.parse(await run('models', 'info', 'mlp_fp32', '--url', server.httpUrl)) as {
      config: { max_batch_size: number };
    };
    expect(info.config.max_batch_size).toBe(64);
    expect(await run('models', 'unload', 'identity_fp32', '--url', server.httpUrl)).toContain('unloaded');
    expect(await run('models', 'list', '--url', server.httpUrl, '--json')).toContain('"UNAVAILABLE"');
    expect(await run('models', 'load', 'identity_fp32', '--url', server.httpUrl)).toContain('loaded');
  });

  it('runs an inference from a JSON file, in JSON and binary mode', async () => {
    const file = join(dir, 'in.json');
    writeFileSync(file, JSON.stringify({ datatype: 'FP32', shape: [1, 3], data: [1, 2.5, -3] }));
    for (const mode of [[], ['--binary']]) {
      const out = JSON.parse(
        await run('infer', 'identity_fp32', '--input', `INPUT0=@${file}`, '--url', server.httpUrl, ...mode),
      ) as {
        outputs: Array<{ data: number[] }>;
      };
      expect(out.outputs[0]?.data).toEqual([1, 2.5, -3]);
    }
    const bytes = JSON.parse(
      await run(
        'infer',
        'identity_bytes',
        '--input',
        'INPUT0={"datatype":"BYTES","shape":[1,2],"data":["héllo",""]}',
        '--url',
        server.httpUrl,
      ),
    ) as { outputs: Array<{ data: string[] }> };
    expect(bytes.outputs[0]?.data).toEqual(['héllo', '']);
    const top = JSON.parse(
      await run(
        'infer',
        'mlp_fp32',
        '-i',
        `features={"datatype":"FP32","shape":[1,64],"data":[${Array(64).fill(0.1).join(',')}]}`,
        '-o',
        'probabilities',
        '--classification',
        '2',
        '--url',
        server.httpUrl,
      ),
    ) as { outputs: Array<{ shape: number[]; data: string[] }> };
    expect(top.outputs[0]?.shape).toEqual([1, 2]);
    expect(top.outputs[0]?.data[0]).toMatch(/^[0-9.e-]+:\d+:\w+/);
  });

  it('benchmarks a model briefly', async () => {
    const out = JSON.parse(
      await run(
        'bench',
        'identity_fp32',
        '--concurrency',
        '2',
        '--duration',
        '0.3',
        '--url',
        server.httpUrl,
        '--json',
      ),
    ) as Array<{
      'req/s': number;
      errors: number;
    }>;
    expect(out[0]?.['req/s']).toBeGreaterThan(0);
    expect(out[0]?.errors).toBe(0);
  });

  it('refuses malformed --input values clearly', () => {
    expect(() => parseInputArg('nonsense')).toThrow(/NAME=@file.json/);
    expect(() => parseInputArg('x={')).toThrow(/x/);
    expect(() => parseInputArg('x={"shape":[1]}')).toThrow(/datatype/);
  });
});
