/**
 * Evaluation of the spoken-commands analyzer (audio/commands: soundswallower + JSGF grammar).
 *
 *   npx tsx scripts/eval/commands.ts [--write] [--quick]
 *     --write   updates the commands section of docs/accuracy.md
 *     --quick   one noise variant per voice (smoke run; never written)
 *
 * Data (generated, seeded, documented): each of the ten default commands (yes no up down left
 * right on off stop go) spoken by the Debian TTS voices flite slt/rms/awb/kal16 and espeak-ng
 * en-us/en (British)/en-029 (Caribbean), decoded to 16 kHz mono by the project's ffmpeg decoder
 * (the TTS output as is, with its own short silences), then placed in a 2.0 s clip after a seeded
 * lead-in of 0.1–0.8 s (mulberry32, seed 20261127), in two conditions:
 *   clean  digital silence around the speech;
 *   noisy  uniform white noise at a seeded −60 to −45 dBFS RMS over the whole clip.
 * Per voice and condition: each command once (flite: 4 voices × 10 × 2 = 80 clips; espeak-ng:
 * 3 × 10 × 2 = 60). Scores are reported separately per engine and condition: the target (≥ 98 %)
 * is on clean flite voices; espeak-ng's formant synthesis is far from the acoustic model's
 * training speech and is reported as the hard case, and noise as the robustness case.
 *
 * A clip is correct when the analyzer's first command equals the spoken one. The time range is
 * checked too: the command must overlap the true speech range. Latency: wall time of one
 * `analyze` call on a 2.0 s clip (worker-thread decoding included), warm, sequential.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { SoundswallowerCommands, DEFAULT_COMMANDS } from '../../src/adapters/asr-soundswallower/index.js';
import { CommandsAnalyzer } from '../../src/modalities/audio/index.js';
import { mulberry32 } from '../onnx/prng.js';
import { availableParallelism, loadavg } from 'node:os';
import { synthesize, type Voice } from './audio-data.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SEED = 20261127;
const RATE = 16000;
const CLIP_SECONDS = 2.0;
const FLITE_VOICES = ['flite:slt', 'flite:rms', 'flite:awb', 'flite:kal16'] as const;
const ESPEAK_VOICES = ['espeak-ng:en-us', 'espeak-ng:en', 'espeak-ng:en-029'] as const;

type Condition = 'clean' | 'noisy';
const CONDITIONS: readonly Condition[] = ['clean', 'noisy'];

interface Clip {
  readonly voice: string;
  readonly condition: Condition;
  readonly command: string;
  readonly samples: Float32Array;
  readonly speech: { start: number; end: number };
}

interface Outcome {
  readonly clip: Clip;
  readonly answer: string | null;
  readonly overlaps: boolean;
  readonly ms: number;
}

/** Places `speech` after a seeded lead-in in a fixed-length clip, with seeded white noise when noisy. */
function place(
  speech: Float32Array,
  condition: Condition,
  random: () => number,
): { samples: Float32Array; start: number } {
  const total = Math.round(CLIP_SECONDS * RATE);
  const lead = Math.round((0.1 + random() * 0.7) * RATE);
  const out = new Float32Array(Math.max(total, lead + speech.length + RATE / 10));
  const noiseDbfs = -60 + random() * 15;
  // Uniform noise in [-a, a] has RMS a/√3.
  const amp = condition === 'noisy' ? 10 ** (noiseDbfs / 20) * Math.sqrt(3) : 0;
  for (let i = 0; i < out.length; i++) out[i] = (random() * 2 - 1) * amp;
  for (let i = 0; i < speech.length; i++) out[lead + i] = (out[lead + i] as number) + (speech[i] as number);
  return { samples: out, start: lead / RATE };
}

