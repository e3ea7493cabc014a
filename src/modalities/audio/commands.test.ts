/**
 * The commands analyzer with the real soundswallower recogniser: request options (validated
 * before anything runs) and decoding per VAD segment with times in the clip's time base.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SoundswallowerCommands } from '../../adapters/asr-soundswallower/index.js';
import { runProcess } from '../../adapters/media-ffmpeg/child-process.js';
import type { DecodedAudio } from '../../core/ports/audio.js';
import { CommandsAnalyzer, MAX_COMMAND_PHRASES, phrasesGrammar } from './commands.js';

const RATE = 16000;
const PROBE = { container: 'wav', codec: 'pcm_s16le', sampleRate: RATE, channels: 1, audioStreams: 1 };
const analyzer = new CommandsAnalyzer(new SoundswallowerCommands());
let dir: string;

async function flite(text: string, voice: string): Promise<Float32Array> {
  const wav = join(dir, `${voice}-${text}.wav`);
  const raw = `${wav}.raw`;
  for (const [command, args] of [
    ['flite', ['-voice', voice, '-t', text, '-o', wav]],
    ['ffmpeg', ['-v', 'error', '-y', '-i', wav, '-ar', String(RATE), '-ac', '1', '-f', 's16le', raw]],
  ] as const) {
    const r = await runProcess({ command, args: [...args], timeoutMs: 30_000, maxStdoutBytes: 1 << 20 });
    if (r.exitCode !== 0) throw new Error(`${command} failed: ${r.stderr}`);
  }
  const b = readFileSync(raw);
  return Float32Array.from(new Int16Array(b.buffer, b.byteOffset, b.byteLength / 2), (x) => x / 32768);
}

const audio = (samples: Float32Array, sampleRate = RATE): DecodedAudio => ({
  samples,
  sampleRate,
  probe: PROBE,
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kaleido-cmd-'));
  await analyzer.init();
}, 60_000);
afterAll(async () => {
  await analyzer.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('CommandsAnalyzer options', () => {
  it('defaults to the recogniser grammar', async () => {
    expect(await analyzer.parseOptions(undefined)).toEqual({ grammar: 'default' });
    expect(await analyzer.parseOptions({})).toEqual({ grammar: 'default' });
  });

  it('normalises phrases, drops duplicates and builds a JSGF grammar', async () => {
    const o = await analyzer.parseOptions({ words: ['  Lights   ON ', 'lights on', "don't stop"] });
    expect(o).toEqual({
      grammar: 'words',
      phrases: ['lights on', "don't stop"],
      jsgf: phrasesGrammar(['lights on', "don't stop"]),
    });
  });

  it.each([
    [[], /1–200 phrases/],
    [Array.from({ length: MAX_COMMAND_PHRASES + 1 }, () => 'yes'), /1–200 phrases/],
    [['one two three four five'], /not a phrase of 1–4 words/],
    [['rm -rf'], /not a phrase/],
    [[42], /not a phrase/],
    [['qwzx'], /does not know qwzx/],
  ])('rejects words %j', async (words, message) => {
    await expect(analyzer.parseOptions({ words })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
      message: expect.stringMatching(message),
    });
  });

  it('rejects other shapes', async () => {
    await expect(analyzer.parseOptions('yes')).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
    await expect(analyzer.parseOptions({ jsgf: '' })).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
    await expect(analyzer.parseOptions({ grammar: 'x' })).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
  });

  it('accepts a JSGF grammar that parses', async () => {
    const jsgf = '#JSGF V1.0;\ngrammar g;\npublic <c> = (open | close) the door;\n';
    expect(await analyzer.parseOptions({ jsgf })).toEqual({ grammar: 'jsgf', jsgf });
  });
});

describe('CommandsAnalyzer.analyze', () => {
  it('decodes each VAD segment and reports times in the clip', async () => {
    const a = await flite('stop', 'slt');
    const b = await flite('go', 'rms');
    const clip = new Float32Array(RATE * 4);
    clip.set(a, RATE * 0.5);
    clip.set(b, RATE * 2.5);
    const r = await analyzer.analyze({
      audio: audio(clip),
      speech: [
        { start: 0.4, end: 0.5 + a.length / RATE + 0.1, probability: 0.9 },
        { start: 2.4, end: 2.5 + b.length / RATE + 0.1, probability: 0.9 },
      ],
    });
    expect(r.commands.map((c) => c.command)).toEqual(['stop', 'go']);
    expect(r.command).toBe('stop');
    expect(r.commands[0]!.start).toBeGreaterThanOrEqual(0.4);
    expect(r.commands[1]!.start).toBeGreaterThanOrEqual(2.4);
    expect(r.engine).toBe('soundswallower');
  }, 60_000);

  it('answers no command for silence, and refuses another sample rate', async () => {
    const r = await analyzer.analyze({ audio: audio(new Float32Array(RATE)) });
    expect(r).toMatchObject({ command: null, commands: [], grammar: 'default' });
    await expect(analyzer.analyze({ audio: audio(new Float32Array(8000), 8000) })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
  });
});
