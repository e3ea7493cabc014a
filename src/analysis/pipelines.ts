/**
 * The built-in pipelines, as data. Each step names an analyzer `<modality>/<task>`; steps without
 * `after` are independent and run concurrently. Operators list them at GET /v1/pipelines and pick
 * one per request (`?pipeline=`); policies may be scoped to a pipeline by name.
 *
 * Timeouts: the text analyzers are in-process and take milliseconds on normal inputs; the spam
 * step goes through the model server's dynamic batcher, so it gets the queue's worth of slack.
 */
import type { PipelineDefinition } from '../core/pipeline/index.js';

export const TEXT_DEFAULT_PIPELINE = 'text-default';

export const TEXT_PIPELINES: readonly PipelineDefinition[] = [
  {
    name: TEXT_DEFAULT_PIPELINE,
    modality: 'text',
    description:
      'Full text analysis: language, sentiment, entities, PII, profanity, spam, prompt injection and the ' +
      'rule-based moderation categories, then the safety policy.',
    steps: [
      { id: 'language', analyzer: 'text/language', timeoutMs: 2_000 },
      { id: 'sentiment', analyzer: 'text/sentiment', timeoutMs: 2_000 },
      { id: 'entities', analyzer: 'text/entities', timeoutMs: 5_000 },
      { id: 'pii', analyzer: 'text/pii', timeoutMs: 5_000 },
      { id: 'profanity', analyzer: 'text/profanity', timeoutMs: 2_000 },
      { id: 'spam', analyzer: 'text/spam', timeoutMs: 5_000 },
      { id: 'injection', analyzer: 'text/injection', timeoutMs: 2_000 },
      { id: 'moderation', analyzer: 'text/moderation', timeoutMs: 2_000 },
    ],
  },
  {
    name: 'text-pii',
    modality: 'text',
    description: 'PII detection only, with the policy’s redaction applied to the returned text.',
    steps: [{ id: 'pii', analyzer: 'text/pii', timeoutMs: 5_000 }],
  },
  {
    name: 'text-moderation',
    modality: 'text',
    description:
      'Every safety signal and nothing else: PII, profanity, spam, prompt injection, moderation rules.',
    steps: [
      { id: 'pii', analyzer: 'text/pii', timeoutMs: 5_000 },
      { id: 'profanity', analyzer: 'text/profanity', timeoutMs: 2_000 },
      { id: 'spam', analyzer: 'text/spam', timeoutMs: 5_000 },
      { id: 'injection', analyzer: 'text/injection', timeoutMs: 2_000 },
      { id: 'moderation', analyzer: 'text/moderation', timeoutMs: 2_000 },
    ],
  },
  {
    name: 'text-nlp',
    modality: 'text',
    description:
      'Language, sentiment and entities, without moderation signals (the verdict says what was unchecked).',
    steps: [
      { id: 'language', analyzer: 'text/language', timeoutMs: 2_000 },
      { id: 'sentiment', analyzer: 'text/sentiment', timeoutMs: 2_000 },
      { id: 'entities', analyzer: 'text/entities', timeoutMs: 5_000 },
    ],
  },
];

// ---------------------------------------------------------------------------------------------
// Image. NSFW and NanoDet are served models on the tfjs worker runtime (a worker thread each),
// faces run in a face-api worker thread, OCR in a Tesseract worker; quality and colours are cheap
// pixel statistics on the main thread. The default is what fits the image latency target on a
// small machine: the safety signal (NSFW) and the cheap, always-useful analyzers. Faces (≈1 s of
// CPU per image for face-api's SSD + landmark/age/gender/expression nets) and OCR (hundreds of ms,
// and only useful when there is text) are asked for by name (`?tasks=faces,ocr`) or through
// `image-full` (docs/benchmarks.md, "Image analysis"). Timeouts leave several times the measured
// warm latency (docs/accuracy.md) for a loaded machine.

export const IMAGE_DEFAULT_PIPELINE = 'image-default';
export const IMAGE_FULL_PIPELINE = 'image-full';

const IMAGE_STEPS = {
  quality: { id: 'quality', analyzer: 'image/quality', timeoutMs: 2_000 },
  colours: { id: 'colours', analyzer: 'image/colours', timeoutMs: 2_000 },
  nsfw: { id: 'nsfw', analyzer: 'image/nsfw', timeoutMs: 5_000 },
  objects: { id: 'objects', analyzer: 'image/objects', timeoutMs: 8_000 },
  faces: { id: 'faces', analyzer: 'image/faces', timeoutMs: 8_000 },
  ocr: { id: 'ocr', analyzer: 'image/ocr', timeoutMs: 15_000 },
} as const;