/** First and last 10 ms window whose RMS is above −45 dBFS (seconds into `samples`). */
function speechRange(samples: Float32Array): { start: number; end: number } {
  const win = RATE / 100;
  const threshold = 10 ** (-45 / 20);
  let first = -1;
  let last = -1;
  for (let w = 0; w * win < samples.length; w++) {
    let sum = 0;
    const end = Math.min(samples.length, (w + 1) * win);
    for (let i = w * win; i < end; i++) sum += (samples[i] as number) ** 2;
    if (Math.sqrt(sum / (end - w * win)) >= threshold) {
      if (first < 0) first = w;
      last = w;
    }
  }
  return first < 0 ? { start: 0, end: samples.length / RATE } : { start: first / 100, end: (last + 1) / 100 };
}

async function buildClips(quick: boolean): Promise<Clip[]> {
  const random = mulberry32(SEED);
  const clips: Clip[] = [];
  const voices = quick ? [FLITE_VOICES[0], ESPEAK_VOICES[0]] : [...FLITE_VOICES, ...ESPEAK_VOICES];
  for (const voice of voices) {
    for (const command of DEFAULT_COMMANDS) {
      const speech = (await synthesize(command, voice as Voice)).samples;
      // The true speech range (for the time-range check): the TTS output's own silence excluded.
      const range = speechRange(speech);
      for (const condition of CONDITIONS) {
        const p = place(speech, condition, random);
        clips.push({
          voice,
          condition,
          command,
          samples: p.samples,
          speech: { start: p.start + range.start, end: p.start + range.end },
        });
      }
    }
  }
  return clips;
}

const pct = (n: number, d: number): string => (d === 0 ? '—' : `${((100 * n) / d).toFixed(1)}%`);
const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[Math.floor((s.length - 1) / 2)] as number);
};
const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] as number;
};

function markdown(outcomes: readonly Outcome[], engineVersion: string): string {
  const cpus = availableParallelism();
  const correct = (o: readonly Outcome[]): number => o.filter((x) => x.answer === x.clip.command).length;
  const cell = (o: readonly Outcome[]): string => `${correct(o)}/${o.length} (${pct(correct(o), o.length)})`;
  const rows = (voices: readonly string[]): string[] =>
    voices
      .filter((v) => outcomes.some((x) => x.clip.voice === v))
      .map((v) => {
        const o = outcomes.filter((x) => x.clip.voice === v);
        const by = (c: Condition): Outcome[] => o.filter((x) => x.clip.condition === c);
        return `| ${v} | ${cell(by('clean'))} | ${cell(by('noisy'))} | ${o.filter((x) => x.overlaps).length}/${o.length} |`;
      });
  const group = (prefix: string, c: Condition): Outcome[] =>
    outcomes.filter((x) => x.clip.voice.startsWith(prefix) && x.clip.condition === c);
  const errors = outcomes
    .filter((x) => x.answer !== x.clip.command)
    .map(
      (x) =>
        `${x.clip.voice} ${x.clip.condition} "${x.clip.command}" → ${x.answer === null ? 'none' : `"${x.answer}"`}`,
    );
  const ms = outcomes.map((x) => x.ms);
  return `<!-- commands:begin (generated by \`npx tsx scripts/eval/commands.ts --write\`; edit the script, not this section) -->

## Audio: spoken commands

\`audio/commands\`: soundswallower ${engineVersion} (PocketSphinx wasm, CMU en-us acoustic model) with a JSGF grammar of
the ten default commands (${DEFAULT_COMMANDS.join(', ')}), decoded in a worker thread. Data: each command spoken by
Debian TTS voices (output as is), placed in a ${CLIP_SECONDS.toFixed(1)} s clip after a 0.1–0.8 s lead-in; white noise at −60…−45 dBFS over
all in the noisy condition, digital silence in the clean one (seed ${SEED}); each command once per voice and condition.
Synthetic speech only: no recorded voices, so these numbers say nothing about real speakers or microphones.

| Voice | Clean: correct | Noisy (−60…−45 dBFS white noise): correct | Time range overlaps the speech |
|---|---|---|---|
${rows([...FLITE_VOICES, ...ESPEAK_VOICES]).join('\n')}

**flite voices, clean: ${cell(group('flite:', 'clean'))}** (target ≥ 98%); flite in noise: ${cell(group('flite:', 'noisy'))}.
espeak-ng voices (reported separately): clean ${cell(group('espeak-ng:', 'clean'))}, noisy ${cell(group('espeak-ng:', 'noisy'))}.

Errors: ${errors.length === 0 ? 'none' : errors.join('; ')}.

Latency per ${CLIP_SECONDS.toFixed(1)} s clip (warm, sequential, one \`analyze\` call incl. the worker round trip): median
${median(ms).toFixed(1)} ms, p95 ${quantile(ms, 0.95).toFixed(1)} ms (n=${ms.length}; 1-minute load average ${loadavg()[0]?.toFixed(1)} on
${cpus} CPU cores while measuring — on a busy machine this is mostly waiting for a core).

<!-- commands:end -->`;
}

