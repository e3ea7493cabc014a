/**
 * A tiny text classifier in the Hugging Face / Optimum export layout, generated from reviewed
 * source (no Python, no download), to test the bring-your-own-model path end to end:
 *
 *   <name>/config.json            architectures, model_type "bert", id2label / label2id
 *   <name>/tokenizer.json         a WordPiece tokenizer (BertNormalizer, BertPreTokenizer, [CLS] … [SEP])
 *   <name>/tokenizer_config.json  BertTokenizer, lower case
 *   <name>/special_tokens_map.json
 *   <name>/onnx/model.onnx        inputs input_ids, attention_mask (int64 [batch, sequence]);
 *                                 output logits (float [batch, labels])
 *
 * The graph is an embedding bag: logits = (Σ_t mask_t · E[ids_t]) / max(1, Σ_t mask_t) · W + b.
 * Its weights are set so that it is a (very) small sentiment model: embedding dimension 0 carries a
 * word's polarity (+1 for a positive word, −1 for a negative one, 0 otherwise), the other dimensions
 * are seeded noise (mulberry32), and W reads mostly dimension 0. So "a great movie" is POSITIVE and
 * "a terrible movie" NEGATIVE, and the golden outputs are checkable by hand.
 *
 * Golden outputs are computed here independently of onnxruntime and of transformers.js: a small
 * WordPiece tokenizer of our own (lower case, split on whitespace and punctuation, greedy longest
 * match with "##" continuations) and the forward pass in float64.
 */
import { buildModel } from './onnx-writer.js';
import { mulberry32 } from './prng.js';

export const HF_TINY_NAME = 'tiny-sentiment';
export const HF_TINY_LABELS = ['NEGATIVE', 'POSITIVE'] as const;
const SEED = 4242;
const DIM = 8;

const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
const POSITIVE = ['good', 'great', 'love', 'excellent', 'happy', 'wonderful', 'best', 'fun', 'nice'];
const NEGATIVE = ['bad', 'terrible', 'hate', 'awful', 'sad', 'worst', 'boring', 'poor', 'ugly'];
const NEUTRAL = [
  'the',
  'a',
  'an',
  'this',
  'that',
  'is',
  'was',
  'it',
  'i',
  'movie',
  'film',
  'book',
  'day',
  'food',
  'and',
  'but',
  'very',
  'so',
  'not',
  'of',
  'what',
  '.',
  ',',
  '!',
  '?',
];
/** Continuation pieces so that unknown inflections still tokenize ("loved" → love ##d). */
const PIECES = ['##s', '##d', '##ed', '##ly', '##ing', '##er', '##est'];

export const HF_TINY_VOCAB: readonly string[] = [...SPECIAL, ...POSITIVE, ...NEGATIVE, ...NEUTRAL, ...PIECES];

function polarity(token: string): number {
  if (POSITIVE.includes(token)) return 1;
  if (NEGATIVE.includes(token)) return -1;
  return 0;
}

interface Weights {
  readonly embeddings: Float32Array; // [V, DIM]
  readonly w: Float32Array; // [DIM, 2]
  readonly b: Float32Array; // [2]
}

function weights(): Weights {
  const random = mulberry32(SEED);
  const noise = (): number => Math.fround((random() * 2 - 1) * 0.05);
  const v = HF_TINY_VOCAB.length;
  const embeddings = new Float32Array(v * DIM);
  HF_TINY_VOCAB.forEach((tok, i) => {
    embeddings[i * DIM] = polarity(tok);
    for (let d = 1; d < DIM; d++) embeddings[i * DIM + d] = noise();
  });
  const w = new Float32Array(DIM * 2);
  w[0] = -6;
  w[1] = 6;
  for (let d = 1; d < DIM; d++) {
    w[d * 2] = noise();
    w[d * 2 + 1] = noise();
  }
  const b = new Float32Array([0.1, -0.1]);
  return { embeddings, w, b };
}

