/**
 * Definitions of the fixture model repository (models/fixtures) and its golden files
 * (test/fixtures/golden). Pure: returns bytes and JSON, writes nothing; scripts/generate-fixtures.ts
 * verifies and writes them.
 *
 * Every expected output in a golden file comes from scripts/onnx/reference.ts (or, for Identity,
 * from the input itself), never from onnxruntime.
 */
import type { Datatype } from '../../src/core/tensor.js';
import { onnxElemTypeOfDatatype } from '../../src/adapters/runtime-onnx/onnx-schema.js';
import type { GoldenCase, GoldenFile, JsonTensor } from '../../test/fixtures/golden.js';
import { halfBitsFromNumber, numberFromHalfBits } from './fp16.js';
import { attr, buildModel, type NodeSpec, type TensorSpec } from './onnx-writer.js';
import { mulberry32, uniformFloat32 } from './prng.js';
import { addSub, mlpForward, type DenseLayer } from './reference.js';

const PRODUCER = { name: 'kaleido-fixtures', version: '1' } as const;
const OPSET = 17;
const IR_VERSION = 8;

/** One model directory: config.json (unless omitted), extra files, and numbered versions. */
export interface FixtureModel {
  readonly name: string;
  /** Triton-style snake_case config; undefined = no config.json (exercise config completion). */
  readonly config: Record<string, unknown> | undefined;
  readonly versions: ReadonlyMap<number, Uint8Array>;
  /** Other files in the model directory (e.g. labels.txt), by file name. */
  readonly files: Readonly<Record<string, string>>;
  readonly golden: GoldenFile;
}

// ---------------------------------------------------------------------------------------------
// config.json

interface ConfigTensor {
  readonly name: string;
  readonly datatype: Datatype;
  /** Without the batch dimension. */
  readonly dims: readonly number[];
  readonly labelFilename?: string;
}

interface ConfigOptions {
  readonly maxBatchSize: number;
  readonly inputs: readonly ConfigTensor[];
  readonly outputs: readonly ConfigTensor[];
  readonly preferredBatchSizes: readonly number[];
  readonly versionPolicy?: Record<string, unknown>;
}

function configJson(name: string, o: ConfigOptions): Record<string, unknown> {
  const tensor = (t: ConfigTensor): Record<string, unknown> => ({
    name: t.name,
    data_type: t.datatype,
    dims: [...t.dims],
    ...(t.labelFilename === undefined ? {} : { label_filename: t.labelFilename }),
  });
  return {
    name,
    platform: 'onnxruntime_onnx',
    backend: 'onnxruntime',
    max_batch_size: o.maxBatchSize,
    ...(o.versionPolicy ? { version_policy: o.versionPolicy } : {}),
    input: o.inputs.map(tensor),
    output: o.outputs.map(tensor),
    dynamic_batching: {
      preferred_batch_sizes: [...o.preferredBatchSizes],
      max_queue_delay_ms: 2,
      max_queue_size: 1024,
    },
    instance_group: { count: 1 },
    parameters: { intra_op_thread_count: '1', inter_op_thread_count: '1' },
  };
}

// ---------------------------------------------------------------------------------------------
// identity_<datatype>

/** The 13 OIP datatypes (BF16 is an optional extension that onnxruntime-node cannot feed). */
export const IDENTITY_DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
] as const satisfies readonly Datatype[];

/**
 * Twelve sample values per datatype, edge values first (min/max, zero, sign, subnormal, multi-byte
 * UTF-8). Batch 1 uses the first row of three, batch 4 all twelve. 64-bit integers stay within
 * ±(2^53 − 1) so that the goldens are plain JSON numbers, as on the OIP JSON wire.
 */
