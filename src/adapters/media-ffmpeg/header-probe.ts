/**
 * What ffprobe would report, read from the first bytes of the two formats whose headers say it
 * all: RIFF/WAVE (the `fmt ` and `data` chunks) and FLAC (the mandatory STREAMINFO block). On the
 * decode path this saves one process start (~60 ms of CPU for ffprobe, which links the whole of
 * libavformat/libavcodec) per request; anything these parsers are not sure of answers undefined
 * and the decoder runs ffprobe as before.
 *
 * Names follow ffprobe's: container "wav"/"flac", codec "pcm_s16le", "pcm_f32le", "flac", …
 */
import type { AudioProbe } from '../../core/ports/audio.js';
import { wavDeclaredSeconds } from './container.js';

const ascii = (b: Uint8Array, at: number, n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(b[at + i] ?? 0);
  return s;
};

/** A RIFF/WAVE file with integer or float PCM that both ffmpeg and the JS reader decode. */
export interface WavPcm {
  readonly codec: 'pcm_u8' | 'pcm_s16le' | 'pcm_s24le' | 'pcm_s32le' | 'pcm_f32le' | 'pcm_f64le';
  readonly sampleRate: number;
  readonly channels: number;
  readonly bitsPerSample: number;
  /** Bytes per frame (all channels of one sample instant). */
  readonly blockAlign: number;
  /** Offset of the first sample byte. */
  readonly dataOffset: number;
  /**
   * Sample bytes present in the input: the data chunk's declared size, cut to what was uploaded
   * (a truncated file), or everything after the header when the size is a streaming placeholder.
   */
  readonly dataBytes: number;
  /** Duration the data chunk declares (undefined for streaming placeholders). */
  readonly declaredDurationSeconds: number | undefined;
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

function pcmCodec(tag: number, bits: number): WavPcm['codec'] | undefined {
  if (tag === WAVE_FORMAT_PCM) {
    if (bits === 8) return 'pcm_u8';
    if (bits === 16) return 'pcm_s16le';
    if (bits === 24) return 'pcm_s24le';
    if (bits === 32) return 'pcm_s32le';
  }
  if (tag === WAVE_FORMAT_IEEE_FLOAT) {
    if (bits === 32) return 'pcm_f32le';
    if (bits === 64) return 'pcm_f64le';
  }
  return undefined;
}

/**
 * Parses a RIFF/WAVE header with PCM or float samples; undefined for anything else (RF64,
 * compressed WAV such as ADPCM or μ-law, inconsistent fields, no data chunk in the bytes).
 */
export function parseWavPcm(b: Uint8Array): WavPcm | undefined {
  if (b.length < 12 || ascii(b, 0, 4) !== 'RIFF' || ascii(b, 8, 4) !== 'WAVE') return undefined;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let fmt: { tag: number; channels: number; rate: number; blockAlign: number; bits: number } | undefined;
  let at = 12;
  while (at + 8 <= b.length) {
    const id = ascii(b, at, 4);
    const size = view.getUint32(at + 4, true);
    const body = at + 8;
    if (id === 'fmt ') {
      if (size < 16 || body + 16 > b.length) return undefined;
      let tag = view.getUint16(body, true);
      if (tag === WAVE_FORMAT_EXTENSIBLE) {
        // The real format is the first two bytes of the SubFormat GUID, 24 bytes into the chunk.
        if (size < 40 || body + 26 > b.length) return undefined;
        tag = view.getUint16(body + 24, true);
      }
      fmt = {
        tag,
        channels: view.getUint16(body + 2, true),
        rate: view.getUint32(body + 4, true),
        blockAlign: view.getUint16(body + 12, true),
        bits: view.getUint16(body + 14, true),
      };
    } else if (id === 'data') {
      if (fmt === undefined) return undefined;
      const codec = pcmCodec(fmt.tag, fmt.bits);
      if (
        codec === undefined ||
        fmt.channels < 1 ||
        fmt.channels > 8 ||
        fmt.rate < 1000 ||
        fmt.rate > 768_000 ||
        fmt.blockAlign !== (fmt.channels * fmt.bits) / 8
      ) {
        return undefined;
      }
      const present = b.length - body;
      const placeholder = size === 0 || size >= 0x7fff0000;
      return {
        codec,
        sampleRate: fmt.rate,
        channels: fmt.channels,
        bitsPerSample: fmt.bits,
        blockAlign: fmt.blockAlign,
        dataOffset: body,
        dataBytes: placeholder ? present : Math.min(size, present),
        declaredDurationSeconds: wavDeclaredSeconds(b),
      };
    }
    at = body + size + (size % 2); // chunks are word-aligned
  }
  return undefined;
}

/** FLAC's STREAMINFO: rate, channels and total samples (0 = unknown, as a pipe writer leaves it). */
export function parseFlacStreamInfo(
  b: Uint8Array,
): { sampleRate: number; channels: number; bitsPerSample: number; totalSamples: number } | undefined {
  // "fLaC", then a metadata block header: 1 bit last-block flag, 7 bits type (0 = STREAMINFO),
  // 24 bits length (34 for STREAMINFO), then the 34-byte block.
  if (b.length < 42 || ascii(b, 0, 4) !== 'fLaC') return undefined;
  if (((b[4] ?? 0) & 0x7f) !== 0) return undefined;
  if ((((b[5] ?? 0) << 16) | ((b[6] ?? 0) << 8) | (b[7] ?? 0)) !== 34) return undefined;
  const s = 8;
  const minBlock = ((b[s] ?? 0) << 8) | (b[s + 1] ?? 0);
  const maxBlock = ((b[s + 2] ?? 0) << 8) | (b[s + 3] ?? 0);
  // Bytes 10..17: 20 bits rate, 3 bits channels − 1, 5 bits bits-per-sample − 1, 36 bits samples.
  const b10 = b[s + 10] ?? 0;
  const b11 = b[s + 11] ?? 0;
  const b12 = b[s + 12] ?? 0;
  const b13 = b[s + 13] ?? 0;
  const sampleRate = (b10 << 12) | (b11 << 4) | (b12 >> 4);
  const channels = ((b12 >> 1) & 0x7) + 1;
  const bitsPerSample = (((b12 & 1) << 4) | (b13 >> 4)) + 1;
  const totalSamples =
    (b13 & 0x0f) * 2 ** 32 +
    (((b[s + 14] ?? 0) << 24) >>> 0) +
    ((b[s + 15] ?? 0) << 16) +
    ((b[s + 16] ?? 0) << 8) +
    (b[s + 17] ?? 0);
  if (sampleRate < 1 || sampleRate > 655_350 || bitsPerSample < 4 || minBlock < 16 || maxBlock < minBlock) {
    return undefined;
  }
  return { sampleRate, channels, bitsPerSample, totalSamples };
}

/**
 * The probe ffprobe would return for a WAV (PCM/float) or FLAC input, from its header alone;
 * undefined when the header is anything else, so the caller runs ffprobe.
 */
export function headerProbe(b: Uint8Array): AudioProbe | undefined {
  const wav = parseWavPcm(b);
  if (wav !== undefined) {
    return {
      container: 'wav',
      codec: wav.codec,
      sampleRate: wav.sampleRate,
      channels: wav.channels,
      audioStreams: 1,
      // ffprobe reports PCM's bit rate as rate × channels × bits.
      bitRate: wav.sampleRate * wav.channels * wav.bitsPerSample,
      ...(wav.declaredDurationSeconds === undefined
        ? {}
        : { declaredDurationSeconds: wav.declaredDurationSeconds }),
    };
  }
  const flac = parseFlacStreamInfo(b);
  if (flac !== undefined) {
    return {
      container: 'flac',
      codec: 'flac',
      sampleRate: flac.sampleRate,
      channels: flac.channels,
      audioStreams: 1,
      ...(flac.totalSamples > 0 ? { declaredDurationSeconds: flac.totalSamples / flac.sampleRate } : {}),
    };
  }
  return undefined;
}