/** The ONNX graph (opset 17). */
export function hfTinyOnnx(): Uint8Array {
  const { embeddings, w, b } = weights();
  const v = HF_TINY_VOCAB.length;
  return buildModel({
    graphName: 'tiny_sentiment_embedding_bag',
    producer: { name: 'kaleido-fixtures', version: '1' },
    docString:
      'Embedding-bag sentiment classifier in Hugging Face/Optimum layout (scripts/onnx/hf-tiny-model.ts)',
    inputs: [
      { name: 'input_ids', elemType: 'INT64', shape: ['batch_size', 'sequence_length'] },
      { name: 'attention_mask', elemType: 'INT64', shape: ['batch_size', 'sequence_length'] },
    ],
    outputs: [{ name: 'logits', elemType: 'FLOAT', shape: ['batch_size', 2] }],
    initializers: [
      { name: 'embeddings', elemType: 'FLOAT', dims: [v, DIM], values: embeddings },
      { name: 'classifier_w', elemType: 'FLOAT', dims: [DIM, 2], values: w },
      { name: 'classifier_b', elemType: 'FLOAT', dims: [2], values: b },
      { name: 'axis_1', elemType: 'INT64', dims: [1], values: [1n] },
      { name: 'axis_2', elemType: 'INT64', dims: [1], values: [2n] },
      { name: 'one', elemType: 'FLOAT', dims: [], values: [1] },
    ],
    nodes: [
      { opType: 'Gather', inputs: ['embeddings', 'input_ids'], outputs: ['tok'], attributes: [] },
      {
        opType: 'Cast',
        inputs: ['attention_mask'],
        outputs: ['mask'],
        attributes: [{ name: 'to', type: 'INT', value: 1 }],
      },
      { opType: 'Unsqueeze', inputs: ['mask', 'axis_2'], outputs: ['mask3'] },
      { opType: 'Mul', inputs: ['tok', 'mask3'], outputs: ['masked'] },
      {
        opType: 'ReduceSum',
        inputs: ['masked', 'axis_1'],
        outputs: ['summed'],
        attributes: [{ name: 'keepdims', type: 'INT', value: 0 }],
      },
      {
        opType: 'ReduceSum',
        inputs: ['mask', 'axis_1'],
        outputs: ['count'],
        attributes: [{ name: 'keepdims', type: 'INT', value: 1 }],
      },
      { opType: 'Max', inputs: ['count', 'one'], outputs: ['count1'] },
      { opType: 'Div', inputs: ['summed', 'count1'], outputs: ['mean'] },
      { opType: 'MatMul', inputs: ['mean', 'classifier_w'], outputs: ['mm'] },
      { opType: 'Add', inputs: ['mm', 'classifier_b'], outputs: ['logits'] },
    ],
  });
}

/** Our own WordPiece (BERT basic tokenizer + greedy longest match), for the golden outputs. */
export function wordpieceIds(text: string): number[] {
  const index = new Map(HF_TINY_VOCAB.map((t, i) => [t, i]));
  const unk = index.get('[UNK]') as number;
  const words = text
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{Mn}/gu, '')
    .replace(/([\p{P}\p{S}])/gu, ' $1 ')
    .split(/\s+/)
    .filter((w) => w !== '');
  const ids: number[] = [index.get('[CLS]') as number];
  for (const word of words) {
    const pieces: number[] = [];
    let start = 0;
    let ok = true;
    while (start < word.length) {
      let end = word.length;
      let found: number | undefined;
      while (start < end) {
        const sub = (start > 0 ? '##' : '') + word.slice(start, end);
        found = index.get(sub);
        if (found !== undefined) break;
        end--;
      }
      if (found === undefined) {
        ok = false;
        break;
      }
      pieces.push(found);
      start = end;
    }
    ids.push(...(ok ? pieces : [unk]));
  }
  ids.push(index.get('[SEP]') as number);
  return ids;
}