const identitySamples: Record<(typeof IDENTITY_DATATYPES)[number], readonly (number | boolean | string)[]> = {
  BOOL: [true, false, true, false, false, true, true, true, false, false, true, false],
  UINT8: [0, 255, 1, 128, 127, 2, 3, 5, 8, 13, 21, 34],
  UINT16: [0, 65535, 1, 32768, 256, 255, 1000, 2000, 3000, 4000, 5000, 6000],
  UINT32: [0, 4294967295, 1, 2147483648, 65536, 7, 11, 13, 17, 19, 23, 29],
  UINT64: [0, 9007199254740991, 1, 4294967296, 42, 43, 44, 45, 46, 47, 48, 49],
  INT8: [-128, 127, 0, -1, 1, 64, -64, 2, -2, 3, -3, 4],
  INT16: [-32768, 32767, 0, -1, 1, 1024, -1024, 2, -2, 3, -3, 4],
  INT32: [-2147483648, 2147483647, 0, -1, 1, 65536, -65536, 2, -2, 3, -3, 4],
  INT64: [-9007199254740991, 9007199254740991, 0, -1, 1, 4294967296, -4294967296, 2, -2, 3, -3, 4],
  // All exactly representable in half precision: max, min normal 2^-14, min subnormal 2^-24.
  FP16: [65504, -65504, 0.00006103515625, 5.960464477539063e-8, 1.5, -2.25, 0, 0.5, -0.25, 3, 1024, -1],
  FP32: [
    3.4028234663852886e38, -3.4028234663852886e38, 1.1754943508222875e-38, 0, 1.5, -2.25, 0.1, -0.1, 1e10,
    -1e-10, 7, 8,
  ],
  FP64: [
    1.7976931348623157e308,
    -1.7976931348623157e308,
    2.2250738585072014e-308,
    5e-324,
    Math.PI,
    -Math.E,
    0,
    0.1,
    1e300,
    -1e-300,
    7,
    8,
  ],
  BYTES: [
    'hello',
    '',
    'naïve café ✓',
    'kaleido',
    '🙂 emoji',
    'a,b;c',
    'tab\tnew\nline',
    '"quoted"',
    'x',
    'yy',
    'zzz',
    '0',
  ],
};

/** Normalizes a JSON sample to the value a tensor of `datatype` holds (fp32 rounding etc.). */
function sampleValue(datatype: Datatype, v: number | boolean | string): number | boolean | string {
  if (datatype === 'FP32' && typeof v === 'number') return Math.fround(v);
  if (datatype === 'FP16' && typeof v === 'number') return numberFromHalfBits(halfBitsFromNumber(v));
  return v;
}

