/** The video modality: the sampler port, which frames need analysis, and time segments. */
export * from './types.js';
export {
  DEFAULT_REUSE_THRESHOLD,
  SIGNATURE_GRID,
  frameSignature,
  planFrames,
  signatureDistance,
  type FramePlan,
} from './frames.js';
export {
  buildSegments,
  countPhrase,
  formatTime,
  plural,
  segmentBounds,
  type SegmentFrame,
  type SegmentOptions,
  type SegmentWord,
  type VideoSegment,
} from './segments.js';