/** Float64 forward pass on one sequence (all positions attended). */
export function hfTinyForward(ids: readonly number[]): { logits: number[]; probabilities: number[] } {
  const { embeddings, w, b } = weights();
  const mean = new Array<number>(DIM).fill(0);
  for (const id of ids) for (let d = 0; d < DIM; d++) mean[d]! += embeddings[id * DIM + d] as number;
  for (let d = 0; d < DIM; d++) mean[d]! /= Math.max(1, ids.length);
  const logits = [0, 1].map((j) => {
    let s = b[j] as number;
    for (let d = 0; d < DIM; d++) s += (mean[d] as number) * (w[d * 2 + j] as number);
    return s;
  });
  const m = Math.max(...logits);
  const e = logits.map((x) => Math.exp(x - m));
  const z = e.reduce((a, x) => a + x, 0);
  return { logits, probabilities: e.map((x) => x / z) };
}

export const HF_TINY_GOLDEN_TEXTS = [
  'This movie was great!',
  'What a terrible, boring film.',
  'I loved the food and it was wonderful',
  'The worst day.',
  'xylophone quartz',
];

export interface HfTinyGolden {
  readonly model: string;
  readonly labels: readonly string[];
  readonly tolerance: number;
  readonly cases: ReadonlyArray<{
    readonly text: string;
    readonly input_ids: number[];
    readonly logits: number[];
    readonly probabilities: number[];
    readonly label: string;
  }>;
}

export function hfTinyGolden(): HfTinyGolden {
  return {
    model: HF_TINY_NAME,
    labels: [...HF_TINY_LABELS],
    tolerance: 1e-5,
    cases: HF_TINY_GOLDEN_TEXTS.map((text) => {
      const ids = wordpieceIds(text);
      const f = hfTinyForward(ids);
      const round = (x: number): number => Number(x.toPrecision(9));
      return {
        text,
        input_ids: ids,
        logits: f.logits.map(round),
        probabilities: f.probabilities.map(round),
        label: HF_TINY_LABELS[f.probabilities[1]! > f.probabilities[0]! ? 1 : 0] as string,
      };
    }),
  };
}

