/**
 * The soundswallower command recogniser on speech generated here with flite (Debian), so the
 * answer is known by construction; grammar validation; silence rejection.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProcess } from '../media-ffmpeg/child-process.js';
import { commandsGrammar, DEFAULT_COMMANDS, SoundswallowerCommands } from './index.js';

const RATE = 16000;
let dir: string;
const recognizer = new SoundswallowerCommands();

/** flite → 16 kHz mono s16 WAV → Float32, placed after `leadSeconds` of silence in a 2 s clip. */
async function speak(text: string, voice: string, leadSeconds = 0.5): Promise<Float32Array> {
  const wav = join(dir, `${voice}-${text.replace(/\W/g, '_')}.wav`);
  const raw = `${wav}.raw`;
  for (const [command, args] of [
    ['flite', ['-voice', voice, '-t', text, '-o', wav]],
    ['ffmpeg', ['-v', 'error', '-y', '-i', wav, '-ar', String(RATE), '-ac', '1', '-f', 's16le', raw]],
  ] as const) {
    const r = await runProcess({ command, args: [...args], timeoutMs: 30_000, maxStdoutBytes: 1 << 20 });
    if (r.exitCode !== 0) throw new Error(`${command} failed: ${r.stderr}`);
  }
  const bytes = readFileSync(raw);
  const pcm = new Int16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  const out = new Float32Array(Math.max(2 * RATE, Math.round(leadSeconds * RATE) + pcm.length));
  out.set(
    Float32Array.from(pcm, (x) => x / 32768),
    Math.round(leadSeconds * RATE),
  );
  return out;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kaleido-ss-'));
  await recognizer.init();
}, 60_000);
afterAll(async () => {
  await recognizer.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SoundswallowerCommands', () => {
  it('is available after init and reports its package version', () => {
    expect(recognizer.status()).toEqual({ available: true });
    expect(recognizer.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('recognises flite commands with a time range inside the clip', async () => {
    for (const [word, voice] of [
      ['stop', 'slt'],
      ['left', 'rms'],
      ['yes', 'awb'],
    ] as const) {
      const r = await recognizer.recognize(await speak(word, voice));
      expect(r?.command).toBe(word);
      expect(r!.start).toBeGreaterThanOrEqual(0.3);
      expect(r!.end).toBeGreaterThan(r!.start);
      expect(r!.end).toBeLessThanOrEqual(2);
      expect(r!.confidence).toBeGreaterThan(0);
      expect(r!.confidence).toBeLessThanOrEqual(1);
    }
  }, 60_000);

  it('answers no command for silence', async () => {
    expect(await recognizer.recognize(new Float32Array(RATE))).toBeNull();
  });

  it('decodes with a grammar given per call, and goes back to the default', async () => {
    const pcm = await speak('lights off', 'slt');
    const r = await recognizer.recognize(pcm, {
      jsgf: commandsGrammar(['lights on', 'lights off', 'music']),
    });
    expect(r?.command).toBe('lights off');
    expect(r?.words.map((w) => w.word)).toEqual(['lights', 'off']);
    const d = await recognizer.recognize(await speak('go', 'slt'));
    expect(DEFAULT_COMMANDS).toContain(d?.command);
    expect(d?.command).toBe('go');
  }, 60_000);

  it('times out a call, then starts a fresh decoder for the next one', async () => {
    const pcm = await speak('left', 'rms');
    await expect(recognizer.recognize(pcm, { timeoutMs: 1 })).rejects.toMatchObject({ code: 'ERR_TIMEOUT' });
    expect((await recognizer.recognize(pcm))?.command).toBe('left');
  }, 60_000);

  it('validates grammars and words', async () => {
    await expect(recognizer.checkGrammar('not jsgf')).rejects.toMatchObject({ code: 'ERR_VALIDATION' });
    await expect(recognizer.checkGrammar(commandsGrammar(['yes', 'flarbix']))).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
    await expect(recognizer.checkGrammar('x'.repeat(20_000))).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
    expect(await recognizer.unknownWords(['Yes', 'flarbix', 'stop'])).toEqual(['flarbix']);
    // A failed grammar does not break the decoder.
    expect((await recognizer.recognize(await speak('stop', 'slt')))?.command).toBe('stop');
  }, 60_000);
});
