/**
 * Bring-your-own Hugging Face classifier and spoken commands, end to end through the real server
 * (startKaleido, the production composition root):
 * - a model repository holding the generated tiny Hugging Face model (models/hf-fixtures) and a
 *   broken Hugging Face directory: the good one answers `/v1/analyze?tasks=hf:tiny-sentiment`
 *   (transformers.js) and the same ONNX file is served over OIP; the broken one is an unavailable
 *   analyzer with its reason, and the server starts anyway;
 * - spoken commands generated here with flite: `/v1/analyze?tasks=commands` (soundswallower),
 *   with the default grammar and with a request's own phrases, and bad options → 400.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../../src/adapters/media-ffmpeg/child-process.js';
import { hfAudioForward, sine } from '../../scripts/onnx/hf-tiny-model.js';
import {
  BUNDLED_REPOSITORY,
  REPO_ROOT,
  startTestServer,
  type TestServer,
} from '../helpers/kaleido-server.js';

interface Answer {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, asserted field by field.
  readonly body: any;
}

const golden = JSON.parse(
  readFileSync(join(REPO_ROOT, 'test', 'fixtures', 'golden', 'hf', 'tiny-sentiment.json'), 'utf8'),
) as {
  cases: Array<{
    text: string;
    input_ids: number[];
    logits: number[];
    probabilities: number[];
    label: string;
  }>;
};

let dir: string;
let server: TestServer;
const clips: Record<string, Uint8Array> = {};

async function post(body: string | Uint8Array, contentType: string, query = ''): Promise<Answer> {
  const res = await fetch(`${server.httpUrl}/v1/analyze${query}`, {
    method: 'POST',
    body,
    headers: { 'content-type': contentType },
  });
  return { status: res.status, body: await res.json() };
}

/** A flite command, 0.5 s of silence either side, 16 kHz mono WAV. */
async function command(text: string, voice: string): Promise<Uint8Array> {
  const raw = join(dir, `${voice}-${text.replace(/\W/g, '_')}.wav`);
  const out = `${raw}.16k.wav`;
  for (const [cmd, args] of [
    ['flite', ['-voice', voice, '-t', text, '-o', raw]],
    [
      'ffmpeg',
      [
        '-v',
        'error',
        '-y',
        '-i',
        raw,
        '-af',
        'adelay=500:all=1,apad=pad_dur=0.5',
        '-ar',
        '16000',
        '-ac',
        '1',
        out,
      ],
    ],
  ] as const) {
    const r = await runProcess({ command: cmd, args: [...args], timeoutMs: 30_000, maxStdoutBytes: 1 << 20 });
    if (r.exitCode !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  }
  return new Uint8Array(readFileSync(out));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kaleido-hf-e2e-'));
  const repo = join(dir, 'repo');
  cpSync(join(REPO_ROOT, 'models', 'hf-fixtures', 'tiny-sentiment'), join(repo, 'tiny-sentiment'), {
    recursive: true,
  });
  cpSync(join(REPO_ROOT, 'models', 'hf-fixtures', 'tiny-loudness'), join(repo, 'tiny-loudness'), {
    recursive: true,
  });
  mkdirSync(join(repo, 'broken-hf'));
  writeFileSync(
    join(repo, 'broken-hf', 'config.json'),
    JSON.stringify({
      architectures: ['BertForSequenceClassification'],
      model_type: 'bert',
      id2label: { 0: 'a' },
    }),
  );
  for (const [word, voice] of [
    ['stop', 'slt'],
    ['left', 'rms'],
    ['go', 'awb'],
    ['lights off', 'slt'],
  ] as const) {
    clips[word] = await command(word, voice);
  }
  server = await startTestServer({
    repositories: [repo, BUNDLED_REPOSITORY],
    startupModels: ['tiny-sentiment', 'silero_vad'],
    overrides: { 'analysis.modalities': 'text,audio' },
  });
}, 240_000);

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('bring-your-own Hugging Face classifier', () => {
  it('lists the good model as available and the broken one as unavailable with the reason', async () => {
    const res = await fetch(`${server.httpUrl}/v1/analyzers`);
    const body = (await res.json()) as { analyzers: Array<Record<string, unknown>> };
    const good = body.analyzers.find((a) => a.id === 'text/hf:tiny-sentiment');
    expect(good).toMatchObject({ available: true, model: 'tiny-sentiment', method: 'neural', safety: false });
    expect(good?.version).toMatch(/^1\+[0-9a-f]{12}$/);
    const bad = body.analyzers.find((a) => a.id === 'text/hf:broken-hf');
    expect(bad).toMatchObject({ available: false });
    expect(String(bad?.reason)).toContain('tokenizer.json is missing');
    expect(String(bad?.reason)).toContain('no ONNX model');
  });

  it('answers /v1/analyze?tasks=hf:tiny-sentiment with the golden labels and a stage naming the model', async () => {
    for (const g of golden.cases) {
      const r = await post(JSON.stringify({ text: g.text }), 'application/json', '?tasks=hf:tiny-sentiment');
      expect(r.status).toBe(200);
      const result = r.body.results['hf:tiny-sentiment'];
      expect(result.label).toBe(g.label);
      expect(result.labels.map((l: { label: string }) => l.label).sort()).toEqual(['NEGATIVE', 'POSITIVE']);
      const pos = result.labels.find((l: { label: string }) => l.label === 'POSITIVE').score;
      expect(Math.abs(pos - (g.probabilities[1] as number))).toBeLessThan(1e-5);
      const stage = r.body.stages.find((s: { name: string }) => s.name === 'hf:tiny-sentiment');
      expect(stage).toMatchObject({ status: 'ok', model: 'tiny-sentiment' });
      expect(stage.version).toMatch(/^1\+/);
    }
  });

  it('reports the broken model as a failed stage, not an empty result', async () => {
    const r = await post(JSON.stringify({ text: 'good' }), 'application/json', '?tasks=hf:broken-hf');
    expect(r.status).toBe(200);
    expect(r.body.results['hf:broken-hf']).toBeUndefined();
    expect(r.body.skipped['hf:broken-hf']).toBeDefined();
  });

  it('serves the same ONNX file over OIP (config completed from the signature) with the golden logits', async () => {
    const meta = await fetch(`${server.httpUrl}/v2/models/tiny-sentiment`);
    expect(meta.status).toBe(200);
    const g = golden.cases[0]!;
    const res = await fetch(`${server.httpUrl}/v2/models/tiny-sentiment/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        inputs: [
          { name: 'input_ids', datatype: 'INT64', shape: [1, g.input_ids.length], data: g.input_ids },
          {
            name: 'attention_mask',
            datatype: 'INT64',
            shape: [1, g.input_ids.length],
            data: g.input_ids.map(() => 1),
          },
        ],
      }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { outputs: Array<{ name: string; shape: number[]; data: number[] }> };
    const logits = body.outputs.find((o) => o.name === 'logits')!;
    expect(logits.shape).toEqual([1, 2]);
    logits.data.forEach((x, j) => expect(Math.abs(x - (g.logits[j] as number))).toBeLessThan(1e-5));
  });
});

/** 16-bit PCM mono WAV at 16 kHz, and the samples as the decoder will read them back. */
function wav(samples: Float32Array): { bytes: Uint8Array; decoded: Float32Array } {
  const pcm = Int16Array.from(samples, (x) => Math.round(Math.max(-1, Math.min(1, x)) * 32767));
  const out = new Uint8Array(44 + pcm.byteLength);
  const v = new DataView(out.buffer);
  const text = (at: number, s: string): void => [...s].forEach((c, i) => v.setUint8(at + i, c.charCodeAt(0)));
  text(0, 'RIFF');
  v.setUint32(4, 36 + pcm.byteLength, true);
  text(8, 'WAVEfmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, 16000, true);
  v.setUint32(28, 32000, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  text(36, 'data');
  v.setUint32(40, pcm.byteLength, true);
  out.set(new Uint8Array(pcm.buffer), 44);
  return { bytes: out, decoded: Float32Array.from(pcm, (x) => x / 32768) };
}

describe('bring-your-own Hugging Face audio classifier', () => {
  it('answers /v1/analyze?tasks=hf:tiny-loudness on decoded audio as the float64 reference says', async () => {
    for (const [amplitude, label] of [
      [0.5, 'LOUD'],
      [0.01, 'QUIET'],
    ] as const) {
      const clip = wav(sine(440, amplitude, 1));
      const r = await post(clip.bytes, 'audio/wav', '?tasks=hf:tiny-loudness');
      expect(r.status).toBe(200);
      const result = r.body.results['hf:tiny-loudness'];
      expect(result.label).toBe(label);
      const want = hfAudioForward(clip.decoded).probabilities[1] as number;
      const loud = result.labels.find((l: { label: string }) => l.label === 'LOUD').score;
      expect(Math.abs(loud - want)).toBeLessThan(1e-3);
      expect(r.body.stages.find((s: { name: string }) => s.name === 'hf:tiny-loudness')).toMatchObject({
        status: 'ok',
        model: 'tiny-loudness',
      });
    }
  });
});

describe('spoken commands', () => {
  it('recognises flite commands with the default grammar', async () => {
    for (const word of ['stop', 'left', 'go']) {
      const r = await post(clips[word]!, 'audio/wav', '?tasks=commands');
      expect(r.status).toBe(200);
      const c = r.body.results.commands;
      expect(c.command).toBe(word);
      expect(c.grammar).toBe('default');
      expect(c.commands[0].start).toBeGreaterThanOrEqual(0.3);
      expect(c.commands[0].end).toBeGreaterThan(c.commands[0].start);
      const stage = r.body.stages.find((s: { name: string }) => s.name === 'commands');
      expect(stage).toMatchObject({ status: 'ok', model: 'soundswallower' });
    }
  });

  it('runs the audio-commands pipeline (VAD segments, then the grammar)', async () => {
    const r = await post(clips['left']!, 'audio/wav', '?pipeline=audio-commands');
    expect(r.status).toBe(200);
    expect(r.body.results.commands.command).toBe('left');
    expect(r.body.results.vad.segments.length).toBeGreaterThan(0);
  });

  it('takes the request’s own phrases as options', async () => {
    const options = encodeURIComponent(
      JSON.stringify({ commands: { words: ['lights on', 'lights off', 'music'] } }),
    );
    const r = await post(clips['lights off']!, 'audio/wav', `?tasks=commands&options=${options}`);
    expect(r.status).toBe(200);
    expect(r.body.results.commands).toMatchObject({
      command: 'lights off',
      grammar: 'words',
      phrases: ['lights on', 'lights off', 'music'],
    });
  });

  it('answers 400 for bad options before running anything', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ commands: { words: ['flarbix'] } }, /does not know flarbix/],
      [{ commands: { jsgf: 'not a grammar' } }, /grammar cannot be used/],
      [{ commands: { words: ['yes'], jsgf: 'x' } }, /either words or jsgf/],
      [{ commands: { colour: 'red' } }, /unknown option colour/],
      [{ vad: {} }, /takes no options|not a step/],
    ];
    for (const [options, message] of cases) {
      const q = `?tasks=commands&options=${encodeURIComponent(JSON.stringify(options))}`;
      const r = await post(clips['stop']!, 'audio/wav', q);
      expect(r.status).toBe(400);
      expect(JSON.stringify(r.body)).toMatch(message);
    }
    const notJson = await post(clips['stop']!, 'audio/wav', '?tasks=commands&options=%7Bnope');
    expect(notJson.status).toBe(400);
  });
});