/** The files of the model directory, by path relative to it. */
export function hfTinyFiles(): Map<string, Uint8Array | string> {
  const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;
  const vocab = Object.fromEntries(HF_TINY_VOCAB.map((t, i) => [t, i]));
  const id = (t: string): number => vocab[t] as number;
  const special = (content: string) => ({
    id: id(content),
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL.map(special),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [id('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [id('[SEP]')], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab,
    },
  };
  const config = {
    _name_or_path: HF_TINY_NAME,
    architectures: ['BertForSequenceClassification'],
    model_type: 'bert',
    id2label: Object.fromEntries(HF_TINY_LABELS.map((l, i) => [String(i), l])),
    label2id: Object.fromEntries(HF_TINY_LABELS.map((l, i) => [l, i])),
    problem_type: 'single_label_classification',
    vocab_size: HF_TINY_VOCAB.length,
    hidden_size: DIM,
    max_position_embeddings: 128,
    pad_token_id: 0,
    kaleido_generator: 'scripts/onnx/hf-tiny-model.ts (embedding bag, not a BERT encoder)',
  };
  const tokenizerConfig = {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    model_max_length: 128,
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    mask_token: '[MASK]',
    clean_up_tokenization_spaces: true,
  };
  const specialMap = {
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    mask_token: '[MASK]',
  };
  return new Map<string, Uint8Array | string>([
    ['config.json', json(config)],
    ['tokenizer.json', json(tokenizer)],
    ['tokenizer_config.json', json(tokenizerConfig)],
    ['special_tokens_map.json', json(specialMap)],
    ['onnx/model.onnx', hfTinyOnnx()],
  ]);
}

// ---------------------------------------------------------------------------------------------
// tiny-loudness: an audio classifier in the same layout (Wav2Vec2ForSequenceClassification's
// interface: input_values float [batch, samples] → logits), whose graph is a loudness detector:
// z = log10(mean(x²) + 1e-10) · 10 (dB of the mean power, 0 dBFS = full-scale square wave);
// logits = [QUIET, LOUD] = [−(z + 30) / 5, (z + 30) / 5], i.e. LOUD above −30 dB mean power.
// preprocessor_config.json: Wav2Vec2FeatureExtractor at 16 kHz with do_normalize false (normalising
// each clip to unit variance would erase what the model measures).

export const HF_AUDIO_NAME = 'tiny-loudness';
export const HF_AUDIO_LABELS = ['QUIET', 'LOUD'] as const;
const LOUDNESS_THRESHOLD_DB = -30;

export function hfAudioOnnx(): Uint8Array {
  return buildModel({
    graphName: 'tiny_loudness',
    producer: { name: 'kaleido-fixtures', version: '1' },
    docString:
      'Mean-power loudness classifier in Hugging Face/Optimum layout (scripts/onnx/hf-tiny-model.ts)',
    inputs: [{ name: 'input_values', elemType: 'FLOAT', shape: ['batch_size', 'sequence_length'] }],
    outputs: [{ name: 'logits', elemType: 'FLOAT', shape: ['batch_size', 2] }],
    initializers: [
      { name: 'axis_1', elemType: 'INT64', dims: [1], values: [1n] },
      { name: 'eps', elemType: 'FLOAT', dims: [], values: [1e-10] },
      // dB = 10·log10(p) = (10 / ln 10)·ln(p)
      { name: 'db_scale', elemType: 'FLOAT', dims: [], values: [10 / Math.LN10] },
      { name: 'w', elemType: 'FLOAT', dims: [1, 2], values: [-1 / 5, 1 / 5] },
      {
        name: 'b',
        elemType: 'FLOAT',
        dims: [2],
        values: [LOUDNESS_THRESHOLD_DB / 5, -LOUDNESS_THRESHOLD_DB / 5],
      },
    ],
    nodes: [
      { opType: 'Mul', inputs: ['input_values', 'input_values'], outputs: ['sq'] },
      {
        opType: 'ReduceMean',
        inputs: ['sq'],
        outputs: ['power'],
        attributes: [
          { name: 'axes', type: 'INTS', value: [1] },
          { name: 'keepdims', type: 'INT', value: 1 },
        ],
      },
      { opType: 'Add', inputs: ['power', 'eps'], outputs: ['power_eps'] },
      { opType: 'Log', inputs: ['power_eps'], outputs: ['ln'] },
      { opType: 'Mul', inputs: ['ln', 'db_scale'], outputs: ['db'] },
      { opType: 'MatMul', inputs: ['db', 'w'], outputs: ['mm'] },
      { opType: 'Add', inputs: ['mm', 'b'], outputs: ['logits'] },
    ],
  });
}

/** Float64 reference of the loudness graph. */
export function hfAudioForward(samples: ArrayLike<number>): { logits: number[]; probabilities: number[] } {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += (samples[i] as number) ** 2;
  const db = 10 * Math.log10(sum / Math.max(1, samples.length) + 1e-10);
  const logits = [-(db - LOUDNESS_THRESHOLD_DB) / 5, (db - LOUDNESS_THRESHOLD_DB) / 5];
  const m = Math.max(...logits);
  const e = logits.map((x) => Math.exp(x - m));
  const z = e.reduce((a, x) => a + x, 0);
  return { logits, probabilities: e.map((x) => x / z) };
}

/** Test signals: 0.5 s sines at 16 kHz of a given peak amplitude. */
export const HF_AUDIO_GOLDEN_SIGNALS = [
  { name: 'sine-440-0.5', frequency: 440, amplitude: 0.5 },
  { name: 'sine-1000-0.01', frequency: 1000, amplitude: 0.01 },
  { name: 'sine-300-0.05', frequency: 300, amplitude: 0.05 },
] as const;

export function sine(frequency: number, amplitude: number, seconds = 0.5, rate = 16000): Float32Array {
  const out = new Float32Array(Math.round(seconds * rate));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * frequency * i) / rate);
  return out;
}

