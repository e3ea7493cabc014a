/** sharp (libvips) adapter: the ImageDecoder port, with pixel limits checked from the header. */
export { SharpImageDecoder, DEFAULT_MAX_PIXELS, type SharpDecoderOptions } from './sharp-decoder.js';
