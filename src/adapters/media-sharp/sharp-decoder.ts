/**
 * ImageDecoder on sharp (libvips): every common raster format in, oriented 8-bit pixels out.
 *
 * Untrusted input is bounded before any pixel is decoded: the header alone gives width × height,
 * and an image over `maxPixels` is refused from it (a 100-megapixel "decompression bomb" costs a
 * header parse, milliseconds and no memory). libvips re-checks the same limit while decoding
 * (`limitInputPixels`) in case a header lies about its size, strict `failOn: 'warning'` turns a
 * truncated or damaged file into an error instead of half-grey pixels, and a wall-clock timeout
 * bounds pathological files. Large images are shrunk while loading (JPEG shrink-on-load), so an
 * analysis copy of a 40-megapixel photo never holds the full raster.
 *
 * Only raster formats are accepted: SVG/PDF would let a body pull in fonts or external resources.
 */
import sharp, { type Metadata } from 'sharp';
import { KaleidoError, isKaleidoError } from '../../core/errors.js';
import { sniff } from '../../core/media/sniff.js';
import type { AnalyzerStatus } from '../../core/ports/analyzer.js';
import type { ImageDecodeOptions, ImageDecoder, ImageProbe, Raster } from '../../core/ports/image.js';

export interface SharpDecoderOptions {
  /** Largest width × height accepted (default 50 megapixels). */
  readonly maxPixels?: number;
  /** Wall-clock limit of one decode in seconds (default 10). */
  readonly timeoutSeconds?: number;
}

export const DEFAULT_MAX_PIXELS = 50_000_000;
const DEFAULT_TIMEOUT_SECONDS = 10;

/** sharp format name → the MIME type content sniffing gives the same bytes. */
const FORMAT_MIME: Readonly<Record<string, string>> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
  gif: 'image/gif',
  tiff: 'image/tiff',
  heif: 'image/heif',
};

function sharpVersion(): string {
  const v = sharp.versions as Record<string, string | undefined>;
  const pkg = v['sharp'] ?? 'unknown';
  return v['vips'] === undefined ? pkg : `${pkg} (libvips ${v['vips']})`;
}

const messageOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export class SharpImageDecoder implements ImageDecoder {
  readonly name = 'sharp';
  readonly version: string;
  readonly maxPixels: number;
  private readonly timeoutSeconds: number;

  constructor(options: SharpDecoderOptions = {}) {
    this.maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
    this.timeoutSeconds = options.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
    if (!(Number.isInteger(this.maxPixels) && this.maxPixels > 0)) {
      throw new KaleidoError('ERR_BAD_CONFIG', 'maxPixels must be a positive integer', {
        details: { field: 'maxPixels', value: this.maxPixels },
      });
    }
    if (!(Number.isInteger(this.timeoutSeconds) && this.timeoutSeconds > 0)) {
      throw new KaleidoError('ERR_BAD_CONFIG', 'timeoutSeconds must be a positive integer', {
        details: { field: 'timeoutSeconds', value: this.timeoutSeconds },
      });
    }
    this.version = sharpVersion();
  }

  init(): Promise<void> {
    // libvips' operation cache keeps decoded images of earlier requests alive; user images are
    // never decoded twice, so the cache only costs memory.
    sharp.cache(false);
    return Promise.resolve();
  }

  status(): AnalyzerStatus {
    return { available: true };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  async probe(input: Uint8Array): Promise<ImageProbe> {
    if (input.length === 0) {
      throw new KaleidoError('ERR_VALIDATION', 'the image is empty (zero bytes)', {
        details: { field: 'body', bytes: 0 },
      });
    }
    let meta: Metadata;
    try {
      meta = await sharp(input, { limitInputPixels: false, failOn: 'warning' }).metadata();
    } catch (e) {
      throw this.decodeError(input, e);
    }
    if (FORMAT_MIME[meta.format] === undefined) {
      throw new KaleidoError('ERR_UNSUPPORTED_MEDIA_TYPE', `${meta.format} images are not analysed`, {
        details: { format: meta.format, supported: Object.keys(FORMAT_MIME) },
      });
    }
    const width = meta.autoOrient?.width ?? meta.width;
    const height = meta.autoOrient?.height ?? meta.height;
    if (!(width > 0 && height > 0)) {
      throw new KaleidoError('ERR_MEDIA_CORRUPT', 'the image header declares no size', {
        details: { format: meta.format },
      });
    }
    if (width * height > this.maxPixels) {
      throw new KaleidoError(
        'ERR_PAYLOAD_TOO_LARGE',
        `the image is ${width}×${height} (${((width * height) / 1e6).toFixed(1)} megapixels); the limit is ${(this.maxPixels / 1e6).toFixed(1)} megapixels`,
        { details: { width, height, pixels: width * height, maxPixels: this.maxPixels } },
      );
    }
    return {
      format: meta.format,
      width,
      height,
      orientation: meta.orientation ?? 1,
      pages: meta.pages ?? 1,
      hasAlpha: meta.hasAlpha,
    };
  }

  async decode(input: Uint8Array, options: ImageDecodeOptions): Promise<Raster> {
    if (options.signal?.aborted === true) {
      throw new KaleidoError('ERR_CANCELLED', 'image decoding cancelled');
    }
    const maxSide = options.maxSide;
    if (maxSide !== undefined && !(Number.isInteger(maxSide) && maxSide > 0)) {
      throw new KaleidoError('ERR_VALIDATION', 'maxSide must be a positive integer', {
        details: { field: 'maxSide', value: maxSide },
      });
    }
    // The header check first: it refuses oversized images before libvips allocates anything.
    await this.probe(input);
    let pipeline = sharp(input, {
      limitInputPixels: this.maxPixels,
      failOn: 'warning',
      autoOrient: true,
      // Only the first frame of an animation or multi-page file.
      pages: 1,
    })
      .timeout({ seconds: this.timeoutSeconds })
      .flatten({ background: '#ffffff' });
    if (maxSide !== undefined) {
      pipeline = pipeline.resize({
        width: maxSide,
        height: maxSide,
        fit: 'inside',
        withoutEnlargement: true,
      });
    }
    pipeline = options.channels === 1 ? pipeline.greyscale() : pipeline.toColourspace('srgb');
    try {
      const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
      if (info.channels !== options.channels) {
        throw new KaleidoError(
          'ERR_INTERNAL',
          `decoder returned ${info.channels} channels, not ${options.channels}`,
        );
      }
      return {
        data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
        width: info.width,
        height: info.height,
        channels: options.channels,
      };
    } catch (e) {
      throw this.decodeError(input, e);
    }
  }

  /** Maps libvips' messages onto the error catalog; the magic bytes tell corrupt from unknown. */
  private decodeError(input: Uint8Array, e: unknown): KaleidoError {
    if (isKaleidoError(e)) return e;
    const message = messageOf(e);
    if (/exceeds pixel limit/i.test(message)) {
      return new KaleidoError('ERR_PAYLOAD_TOO_LARGE', `the image exceeds ${this.maxPixels} pixels`, {
        details: { maxPixels: this.maxPixels },
        cause: e,
      });
    }
    if (/timeout/i.test(message)) {
      return new KaleidoError('ERR_TIMEOUT', `decoding the image took longer than ${this.timeoutSeconds} s`, {
        details: { timeoutSeconds: this.timeoutSeconds },
        cause: e,
      });
    }
    const sniffed = sniff(input);
    const known = sniffed.modality === 'image' && Object.values(FORMAT_MIME).includes(sniffed.mime);
    if (!known) {
      return new KaleidoError(
        'ERR_UNSUPPORTED_MEDIA_TYPE',
        sniffed.modality === 'image'
          ? `${sniffed.mime} images are not supported by the decoder`
          : 'the content is not an image format the decoder reads',
        { details: { detected: sniffed.mime, supported: Object.values(FORMAT_MIME) }, cause: e },
      );
    }
    return new KaleidoError('ERR_MEDIA_CORRUPT', `the ${sniffed.mime} image is damaged or truncated`, {
      details: { detected: sniffed.mime, decoder: message.split('\n')[0]?.slice(0, 200) },
      cause: e,
    });
  }
}