export function hfAudioGolden(): {
  model: string;
  labels: readonly string[];
  tolerance: number;
  cases: Array<{
    signal: string;
    frequency: number;
    amplitude: number;
    logits: number[];
    probabilities: number[];
    label: string;
  }>;
} {
  return {
    model: HF_AUDIO_NAME,
    labels: [...HF_AUDIO_LABELS],
    tolerance: 1e-4,
    cases: HF_AUDIO_GOLDEN_SIGNALS.map((s) => {
      // The reference reads the Float32 samples the model is given.
      const f = hfAudioForward(sine(s.frequency, s.amplitude));
      const round = (x: number): number => Number(x.toPrecision(9));
      return {
        signal: s.name,
        frequency: s.frequency,
        amplitude: s.amplitude,
        logits: f.logits.map(round),
        probabilities: f.probabilities.map(round),
        label: HF_AUDIO_LABELS[f.probabilities[1]! > f.probabilities[0]! ? 1 : 0] as string,
      };
    }),
  };
}

export function hfAudioFiles(): Map<string, Uint8Array | string> {
  const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;
  return new Map<string, Uint8Array | string>([
    [
      'config.json',
      json({
        _name_or_path: HF_AUDIO_NAME,
        architectures: ['Wav2Vec2ForSequenceClassification'],
        model_type: 'wav2vec2',
        id2label: Object.fromEntries(HF_AUDIO_LABELS.map((l, i) => [String(i), l])),
        label2id: Object.fromEntries(HF_AUDIO_LABELS.map((l, i) => [l, i])),
        kaleido_generator: 'scripts/onnx/hf-tiny-model.ts (mean-power loudness, not a wav2vec2 encoder)',
      }),
    ],
    [
      'preprocessor_config.json',
      json({
        feature_extractor_type: 'Wav2Vec2FeatureExtractor',
        feature_size: 1,
        sampling_rate: 16000,
        padding_value: 0,
        padding_side: 'right',
        do_normalize: false,
        return_attention_mask: false,
      }),
    ],
    ['onnx/model.onnx', hfAudioOnnx()],
  ]);
}

// ---------------------------------------------------------------------------------------------
// tiny-colour: an image classifier in the same layout (ViTForImageClassification's interface:
// pixel_values float [batch, 3, height, width] → logits [batch, 3]), whose graph tells which of
// red, green and blue dominates: m = the mean of each channel over the image (ReduceMean over
// height and width), logits = m · W + b with W = 4·(I − 1/3) (each channel's excess over the mean
// of the three) and a small fixed bias. preprocessor_config.json: ViTImageProcessor, bilinear
// resize to 32×32, rescale by 1/255, normalise with mean 0.5 and std 0.5 (pixels in [−1, 1]).
// For a uniformly coloured image every step is exact by hand, which is what the goldens use.

export const HF_IMAGE_NAME = 'tiny-colour';
export const HF_IMAGE_LABELS = ['RED', 'GREEN', 'BLUE'] as const;
export const HF_IMAGE_SIZE = 32;
// Float32 values, as stored in the ONNX file, so the float64 reference computes with the same weights.
const IMAGE_W: readonly number[] = [0, 1, 2].flatMap((i) =>
  [0, 1, 2].map((j) => Math.fround(4 * ((i === j ? 1 : 0) - 1 / 3))),
);
const IMAGE_B: readonly number[] = [0.05, 0, -0.05].map((x) => Math.fround(x));

export function hfImageOnnx(): Uint8Array {
  return buildModel({
    graphName: 'tiny_colour',
    producer: { name: 'kaleido-fixtures', version: '1' },
    docString:
      'Dominant-channel colour classifier in Hugging Face/Optimum layout (scripts/onnx/hf-tiny-model.ts)',
    inputs: [{ name: 'pixel_values', elemType: 'FLOAT', shape: ['batch_size', 3, 'height', 'width'] }],
    outputs: [{ name: 'logits', elemType: 'FLOAT', shape: ['batch_size', 3] }],
    initializers: [
      { name: 'w', elemType: 'FLOAT', dims: [3, 3], values: Float32Array.from(IMAGE_W) },
      { name: 'b', elemType: 'FLOAT', dims: [3], values: Float32Array.from(IMAGE_B) },
    ],
    nodes: [
      {
        opType: 'ReduceMean',
        inputs: ['pixel_values'],
        outputs: ['channel_means'],
        attributes: [
          { name: 'axes', type: 'INTS', value: [2, 3] },
          { name: 'keepdims', type: 'INT', value: 0 },
        ],
      },
      { opType: 'MatMul', inputs: ['channel_means', 'w'], outputs: ['mm'] },
      { opType: 'Add', inputs: ['mm', 'b'], outputs: ['logits'] },
    ],
  });
}

