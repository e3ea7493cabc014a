/**
 * Reads the samples of a PCM/float WAV (see parseWavPcm) into mono float: integers scaled as
 * ffmpeg scales them (s16 / 32768, u8 − 128 / 128, …) and two channels averaged, which is what
 * `-ac 1 -rematrix_maxval 1.0` does for stereo. More channels are left to ffmpeg, whose downmix
 * matrix weighs centre, surround and LFE differently.
 */
import type { WavPcm } from './header-probe.js';

/** Channel counts the in-process reader downmixes exactly as ffmpeg does. */
export const IN_PROCESS_MAX_CHANNELS = 2;

/** Whole frames present in the data chunk. */
export const wavFrames = (wav: WavPcm): number => Math.floor(wav.dataBytes / wav.blockAlign);

/** Mono float samples of the first `frames` frames (default: all present). */
export function wavToMono(b: Uint8Array, wav: WavPcm, frames = wavFrames(wav)): Float32Array {
  if (wav.channels > IN_PROCESS_MAX_CHANNELS) {
    throw new RangeError(`in-process WAV reading downmixes at most ${IN_PROCESS_MAX_CHANNELS} channels`);
  }
  const view = new DataView(b.buffer, b.byteOffset + wav.dataOffset, frames * wav.blockAlign);
  const out = new Float32Array(frames);
  const ch = wav.channels;
  const width = wav.bitsPerSample / 8;
  const read = sampleReader(view, wav.codec);
  const scale = 1 / ch;
  for (let f = 0, at = 0; f < frames; f++) {
    let acc = 0;
    for (let c = 0; c < ch; c++, at += width) acc += read(at);
    out[f] = ch === 1 ? acc : acc * scale;
  }
  return out;
}

function sampleReader(view: DataView, codec: WavPcm['codec']): (at: number) => number {
  switch (codec) {
    case 'pcm_u8':
      return (at) => (view.getUint8(at) - 128) / 128;
    case 'pcm_s16le':
      return (at) => view.getInt16(at, true) / 32768;
    case 'pcm_s24le':
      return (at) =>
        (view.getUint8(at) | (view.getUint8(at + 1) << 8) | (view.getInt8(at + 2) << 16)) / 8388608;
    case 'pcm_s32le':
      return (at) => view.getInt32(at, true) / 2147483648;
    case 'pcm_f32le':
      return (at) => view.getFloat32(at, true);
    case 'pcm_f64le':
      return (at) => view.getFloat64(at, true);
  }
}