function identityModel(datatype: (typeof IDENTITY_DATATYPES)[number]): FixtureModel {
  const name = `identity_${datatype.toLowerCase()}`;
  const elemType = onnxElemTypeOfDatatype[datatype];
  const model = buildModel({
    graphName: name,
    inputs: [{ name: 'INPUT0', elemType, shape: ['batch', 'width'] }],
    outputs: [{ name: 'OUTPUT0', elemType, shape: ['batch', 'width'] }],
    nodes: [{ opType: 'Identity', inputs: ['INPUT0'], outputs: ['OUTPUT0'], name: 'identity' }],
    opset: OPSET,
    irVersion: IR_VERSION,
    producer: PRODUCER,
    docString: `Identity over ${datatype}: OUTPUT0 = INPUT0.`,
    metadata: { 'kaleido.fixture': name, 'kaleido.datatype': datatype },
  });
  const samples = identitySamples[datatype].map((v) => sampleValue(datatype, v));
  const cases: GoldenCase[] = [1, 4].map((batch) => {
    const data = samples.slice(0, batch * 3);
    const tensor = (tensorName: string): JsonTensor => ({
      name: tensorName,
      datatype,
      shape: [batch, 3],
      data,
    });
    return {
      model_version: '1',
      batch_size: batch,
      inputs: [tensor('INPUT0')],
      outputs: [tensor('OUTPUT0')],
    };
  });
  return {
    name,
    config: configJson(name, {
      maxBatchSize: 64,
      inputs: [{ name: 'INPUT0', datatype, dims: [-1] }],
      outputs: [{ name: 'OUTPUT0', datatype, dims: [-1] }],
      preferredBatchSizes: [4, 8],
    }),
    versions: new Map([[1, model]]),
    files: {},
    golden: {
      model: name,
      description: `Identity round trip for ${datatype}; outputs equal inputs exactly.`,
      reference: 'identity',
      tolerance: { relative: 0, absolute: 0 },
      cases,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// add_sub_fp32 (version 1: OUTPUT1 = a − b; version 2: OUTPUT1 = b − a)

const ADD_SUB_WIDTH = 16;

function addSubModel(version: 1 | 2): Uint8Array {
  const shape = ['batch', ADD_SUB_WIDTH];
  const io = (name: string) => ({ name, elemType: 'FLOAT' as const, shape });
  return buildModel({
    graphName: 'add_sub_fp32',
    inputs: [io('INPUT0'), io('INPUT1')],
    outputs: [io('OUTPUT0'), io('OUTPUT1')],
    nodes: [
      { opType: 'Add', inputs: ['INPUT0', 'INPUT1'], outputs: ['OUTPUT0'], name: 'add' },
      {
        opType: 'Sub',
        inputs: version === 1 ? ['INPUT0', 'INPUT1'] : ['INPUT1', 'INPUT0'],
        outputs: ['OUTPUT1'],
        name: 'sub',
      },
    ],
    opset: OPSET,
    irVersion: IR_VERSION,
    producer: PRODUCER,
    modelVersion: version,
    docString:
      version === 1
        ? 'OUTPUT0 = INPUT0 + INPUT1, OUTPUT1 = INPUT0 - INPUT1'
        : 'OUTPUT0 = INPUT0 + INPUT1, OUTPUT1 = INPUT1 - INPUT0',
    metadata: { 'kaleido.fixture': 'add_sub_fp32', 'kaleido.version': String(version) },
  });
}

function addSubFixture(): FixtureModel {
  const random = mulberry32(0xadd5);
  const cases: GoldenCase[] = [];
  for (const version of [1, 2] as const) {
    for (const batch of [1, 4]) {
      const a = uniformFloat32(random, batch * ADD_SUB_WIDTH, 10);
      const b = uniformFloat32(random, batch * ADD_SUB_WIDTH, 10);
      const { sum, difference } = addSub(a, b);
      const second = version === 1 ? difference : difference.map((d) => -d);
      const t = (name: string, data: ArrayLike<number>): JsonTensor => ({
        name,
        datatype: 'FP32',
        shape: [batch, ADD_SUB_WIDTH],
        data: Array.from(data),
      });
      cases.push({
        model_version: String(version),
        batch_size: batch,
        inputs: [t('INPUT0', a), t('INPUT1', b)],
        outputs: [t('OUTPUT0', sum), t('OUTPUT1', second)],
      });
    }
  }
  const io = (name: string): ConfigTensor => ({ name, datatype: 'FP32', dims: [ADD_SUB_WIDTH] });
  return {
    name: 'add_sub_fp32',
    config: configJson('add_sub_fp32', {
      maxBatchSize: 64,
      inputs: [io('INPUT0'), io('INPUT1')],
      outputs: [io('OUTPUT0'), io('OUTPUT1')],
      preferredBatchSizes: [8, 16],
      // Both versions are served so that version routing and reload can be tested.
      versionPolicy: { all: {} },
    }),
    versions: new Map([
      [1, addSubModel(1)],
      [2, addSubModel(2)],
    ]),
    files: {},
    golden: {
      model: 'add_sub_fp32',
      description: 'Version 1: OUTPUT0 = a + b, OUTPUT1 = a - b. Version 2: OUTPUT1 = b - a.',
      reference: 'scripts/onnx/reference.ts addSub (float64)',
      tolerance: { relative: 1e-6, absolute: 1e-6 },
      cases,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// MLPs: Gemm+Relu (input) → [Gemm+Relu (hidden)] × n → Gemm (classes) → Softmax

export const CIFAR10_LABELS = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
] as const;

interface MlpSpec {
  readonly name: string;
  readonly seed: number;
  readonly inputWidth: number;
  readonly hiddenWidth: number;
  /**
   * How many times the one hidden→hidden layer is applied. Above 1 its weights are shared (tied)
   * between applications: compute grows with depth while the file stays small.
   */
  readonly hiddenRepeats: number;
  readonly classes: number;
  readonly maxBatchSize: number;
  readonly preferredBatchSizes: readonly number[];
  readonly withConfig: boolean;
  readonly description: string;
}

const MLP_INPUT = 'features';
const MLP_OUTPUT = 'probabilities';

function denseLayer(
  random: () => number,
  inFeatures: number,
  outFeatures: number,
  relu: boolean,
): DenseLayer {
  return {
    inFeatures,
    outFeatures,
    // He-style uniform init: variance 2 / fanIn keeps activations O(1) through ReLUs.
    weights: uniformFloat32(random, inFeatures * outFeatures, Math.sqrt(6 / inFeatures)),
    bias: uniformFloat32(random, outFeatures, 0.05),
    relu,
  };
}

/**
 * Rescales the tied hidden layer so that applying it `repeats` times neither blows activations up
 * nor shrinks them to nothing (a random matrix applied 24 times would): a bias-free ReLU layer is
 * positively homogeneous, so scaling W by α scales the stack by α^repeats, and α is chosen to make
 * the stack's mean gain on calibration inputs 1. Deterministic (same seed, same arithmetic).
 */
function normalizeTiedLayer(
  first: DenseLayer,
  hidden: DenseLayer,
  repeats: number,
  random: () => number,
): DenseLayer {
  const calibration = 16;
  const h0 = mlpForward(
    [first],
    uniformFloat32(random, calibration * first.inFeatures, 1),
    calibration,
    false,
  );
  const bareHidden = { ...hidden, bias: new Float32Array(hidden.outFeatures) };
  const hN = mlpForward(Array<DenseLayer>(repeats).fill(bareHidden), h0, calibration, false);
  const norm = (v: Float64Array): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  const gain = norm(hN) / norm(h0);
  const alpha = gain > 0 ? gain ** (-1 / repeats) : 1;
  return { ...hidden, weights: hidden.weights.map((w) => w * alpha) };
}

/** The layer sequence (tied layers appear several times as the same object). */
function mlpLayers(spec: MlpSpec): DenseLayer[] {
  const random = mulberry32(spec.seed);
  const first = denseLayer(random, spec.inputWidth, spec.hiddenWidth, true);
  let hidden = denseLayer(random, spec.hiddenWidth, spec.hiddenWidth, true);
  const last = denseLayer(random, spec.hiddenWidth, spec.classes, false);
  if (spec.hiddenRepeats > 1) hidden = normalizeTiedLayer(first, hidden, spec.hiddenRepeats, random);
  return [first, ...Array<DenseLayer>(spec.hiddenRepeats).fill(hidden), last];
}

function mlpOnnx(spec: MlpSpec, layers: readonly DenseLayer[]): Uint8Array {
  const nodes: NodeSpec[] = [];
  const initializers: TensorSpec[] = [];
  const names = new Map<DenseLayer, string>();
  let current = MLP_INPUT;
  layers.forEach((layer, index) => {
    // One initializer pair per distinct layer object: tied applications share them.
    let prefix = names.get(layer);
    if (prefix === undefined) {
      prefix = `fc${names.size + 1}`;
      names.set(layer, prefix);
      initializers.push(
        {
          name: `${prefix}.weight`,
          elemType: 'FLOAT',
          dims: [layer.inFeatures, layer.outFeatures],
          values: layer.weights,
        },
        { name: `${prefix}.bias`, elemType: 'FLOAT', dims: [layer.outFeatures], values: layer.bias },
      );
    }
    const step = `layer${index + 1}`;
    const gemmOut = layer.relu ? `${step}.linear` : 'logits';
    nodes.push({
      opType: 'Gemm',
      name: `${step}.gemm`,
      inputs: [current, `${prefix}.weight`, `${prefix}.bias`],
      outputs: [gemmOut],
    });
    current = gemmOut;
    if (layer.relu) {
      nodes.push({ opType: 'Relu', name: `${step}.relu`, inputs: [current], outputs: [step] });
      current = step;
    }
  });
  nodes.push({
    opType: 'Softmax',
    name: 'softmax',
    inputs: [current],
    outputs: [MLP_OUTPUT],
    attributes: [attr.int('axis', -1)],
  });
  return buildModel({
    graphName: spec.name,
    inputs: [{ name: MLP_INPUT, elemType: 'FLOAT', shape: ['batch', spec.inputWidth] }],
    outputs: [{ name: MLP_OUTPUT, elemType: 'FLOAT', shape: ['batch', spec.classes] }],
    nodes,
    initializers,
    opset: OPSET,
    irVersion: IR_VERSION,
    producer: PRODUCER,
    docString: spec.description,
    metadata: {
      'kaleido.fixture': spec.name,
      'kaleido.architecture':
        `mlp ${spec.inputWidth}-${spec.hiddenWidth}` +
        `${spec.hiddenRepeats > 1 ? `-(${spec.hiddenWidth}x${spec.hiddenRepeats} tied)` : `-${spec.hiddenWidth}`}` +
        `-${spec.classes} relu softmax`,
      'kaleido.seed': String(spec.seed),
      labels: CIFAR10_LABELS.join(','),
    },
  });
}

function mlpFixture(spec: MlpSpec): FixtureModel {
  const layers = mlpLayers(spec);
  const random = mulberry32(spec.seed ^ 0x5eed);
  const cases: GoldenCase[] = [1, 4].map((batch) => {
    const input = uniformFloat32(random, batch * spec.inputWidth, 2);
    return {
      model_version: '1',
      batch_size: batch,
      inputs: [
        { name: MLP_INPUT, datatype: 'FP32', shape: [batch, spec.inputWidth], data: Array.from(input) },
      ],
      outputs: [
        {
          name: MLP_OUTPUT,
          datatype: 'FP32',
          shape: [batch, spec.classes],
          data: Array.from(mlpForward(layers, input, batch)),
        },
      ],
    };
  });
  return {
    name: spec.name,
    config: spec.withConfig
      ? configJson(spec.name, {
          maxBatchSize: spec.maxBatchSize,
          inputs: [{ name: MLP_INPUT, datatype: 'FP32', dims: [spec.inputWidth] }],
          outputs: [
            { name: MLP_OUTPUT, datatype: 'FP32', dims: [spec.classes], labelFilename: 'labels.txt' },
          ],
          preferredBatchSizes: spec.preferredBatchSizes,
        })
      : undefined,
    versions: new Map([[1, mlpOnnx(spec, layers)]]),
    files: spec.withConfig ? { 'labels.txt': `${CIFAR10_LABELS.join('\n')}\n` } : {},
    golden: {
      model: spec.name,
      description: spec.description,
      reference: 'scripts/onnx/reference.ts mlpForward (float64 loops)',
      tolerance: { relative: 1e-5, absolute: 1e-7 },
      cases,
    },
  };
}

export const MLP_SPECS: readonly MlpSpec[] = [
  {
    // Sized for ~0.1 ms per batch-1 inference on one core (measured: see the report/benchmarks)
    // while staying ~340 KB: the 256x256 layer is applied 24 times with shared weights.
    name: 'mlp_fp32',
    seed: 0x6b616c65,
    inputWidth: 64,
    hiddenWidth: 256,
    hiddenRepeats: 24,
    classes: 10,
    maxBatchSize: 64,
    preferredBatchSizes: [8, 16, 32],
    withConfig: true,
    description:
      'Compute-bound benchmark MLP: 64 -> Gemm 256 + Relu -> (Gemm 256 + Relu) x 24 with tied weights -> Gemm 10 -> Softmax.',
  },
  {
    name: 'mlp_large_fp32',
    seed: 0x69646f21,
    inputWidth: 256,
    hiddenWidth: 1024,
    hiddenRepeats: 1,
    classes: 10,
    maxBatchSize: 128,
    preferredBatchSizes: [16, 32, 64],
    withConfig: true,
    description:
      'Throughput benchmark MLP: 256 -> Gemm 1024 + Relu -> Gemm 1024 + Relu -> Gemm 10 -> Softmax.',
  },
  {
    name: 'mlp_noconfig',
    seed: 0x6e6f6366,
    inputWidth: 64,
    hiddenWidth: 128,
    hiddenRepeats: 1,
    classes: 10,
    maxBatchSize: 0,
    preferredBatchSizes: [],
    withConfig: false,
    description:
      'Small MLP (64 -> 128 -> 128 -> 10, softmax) without config.json: the server completes its config from the ONNX file.',
  },
];

/** Every fixture model, in a stable order. */
export function fixtureModels(): FixtureModel[] {
  return [...IDENTITY_DATATYPES.map(identityModel), addSubFixture(), ...MLP_SPECS.map(mlpFixture)];
}