/** Float64 reference: the model on an image whose pixels are all `rgb` (0–255). */
export function hfImageForward(rgb: readonly [number, number, number]): {
  pixelValues: number[];
  logits: number[];
  probabilities: number[];
} {
  // ViTImageProcessor: x / 255, then (x − 0.5) / 0.5; resizing a uniform image changes nothing.
  const m = rgb.map((v) => (v / 255 - 0.5) / 0.5);
  const logits = [0, 1, 2].map((j) => {
    let s = IMAGE_B[j] as number;
    for (let i = 0; i < 3; i++) s += (m[i] as number) * (IMAGE_W[i * 3 + j] as number);
    return s;
  });
  const top = Math.max(...logits);
  const e = logits.map((x) => Math.exp(x - top));
  const z = e.reduce((a, x) => a + x, 0);
  return { pixelValues: m, logits, probabilities: e.map((x) => x / z) };
}

/** Test images: uniformly coloured, 48×40 (not square, not the model's size: the resize runs). */
export const HF_IMAGE_GOLDEN_COLOURS = [
  { name: 'crimson', rgb: [220, 20, 60] },
  { name: 'forest-green', rgb: [34, 139, 34] },
  { name: 'royal-blue', rgb: [65, 105, 225] },
  { name: 'grey', rgb: [128, 128, 128] },
] as const;

export function hfImageGolden(): {
  model: string;
  labels: readonly string[];
  tolerance: number;
  cases: Array<{
    image: string;
    rgb: number[];
    logits: number[];
    probabilities: number[];
    label: string;
  }>;
} {
  return {
    model: HF_IMAGE_NAME,
    labels: [...HF_IMAGE_LABELS],
    tolerance: 1e-4,
    cases: HF_IMAGE_GOLDEN_COLOURS.map((c) => {
      const f = hfImageForward(c.rgb);
      const round = (x: number): number => Number(x.toPrecision(9));
      const best = f.probabilities.indexOf(Math.max(...f.probabilities));
      return {
        image: c.name,
        rgb: [...c.rgb],
        logits: f.logits.map(round),
        probabilities: f.probabilities.map(round),
        label: HF_IMAGE_LABELS[best] as string,
      };
    }),
  };
}

export function hfImageFiles(): Map<string, Uint8Array | string> {
  const json = (v: unknown): string => `${JSON.stringify(v, null, 2)}\n`;
  return new Map<string, Uint8Array | string>([
    [
      'config.json',
      json({
        _name_or_path: HF_IMAGE_NAME,
        architectures: ['ViTForImageClassification'],
        model_type: 'vit',
        id2label: Object.fromEntries(HF_IMAGE_LABELS.map((l, i) => [String(i), l])),
        label2id: Object.fromEntries(HF_IMAGE_LABELS.map((l, i) => [l, i])),
        image_size: HF_IMAGE_SIZE,
        num_channels: 3,
        kaleido_generator: 'scripts/onnx/hf-tiny-model.ts (channel means, not a ViT encoder)',
      }),
    ],
    [
      'preprocessor_config.json',
      json({
        image_processor_type: 'ViTImageProcessor',
        do_resize: true,
        size: { height: HF_IMAGE_SIZE, width: HF_IMAGE_SIZE },
        resample: 2,
        do_rescale: true,
        rescale_factor: 1 / 255,
        do_normalize: true,
        image_mean: [0.5, 0.5, 0.5],
        image_std: [0.5, 0.5, 0.5],
      }),
    ],
    ['onnx/model.onnx', hfImageOnnx()],
  ]);
}
