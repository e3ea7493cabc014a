/**
 * `npx tsx bench/audio.ts` — where the time of "decode + VAD of a 10 s clip" goes, and what the
 * decoder's header fast paths save, measured in ONE process in interleaved rounds (every case
 * once per round, round after round) so drifting load on the shared machine hits all cases alike.
 *
 * Clip: the first 10 s of test/fixtures/audio/vad-stream.flac (speech and noise), re-encoded as
 * FLAC 16 kHz mono (what scripts/eval/audio.ts times), WAV 16 kHz mono s16 and WAV 48 kHz stereo
 * s16. "two processes" is the decoder with `fastPaths: false` (ffprobe and ffmpeg on every input,
 * the behaviour before the fast paths); "fast" is the default, which decodes all three in process
 * (no child process). VAD runs the served silero_vad
 * through the real inference service (onnxruntime-node, 1 intra-op thread), as the server does.
 *
 * Flags: --quick (fewer runs), --write (replace the audio block of docs/benchmarks.md).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runProcess } from '../src/adapters/media-ffmpeg/child-process.js';
import { FfmpegDecoder } from '../src/adapters/media-ffmpeg/index.js';
import { createAudioAnalyzers } from '../src/modalities/audio/registry.js';
import { VAD_FRAME_SAMPLES } from '../src/modalities/audio/vad.js';
import { createAudioStack } from '../scripts/eval/audio-data.js';
import { describeMachine, machineLine } from './lib/report.js';

const ROOT = join(import.meta.dirname, '..');
const args = parseArgs({
  options: { quick: { type: 'boolean', default: false }, write: { type: 'boolean', default: false } },
}).values;
const ROUNDS = args.quick === true ? 2 : 4;
const PER_ROUND = args.quick === true ? 3 : 6;
const log = (s: string): void => void process.stderr.write(`[bench:audio] ${s}\n`);

/**
 * CPU time of this process plus its reaped children (ffmpeg, ffprobe), in ms: utime, stime,
 * cutime and cstime of /proc/self/stat (clock ticks, 100 per second on Linux). NaN elsewhere.
 */
function cpuMs(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // After "pid (comm) ": state is field 3, so utime … cstime (fields 14–17) are f[11..14].
    return [11, 12, 13, 14].reduce((sum, i) => sum + Number(f[i]), 0) * 10;
  } catch {
    return NaN;
  }
}

const quantile = (xs: readonly number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] ?? NaN;
};

async function ffmpegTo(input: Uint8Array, inArgs: string[], outArgs: string[]): Promise<Uint8Array> {
  const r = await runProcess({
    command: 'ffmpeg',
    args: ['-v', 'error', ...inArgs, '-i', 'pipe:0', ...outArgs],
    stdin: input,
    timeoutMs: 30_000,
    maxStdoutBytes: 1 << 26,
  });
  if (r.exitCode !== 0) throw new Error(r.stderr);
  return new Uint8Array(Buffer.concat(r.stdout));
}

/** Sets a WAV's RIFF and data sizes (ffmpeg writing to a pipe leaves placeholders). */
function fixWavSizes(b: Uint8Array): Uint8Array {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const at = Buffer.from(b).indexOf('data');
  v.setUint32(4, b.length - 8, true);
  v.setUint32(at + 4, b.length - at - 8, true);
  return b;
}

