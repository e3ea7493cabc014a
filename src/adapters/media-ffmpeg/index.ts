/** ffmpeg/ffprobe adapter: the AudioDecoder port over child processes (stdin → stdout, no temp files). */
export {
  FfmpegDecoder,
  DEFAULT_MAX_DURATION_SECONDS,
  DEFAULT_MAX_INPUT_BYTES,
  DEFAULT_SAMPLE_RATE,
  type FfmpegDecoderOptions,
} from './ffmpeg-decoder.js';
export { moveIndexToFront, isIsoBmff } from './mp4-faststart.js';
export {
  runProcess,
  stderrExcerpt,
  type RunOptions,
  type RunResult,
  type StopReason,
} from './child-process.js';
export {
  declaredSeconds,
  mp3DeclaredSeconds,
  oggIsTruncated,
  sniffContainer,
  wavDeclaredSeconds,
} from './container.js';
