/**
 * Cheap checks on the raw bytes that ffprobe cannot make on a pipe (it cannot seek to the end, nor
 * know the file size): which container the bytes claim to be, the duration a header declares,
 * and whether an Ogg stream was cut off before its last page. They let the decoder tell a
 * truncated upload (ERR_MEDIA_CORRUPT) from junk (ERR_UNSUPPORTED_MEDIA_TYPE), and refuse a long
 * WAV/MP3 before decoding it.
 */

const ascii = (b: Uint8Array, at: number, n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(b[at + i] ?? 0);
  return s;
};

/** Size of a leading ID3v2 tag (0 when none): 10-byte header + syncsafe size (+ 10-byte footer). */
function id3Length(b: Uint8Array): number {
  if (b.length < 10 || ascii(b, 0, 3) !== 'ID3') return 0;
  const size =
    (((b[6] ?? 0) & 0x7f) << 21) |
    (((b[7] ?? 0) & 0x7f) << 14) |
    (((b[8] ?? 0) & 0x7f) << 7) |
    ((b[9] ?? 0) & 0x7f);
  const footer = ((b[5] ?? 0) & 0x10) !== 0 ? 10 : 0;
  return 10 + size + footer;
}

/** The container family the leading bytes announce, or undefined when they announce none. */
export function sniffContainer(b: Uint8Array): string | undefined {
  if (b.length < 4) return undefined;
  const head4 = ascii(b, 0, 4);
  if (head4 === 'RIFF' && ascii(b, 8, 4) === 'WAVE') return 'wav';
  if (head4 === 'RF64') return 'wav';
  if (head4 === 'OggS') return 'ogg';
  if (head4 === 'fLaC') return 'flac';
  if (head4 === 'FORM' && ['AIFF', 'AIFC'].includes(ascii(b, 8, 4))) return 'aiff';
  if (ascii(b, 4, 4) === 'ftyp') return 'mp4';
  if (b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return 'matroska';
  if (ascii(b, 0, 5) === '#!AMR') return 'amr';
  if (head4 === 'wvpk') return 'wavpack';
  if (head4 === 'MAC ') return 'ape';
  if (ascii(b, 0, 3) === 'ID3') return 'mp3';
  // An MPEG audio frame sync (11 set bits) or an ADTS AAC sync (12 set bits) at the start.
  if (b[0] === 0xff && ((b[1] ?? 0) & 0xe0) === 0xe0) return 'mpeg-audio';
  return undefined;
}

const MPEG_RATES: Readonly<Record<number, readonly number[]>> = {
  3: [44100, 48000, 32000], // MPEG-1
  2: [22050, 24000, 16000], // MPEG-2
  0: [11025, 12000, 8000], // MPEG-2.5
};

/**
 * Duration declared by the Xing/Info header of an MP3 (frame count × samples per frame / rate),
 * which LAME and ffmpeg write into the first frame. Undefined when there is none.
 */
export function mp3DeclaredSeconds(b: Uint8Array): number | undefined {
  let at = id3Length(b);
  // Skip padding between the tag and the first frame (bounded search).
  const limit = Math.min(b.length - 4, at + 4096);
  while (at < limit && !(b[at] === 0xff && ((b[at + 1] ?? 0) & 0xe0) === 0xe0)) at++;
  if (at >= limit) return undefined;
  const h1 = b[at + 1] ?? 0;
  const h2 = b[at + 2] ?? 0;
  const h3 = b[at + 3] ?? 0;
  const version = (h1 >> 3) & 0x3;
  const layer = (h1 >> 1) & 0x3;
  if (layer !== 1 || version === 1) return undefined; // Layer III only; 1 is reserved
  const rate = MPEG_RATES[version]?.[(h2 >> 2) & 0x3];
  if (rate === undefined) return undefined;
  const mono = h3 >> 6 === 3;
  const sideInfo = version === 3 ? (mono ? 17 : 32) : mono ? 9 : 17;
  const tag = at + 4 + sideInfo;
  const id = ascii(b, tag, 4);
  if (id !== 'Xing' && id !== 'Info') return undefined;
  if (tag + 12 > b.length) return undefined;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const flags = view.getUint32(tag + 4);
  if ((flags & 1) === 0) return undefined;
  const frames = view.getUint32(tag + 8);
  const samplesPerFrame = version === 3 ? 1152 : 576;
  return frames > 0 ? (frames * samplesPerFrame) / rate : undefined;
}

/**
 * Duration declared by a RIFF/WAVE header (data chunk bytes / byte rate); undefined when the
 * size is a streaming placeholder.
 */
export function wavDeclaredSeconds(b: Uint8Array): number | undefined {
  if (b.length < 12 || ascii(b, 0, 4) !== 'RIFF' || ascii(b, 8, 4) !== 'WAVE') return undefined;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let byteRate: number | undefined;
  let at = 12;
  while (at + 8 <= b.length) {
    const id = ascii(b, at, 4);
    const size = view.getUint32(at + 4, true);
    if (id === 'fmt ' && at + 16 <= b.length) byteRate = view.getUint32(at + 16, true);
    if (id === 'data') {
      // Writers that stream (espeak-ng --stdout, sox to a pipe) put 0 or a placeholder near 2^31 or
      // 2^32 here because they cannot seek back: such a size declares nothing.
      if (byteRate === undefined || byteRate === 0 || size === 0 || size >= 0x7fff0000) return undefined;
      return size / byteRate;
    }
    at += 8 + size + (size % 2); // chunks are word-aligned
  }
  return undefined;
}

/** The duration a header declares (WAV data size, MP3 Xing frame count), if any. */
export function declaredSeconds(b: Uint8Array): number | undefined {
  return wavDeclaredSeconds(b) ?? mp3DeclaredSeconds(b);
}

/**
 * True when an Ogg file was cut off: its last page is incomplete, or no page carries the
 * end-of-stream flag (header_type bit 0x04). A complete Ogg file always ends with an EOS page.
 */
export function oggIsTruncated(b: Uint8Array): boolean {
  if (ascii(b, 0, 4) !== 'OggS') return false;
  let at = 0;
  let sawEnd = false;
  // Walk the pages from the start: each is a 27-byte header, a segment table, then the segments.
  while (at + 27 <= b.length) {
    if (ascii(b, at, 4) !== 'OggS') return true;
    const segments = b[at + 26] ?? 0;
    if (at + 27 + segments > b.length) return true;
    let body = 0;
    for (let i = 0; i < segments; i++) body += b[at + 27 + i] ?? 0;
    const end = at + 27 + segments + body;
    if (end > b.length) return true;
    if (((b[at + 5] ?? 0) & 0x04) !== 0) sawEnd = true;
    at = end;
    // Bytes after the final page of a chained file would start another stream: keep walking.
  }
  return at !== b.length || !sawEnd;
}