async function main(): Promise<void> {
  const machine = describeMachine();
  log(machineLine(machine));
  const stack = await createAudioStack();
  const legacy = new FfmpegDecoder({ fastPaths: false });
  const legacyAnalyzers = createAudioAnalyzers({ decoder: legacy, inference: stack.inference });
  await legacyAnalyzers.init();
  try {
    const fixture = new Uint8Array(readFileSync(join(ROOT, 'test/fixtures/audio/vad-stream.flac')));
    const pcm = await ffmpegTo(
      fixture,
      [],
      ['-t', '10', '-ac', '1', '-ar', '16000', '-f', 'f32le', 'pipe:1'],
    );
    const raw = ['-f', 'f32le', '-ar', '16000', '-ac', '1'];
    const flac = await ffmpegTo(pcm, raw, ['-sample_fmt', 's16', '-f', 'flac', 'pipe:1']);
    const wav16 = fixWavSizes(await ffmpegTo(pcm, raw, ['-c:a', 'pcm_s16le', '-f', 'wav', 'pipe:1']));
    const wav48 = fixWavSizes(
      await ffmpegTo(pcm, raw, ['-ar', '48000', '-ac', '2', '-c:a', 'pcm_s16le', '-f', 'wav', 'pipe:1']),
    );
    const samples = (await stack.decoder.decode(flac)).samples;
    const frames = Math.ceil(samples.length / VAD_FRAME_SAMPLES);
    const decodeArgs = (before: string[]): string[] => [
      ...['-nostdin', '-hide_banner', '-v', 'error', ...before, '-i', 'pipe:0', '-map', '0:a:0'],
      ...['-ac', '1', '-ar', '16000', '-f', 'f32le', 'pipe:1'],
    ];
    const proc = (command: string, a: string[], stdin?: Uint8Array) => () =>
      runProcess({
        command,
        args: a,
        ...(stdin ? { stdin } : {}),
        timeoutMs: 20_000,
        maxStdoutBytes: 1 << 26,
      });
    const vad = { tasks: ['vad' as const] };
    const cases: [string, () => Promise<unknown>][] = [
      ['process start: `ffprobe -version`', proc('ffprobe', ['-version'])],
      [
        'ffprobe alone, FLAC',
        proc(
          'ffprobe',
          ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '-i', 'pipe:0'],
          flac,
        ),
      ],
      ['ffmpeg decode alone, FLAC', proc('ffmpeg', decodeArgs([]), flac)],
      [
        'ffmpeg decode alone, FLAC, `-threads 1 -probesize 32k -analyzeduration 0`',
        proc('ffmpeg', decodeArgs(['-threads', '1', '-probesize', '32768', '-analyzeduration', '0']), flac),
      ],
      [
        'ffmpeg decode alone, FLAC, `-f flac` (no format probing)',
        proc('ffmpeg', decodeArgs(['-f', 'flac']), flac),
      ],
      ['decode FLAC, two processes', () => legacy.decode(flac)],
      ['decode FLAC, fast (in process)', () => stack.decoder.decode(flac)],
      ['decode WAV 16 kHz mono, two processes', () => legacy.decode(wav16)],
      ['decode WAV 16 kHz mono, fast (in process)', () => stack.decoder.decode(wav16)],
      ['decode WAV 48 kHz stereo, two processes', () => legacy.decode(wav48)],
      ['decode WAV 48 kHz stereo, fast (in process)', () => stack.decoder.decode(wav48)],
      [`VAD alone: ${frames} frames, one inference call each`, () => stack.vad.probabilities(samples)],
      ['decode + VAD, FLAC, two processes', () => legacyAnalyzers.analyze(flac, vad)],
      ['decode + VAD, FLAC, fast', () => stack.analyzers.analyze(flac, vad)],
      ['decode + VAD, WAV 48 kHz stereo, two processes', () => legacyAnalyzers.analyze(wav48, vad)],
      ['decode + VAD, WAV 48 kHz stereo, fast', () => stack.analyzers.analyze(wav48, vad)],
    ];
    const times = new Map<string, number[]>(cases.map(([n]) => [n, []]));
    const cpu = new Map<string, number>(cases.map(([n]) => [n, 0]));
    for (const [, f] of cases) await f(); // warm-up
    const load0 = loadavg()[0] ?? 0;
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, f] of cases) {
        const c0 = cpuMs();
        for (let i = 0; i < PER_ROUND; i++) {
          const t0 = performance.now();
          await f();
          times.get(name)?.push(performance.now() - t0);
        }
        cpu.set(name, (cpu.get(name) ?? 0) + cpuMs() - c0);
      }
      log(`round ${round + 1}/${ROUNDS}, load ${(loadavg()[0] ?? 0).toFixed(2)}`);
    }
    const load1 = loadavg()[0] ?? 0;
    const med = (n: string): number => quantile(times.get(n) ?? [], 0.5);
    const ratio = (a: string, b: string): string => `${(med(a) / med(b)).toFixed(2)}×`;
    const rows = cases.map(([name]) => {
      const t = times.get(name) ?? [];
      const cpuPerRun = (cpu.get(name) ?? NaN) / t.length;
      return `| ${name} | ${t.length} | ${quantile(t, 0.5).toFixed(0)} | ${quantile(t, 0.9).toFixed(0)} | ${Math.max(...t).toFixed(0)} | ${cpuPerRun.toFixed(0)} |`;
    });
    const md = [
      '### Audio decode + VAD latency (`npx tsx bench/audio.ts`)',
      '',
      `${machineLine(machine)}; 1-minute load average ${load0.toFixed(2)} before and ${load1.toFixed(2)} after the timed rounds. ${ROUNDS} interleaved rounds × ${PER_ROUND} runs per case, sequential, warm; 10 s clip; ms.`,
      '',
      '| case | runs | median | p90 | max | CPU per run (all processes) |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...rows,
      '',
      `Speed-up of the fast paths (median two processes / median fast): decode FLAC ${ratio('decode FLAC, two processes', 'decode FLAC, fast (in process)')}, WAV 16 kHz ${ratio('decode WAV 16 kHz mono, two processes', 'decode WAV 16 kHz mono, fast (in process)')}, WAV 48 kHz stereo ${ratio('decode WAV 48 kHz stereo, two processes', 'decode WAV 48 kHz stereo, fast (in process)')}; decode + VAD FLAC ${ratio('decode + VAD, FLAC, two processes', 'decode + VAD, FLAC, fast')}, WAV 48 kHz ${ratio('decode + VAD, WAV 48 kHz stereo, two processes', 'decode + VAD, WAV 48 kHz stereo, fast')}.`,
    ].join('\n');
    process.stdout.write(`${md}\n`);
    if (args.write === true) {
      const path = join(ROOT, 'docs', 'benchmarks.md');
      const START = '<!-- bench:audio:start (written by `npx tsx bench/audio.ts --write`) -->';
      const END = '<!-- bench:audio:end -->';
      const cur = readFileSync(path, 'utf8');
      const s = cur.indexOf(START);
      const e = cur.indexOf(END);
      const block = `${START}\n${md}\n${END}`;
      writeFileSync(
        path,
        s >= 0 && e > s
          ? cur.slice(0, s) + block + cur.slice(e + END.length)
          : `${cur.trimEnd()}\n\n${block}\n`,
      );
      log(`wrote ${path}`);
    }
  } finally {
    await legacyAnalyzers.close();
    await stack.close();
  }
}

await main();