export const IMAGE_PIPELINES: readonly PipelineDefinition[] = [
  {
    name: IMAGE_DEFAULT_PIPELINE,
    modality: 'image',
    description:
      'Fast image analysis: quality metrics, dominant colours, NSFW classes (the sexual category of the ' +
      'safety verdict) and COCO-80 objects. Faces and OCR are opt-in: ?tasks=faces,ocr or image-full.',
    steps: [IMAGE_STEPS.quality, IMAGE_STEPS.colours, IMAGE_STEPS.nsfw, IMAGE_STEPS.objects],
  },
  {
    name: IMAGE_FULL_PIPELINE,
    modality: 'image',
    description:
      'Full image analysis: quality metrics, dominant colours, NSFW classes, COCO-80 objects, faces with ' +
      'age/gender/expression and OCR text (several times slower than image-default: faces and OCR dominate).',
    steps: [
      IMAGE_STEPS.quality,
      IMAGE_STEPS.colours,
      IMAGE_STEPS.nsfw,
      IMAGE_STEPS.objects,
      IMAGE_STEPS.faces,
      IMAGE_STEPS.ocr,
    ],
  },
  {
    name: 'image-moderation',
    modality: 'image',
    description: 'The safety signal only: NSFW classification feeding the sexual category.',
    steps: [IMAGE_STEPS.nsfw],
  },
  {
    name: 'image-detection',
    modality: 'image',
    description: 'Objects and faces (the verdict lists nsfw as unchecked).',
    steps: [IMAGE_STEPS.objects, IMAGE_STEPS.faces],
  },
  {
    name: 'image-ocr',
    modality: 'image',
    description: 'Text in the image (lines and words with boxes and confidences) and quality metrics.',
    steps: [IMAGE_STEPS.quality, IMAGE_STEPS.ocr],
  },
];

// ---------------------------------------------------------------------------------------------
// Audio. Decoding happens before the steps (prepare). The transcript step waits for the VAD so
// the recogniser decodes only speech; the moderation steps read the transcript. Timeouts follow
// the inputs' worst case (600 s of audio, docs/accuracy.md): the VAD runs ~30 ms of CPU per second
// of audio; the recogniser near real time on a loaded machine, and has its own limit (15 s + 2 s
// per audio second), which is the one that normally ends a stuck decode.

export const AUDIO_DEFAULT_PIPELINE = 'audio-default';

/** The moderation of a transcript: the text analyzers, re-registered as `<modality>/<task>`. */
const transcriptSafetySteps = (modality: 'audio' | 'video', after: readonly string[]) =>
  (['pii', 'profanity', 'injection', 'moderation'] as const).map((task) => ({
    id: task,
    analyzer: `${modality}/${task}`,
    after,
    timeoutMs: 10_000,
  }));

export const AUDIO_PIPELINES: readonly PipelineDefinition[] = [
  {
    name: AUDIO_DEFAULT_PIPELINE,
    modality: 'audio',
    description:
      'Signal metrics (level, loudness, clipping), voice activity, speech-to-text on the speech segments, ' +
      'then PII, profanity, prompt injection and the moderation rules on the transcript.',
    steps: [
      { id: 'signal', analyzer: 'audio/signal', timeoutMs: 30_000 },
      { id: 'vad', analyzer: 'audio/vad', timeoutMs: 120_000 },
      { id: 'transcript', analyzer: 'audio/transcript', after: ['vad'], timeoutMs: 1_260_000 },
      ...transcriptSafetySteps('audio', ['transcript']),
    ],
  },
  {
    name: 'audio-transcribe',
    modality: 'audio',
    description:
      'Voice activity and the moderated transcript, without signal metrics (a transcript is never returned unmoderated).',
    steps: [
      { id: 'vad', analyzer: 'audio/vad', timeoutMs: 120_000 },
      { id: 'transcript', analyzer: 'audio/transcript', after: ['vad'], timeoutMs: 1_260_000 },
      ...transcriptSafetySteps('audio', ['transcript']),
    ],
  },
  {
    name: 'audio-commands',
    modality: 'audio',
    description:
      'Spoken commands: voice activity, then the command grammar (default: ten keywords; options.commands ' +
      'may name phrases or a JSGF grammar) on each speech segment. Closed vocabulary: nothing to moderate.',
    steps: [
      { id: 'vad', analyzer: 'audio/vad', timeoutMs: 120_000 },
      { id: 'commands', analyzer: 'audio/commands', after: ['vad'], timeoutMs: 120_000 },
    ],
  },
];

// ---------------------------------------------------------------------------------------------
// Video. Frames, scene cuts and the audio track are decoded in prepare (one ffmpeg run for frames
// and cuts, the audio decoder alongside). `frames` runs the image analyzers on each sampled frame
// that differs from the last analysed one; `speech` runs VAD + transcript on the audio track; the
// moderation steps read the transcript and the text found in frames; `segments` merges it all by
// scene. The frames step's limit covers 60 frames at the image pipeline's measured p99.

export const VIDEO_DEFAULT_PIPELINE = 'video-default';

export const VIDEO_PIPELINES: readonly PipelineDefinition[] = [
  {
    name: VIDEO_DEFAULT_PIPELINE,
    modality: 'video',
    description:
      'Scene cuts; objects, faces, NSFW classes, OCR and colours on sampled frames; voice activity and ' +
      'transcript of the audio track; moderation of the transcript and on-screen text; per-scene segments.',
    steps: [
      { id: 'scenes', analyzer: 'video/scenes', timeoutMs: 5_000 },
      { id: 'frames', analyzer: 'video/frames', timeoutMs: 300_000 },
      { id: 'nsfw', analyzer: 'video/nsfw', timeoutMs: 120_000 },
      { id: 'speech', analyzer: 'video/speech', timeoutMs: 1_260_000 },
      ...transcriptSafetySteps('video', ['frames', 'speech']),
      { id: 'segments', analyzer: 'video/segments', after: ['scenes', 'frames', 'speech'], timeoutMs: 5_000 },
    ],
  },
];