async function writeSection(section: string): Promise<void> {
  const file = join(ROOT, 'docs', 'accuracy.md');
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Accuracy\n';
  const begin = current.indexOf('<!-- commands:begin');
  const endMark = '<!-- commands:end -->';
  const end = current.indexOf(endMark);
  let next: string;
  if (begin !== -1 && end !== -1)
    next = `${current.slice(0, begin)}${section}${current.slice(end + endMark.length)}`;
  else {
    // After the audio section when there is one, else at the end.
    const audioEnd = current.indexOf('<!-- audio:end -->');
    next =
      audioEnd === -1
        ? `${current.trimEnd()}\n\n${section}\n`
        : `${current.slice(0, audioEnd + '<!-- audio:end -->'.length)}\n\n${section}${current.slice(audioEnd + '<!-- audio:end -->'.length)}`;
  }
  const options = (await prettier.resolveConfig(file)) ?? {};
  writeFileSync(file, await prettier.format(next, { ...options, filepath: file }));
}

async function main(): Promise<void> {
  const write = process.argv.includes('--write');
  const quick = process.argv.includes('--quick');
  const log = (s: string): void => console.log(`[eval:commands] ${s}`);
  const recognizer = new SoundswallowerCommands();
  const analyzer = new CommandsAnalyzer(recognizer);
  await analyzer.init();
  try {
    const clips = await buildClips(quick);
    log(`${clips.length} clips`);
    // Warm-up (not counted).
    await analyzer.analyze({ audio: { samples: clips[0]!.samples, sampleRate: RATE, probe: PROBE } });
    const outcomes: Outcome[] = [];
    for (const clip of clips) {
      const t0 = performance.now();
      const r = await analyzer.analyze({ audio: { samples: clip.samples, sampleRate: RATE, probe: PROBE } });
      const ms = performance.now() - t0;
      const c = r.commands[0];
      outcomes.push({
        clip,
        answer: r.command,
        overlaps: c !== undefined && c.start < clip.speech.end && clip.speech.start < c.end,
        ms,
      });
    }
    for (const prefix of ['flite:', 'espeak-ng:']) {
      for (const c of CONDITIONS) {
        const o = outcomes.filter((x) => x.clip.voice.startsWith(prefix) && x.clip.condition === c);
        const ok = o.filter((x) => x.answer === x.clip.command).length;
        log(`${prefix} ${c} ${ok}/${o.length} = ${pct(ok, o.length)}`);
      }
    }
    log(`median ${median(outcomes.map((x) => x.ms)).toFixed(1)} ms per clip`);
    const md = markdown(outcomes, recognizer.version);
    if (write && !quick) {
      await writeSection(md);
      log('docs/accuracy.md updated');
    } else console.log(md);
  } finally {
    await analyzer.close();
  }
}

const PROBE = {
  container: 'wav',
  codec: 'pcm_s16le',
  sampleRate: RATE,
  channels: 1,
  audioStreams: 1,
} as const;

await main();
