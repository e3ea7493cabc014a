import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, modelProto } from '../../../scripts/onnx/onnx-writer.js';
import {
  FIXTURE_REPOSITORY,
  assertOutputsMatch,
  loadGolden,
  tensorFromJson,
} from '../../../test/fixtures/golden.js';
import { KaleidoError } from '../../core/errors.js';
import type { RuntimeSession } from '../../core/ports/runtime.js';
import { ALL_DATATYPES, type Datatype, type Tensor } from '../../core/tensor.js';
import {
  OnnxRuntime,
  datatypeOfOrtType,
  ortTypeOfDatatype,
  readOnnxSignature,
  summarizeOrtError,
} from './onnx-runtime.js';
import { encodeModelProto } from './onnx-schema.js';

const runtime = new OnnxRuntime();
const threads = { intraOpThreads: 1, interOpThreads: 1 };
const modelPath = (name: string, version = 1) =>
  join(FIXTURE_REPOSITORY, name, String(version), 'model.onnx');

/** Resolves to the KaleidoError a promise rejects with (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<KaleidoError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(KaleidoError);
    return e as KaleidoError;
  }
  throw new Error('expected a rejection');
}

const fp32 = (name: string, shape: number[], values?: number[]): Tensor => ({
  name,
  datatype: 'FP32',
  shape,
  data: values ? Float32Array.from(values) : new Float32Array(shape.reduce((a, b) => a * b, 1)),
});

const IDENTITY: readonly Datatype[] = ALL_DATATYPES.filter((d) => d !== 'BF16');

describe('datatype mapping', () => {
  it('maps every OIP datatype except BF16 to an ORT type and back', () => {
    for (const d of IDENTITY) {
      const ortType = ortTypeOfDatatype(d);
      expect(ortType).toBeDefined();
      expect(datatypeOfOrtType(ortType ?? '')).toBe(d);
    }
    expect(ortTypeOfDatatype('FP32')).toBe('float32');
    expect(ortTypeOfDatatype('FP16')).toBe('float16');
    expect(ortTypeOfDatatype('BYTES')).toBe('string');
    expect(ortTypeOfDatatype('BOOL')).toBe('bool');
    expect(ortTypeOfDatatype('BF16')).toBeUndefined();
    expect(datatypeOfOrtType('int4')).toBeUndefined();
  });
});

describe('fixture repository', () => {
  it('loads every model version and reads a signature that agrees with its config.json', async () => {
    const names = (await readdir(FIXTURE_REPOSITORY)).sort();
    expect(names.length).toBe(17);
    for (const name of names) {
      const dir = join(FIXTURE_REPOSITORY, name);
      const versions = (await readdir(dir)).filter((v) => /^\d+$/.test(v));
      expect(versions.length).toBeGreaterThan(0);
      const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8').catch(() => 'null')) as {
        input: { name: string; data_type: string; dims: number[] }[];
        output: { name: string; data_type: string; dims: number[] }[];
        max_batch_size: number;
      } | null;
      for (const version of versions) {
        const session = await runtime.load(modelPath(name, Number(version)), threads);
        try {
          const fromFile = await readOnnxSignature(modelPath(name, Number(version)));
          expect(fromFile.inputs).toEqual(session.inputs);
          expect(fromFile.outputs).toEqual(session.outputs);
          if (config) {
            const expected = (ts: typeof config.input) =>
              ts.map((t) => ({ name: t.name, datatype: t.data_type, shape: [-1, ...t.dims] }));
            expect(session.inputs).toEqual(expected(config.input));
            expect(session.outputs).toEqual(expected(config.output));
          }
        } finally {
          await session.close();
        }
      }
    }
  });
});

describe('identity round trip for every datatype', () => {
  let sessions: Map<Datatype, RuntimeSession>;
  beforeAll(async () => {
    sessions = new Map();
    for (const d of IDENTITY)
      sessions.set(d, await runtime.load(modelPath(`identity_${d.toLowerCase()}`), threads));
  });
  afterAll(async () => {
    for (const s of sessions.values()) await s.close();
  });

  it.each(IDENTITY)('%s at batch 1 and 4 returns its input exactly', async (datatype) => {
    const session = sessions.get(datatype);
    expect(session?.inputs).toEqual([{ name: 'INPUT0', datatype, shape: [-1, -1] }]);
    const golden = loadGolden(`identity_${datatype.toLowerCase()}`);
    expect(golden.cases.map((c) => c.batch_size)).toEqual([1, 4]);
    for (const c of golden.cases) {
      const outputs = await session!.run(c.inputs.map(tensorFromJson), ['OUTPUT0']);
      assertOutputsMatch(outputs, c.outputs, golden.tolerance, `identity ${datatype} batch ${c.batch_size}`);
      expect(outputs[0]?.data.constructor).toBe(tensorFromJson(c.outputs[0]!).data.constructor);
    }
  });

  it('reads typed-array views at a byte offset without copying them first', async () => {
    const backing = Float32Array.from([100, 101, 102, 1, 2, 3, 4, 5, 6]);
    const view = backing.subarray(3); // byteOffset 12
    const [out] = await sessions
      .get('FP32')!
      .run([{ name: 'INPUT0', datatype: 'FP32', shape: [2, 3], data: view }], ['OUTPUT0']);
    expect(Array.from(out!.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(out!.shape).toEqual([2, 3]);
  });

  it('decodes BYTES as UTF-8: invalid sequences become U+FFFD (documented limitation)', async () => {
    const [out] = await sessions.get('BYTES')!.run(
      [
        {
          name: 'INPUT0',
          datatype: 'BYTES',
          shape: [1, 2],
          data: [Uint8Array.from([0x68, 0x69]), Uint8Array.from([0xff])],
        },
      ],
      ['OUTPUT0'],
    );
    const data = out!.data as Uint8Array[];
    expect(Array.from(data[0]!)).toEqual([0x68, 0x69]);
    expect(Array.from(data[1]!)).toEqual([0xef, 0xbf, 0xbd]);
  });

  it('runs concurrent requests on one session', async () => {
    const session = sessions.get('INT32')!;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        session.run(
          [{ name: 'INPUT0', datatype: 'INT32', shape: [1, 2], data: Int32Array.from([i, -i - 1]) }],
          ['OUTPUT0'],
        ),
      ),
    );
    results.forEach((r, i) => expect(Array.from(r[0]!.data as Int32Array)).toEqual([i, -i - 1]));
  });
});

describe('golden models', () => {
  it.each(['mlp_fp32', 'mlp_large_fp32', 'mlp_noconfig', 'add_sub_fp32'])(
    '%s matches the reference implementation at batch 1 and 4',
    async (model) => {
      const golden = loadGolden(model);
      const versions = [...new Set(golden.cases.map((c) => c.model_version))];
      for (const version of versions) {
        const session = await runtime.load(modelPath(model, Number(version)), threads);
        try {
          const cases = golden.cases.filter((c) => c.model_version === version);
          expect(cases.map((c) => c.batch_size)).toEqual([1, 4]);
          for (const c of cases) {
            const outputs = await session.run(
              c.inputs.map(tensorFromJson),
              c.outputs.map((o) => o.name),
            );
            assertOutputsMatch(
              outputs,
              c.outputs,
              golden.tolerance,
              `${model} v${version} batch ${c.batch_size}`,
            );
          }
        } finally {
          await session.close();
        }
      }
    },
  );

  it('detects a wrong answer (the golden comparison can fail)', async () => {
    const golden = loadGolden('mlp_fp32');
    const c = golden.cases[0]!;
    const session = await runtime.load(modelPath('mlp_fp32'), threads);
    const [out] = await session.run(c.inputs.map(tensorFromJson), ['probabilities']);
    await session.close();
    const tampered = {
      ...c.outputs[0]!,
      data: c.outputs[0]!.data.map((v, i) => (i === 3 ? (v as number) * 1.001 : v)),
    };
    expect(() => assertOutputsMatch([out!], [tampered], golden.tolerance, 'tampered')).toThrow(
      /probabilities\[3\]/,
    );
  });

  it('returns outputs in the requested order, and only those', async () => {
    const session = await runtime.load(modelPath('add_sub_fp32', 2), threads);
    const a = fp32(
      'INPUT0',
      [1, 16],
      Array.from({ length: 16 }, (_, i) => i),
    );
    const b = fp32(
      'INPUT1',
      [1, 16],
      Array.from({ length: 16 }, () => 1),
    );
    const [second, first] = await session.run([a, b], ['OUTPUT1', 'OUTPUT0']);
    expect(second!.name).toBe('OUTPUT1');
    expect((second!.data as Float32Array)[5]).toBe(1 - 5); // version 2: b − a
    expect((first!.data as Float32Array)[5]).toBe(6);
    expect(await session.run([a, b], ['OUTPUT0'])).toHaveLength(1);
    expect(await session.run([a, b], [])).toEqual([]);
    await session.close();
  });
});

describe('metadata', () => {
  it('exposes the ONNX header under onnx.* and metadata_props verbatim', async () => {
    const session = await runtime.load(modelPath('mlp_fp32'), threads);
    expect(session.metadata).toMatchObject({
      'onnx.ir_version': '8',
      'onnx.opset': '17',
      'onnx.producer_name': 'kaleido-fixtures',
      'onnx.producer_version': '1',
      'onnx.graph_name': 'mlp_fp32',
      'kaleido.fixture': 'mlp_fp32',
      labels: 'airplane,automobile,bird,cat,deer,dog,frog,horse,ship,truck',
    });
    expect(session.inputs).toEqual([{ name: 'features', datatype: 'FP32', shape: [-1, 64] }]);
    expect(session.outputs).toEqual([{ name: 'probabilities', datatype: 'FP32', shape: [-1, 10] }]);
    await session.close();
  });

  it('reads the signature of a config-less model from the file', async () => {
    const sig = await readOnnxSignature(modelPath('mlp_noconfig'));
    expect(sig.inputs).toEqual([{ name: 'features', datatype: 'FP32', shape: [-1, 64] }]);
    expect(sig.outputs).toEqual([{ name: 'probabilities', datatype: 'FP32', shape: [-1, 10] }]);
    expect(sig.unranked).toEqual([]);
    expect(sig.metadata['onnx.graph_name']).toBe('mlp_noconfig');
  });

  describe('with generated models', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'kaleido-onnx-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('excludes initializers that are also listed as graph inputs (IR 3 style)', async () => {
      const proto = modelProto({
        graphName: 'legacy',
        irVersion: 3,
        opset: 9,
        inputs: [{ name: 'x', elemType: 'FLOAT', shape: [2] }],
        initializers: [{ name: 'w', elemType: 'FLOAT', dims: [2], values: [10, 20] }],
        outputs: [{ name: 'y', elemType: 'FLOAT', shape: [2] }],
        nodes: [{ opType: 'Add', inputs: ['x', 'w'], outputs: ['y'] }],
      });
      // The builder forbids this duplication, so add the IR 3 "initializer is an input" entry by hand.
      proto.graph.input.push({
        name: 'w',
        type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 2 }] } } },
      });
      const path = join(dir, 'legacy.onnx');
      await writeFile(path, encodeModelProto(proto));
      const sig = await readOnnxSignature(path);
      expect(sig.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [2] }]);
      const session = await runtime.load(path, threads);
      expect(session.inputs).toEqual(sig.inputs);
      const [y] = await session.run([fp32('x', [2], [1, 2])], ['y']);
      expect(Array.from(y!.data as Float32Array)).toEqual([11, 22]);
      await session.close();
    });

    it('accepts any shape for an input of undeclared rank', async () => {
      const proto = modelProto({
        graphName: 'unranked',
        inputs: [{ name: 'x', elemType: 'INT16', shape: [] }],
        outputs: [{ name: 'y', elemType: 'INT16', shape: [] }],
        nodes: [{ opType: 'Identity', inputs: ['x'], outputs: ['y'] }],
      });
      for (const v of [...proto.graph.input, ...proto.graph.output]) delete v.type?.tensorType?.shape;
      const path = join(dir, 'unranked.onnx');
      await writeFile(path, encodeModelProto(proto));
      const sig = await readOnnxSignature(path);
      expect(sig.unranked).toEqual(['x', 'y']);
      const session = await runtime.load(path, threads);
      const data = Int16Array.from([1, 2, 3, 4, 5, 6]);
      const [y] = await session.run([{ name: 'x', datatype: 'INT16', shape: [2, 3], data }], ['y']);
      expect(y!.shape).toEqual([2, 3]);
      expect(Array.from(y!.data as Int16Array)).toEqual([1, 2, 3, 4, 5, 6]);
      await session.close();
    });

    it('rejects models with tensor types that have no OIP datatype (complex64)', async () => {
      const proto = modelProto({
        graphName: 'complex',
        inputs: [{ name: 'x', elemType: 'FLOAT', shape: [1] }],
        outputs: [{ name: 'y', elemType: 'FLOAT', shape: [1] }],
        nodes: [{ opType: 'Identity', inputs: ['x'], outputs: ['y'] }],
      });
      const complex64 = 14;
      const x = proto.graph.input[0]!;
      x.type = { tensorType: { elemType: complex64, shape: { dim: [{ dimValue: 1 }] } } };
      const path = join(dir, 'complex.onnx');
      await writeFile(path, encodeModelProto(proto));
      const e = await rejection(readOnnxSignature(path));
      expect(e.code).toBe('ERR_MODEL_LOAD_FAILED');
      expect(e.message).toMatch(/element type 14/);
    });
  });
});

describe('errors', () => {
  let dir: string;
  let addSub: RuntimeSession;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kaleido-onnx-'));
    addSub = await runtime.load(modelPath('add_sub_fp32'), threads);
  });
  afterAll(async () => {
    await addSub.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('rejects a corrupt model file with ERR_MODEL_LOAD_FAILED', async () => {
    const path = join(dir, 'corrupt.onnx');
    const bytes = await readFile(modelPath('mlp_fp32'));
    await writeFile(path, bytes.subarray(0, bytes.length / 2));
    const e = await rejection(runtime.load(path, threads));
    expect(e.code).toBe('ERR_MODEL_LOAD_FAILED');
    expect(e.status).toBe('FAILED_PRECONDITION');
    expect(e.details).toMatchObject({ path });
    expect(e.message).toMatch(/cannot load ONNX model/);
  });

  it('rejects a file that is not protobuf, and a missing file', async () => {
    const path = join(dir, 'text.onnx');
    await writeFile(path, 'this is not an onnx model\n');
    expect((await rejection(runtime.load(path, threads))).code).toBe('ERR_MODEL_LOAD_FAILED');
    expect((await rejection(runtime.load(join(dir, 'missing.onnx'), threads))).code).toBe(
      'ERR_MODEL_LOAD_FAILED',
    );
    expect((await rejection(readOnnxSignature(join(dir, 'missing.onnx')))).code).toBe(
      'ERR_MODEL_LOAD_FAILED',
    );
  });

  it('rejects a well-formed model that onnxruntime cannot load (unknown operator)', async () => {
    const path = join(dir, 'unknown-op.onnx');
    await writeFile(
      path,
      buildModel({
        graphName: 'bad',
        inputs: [{ name: 'x', elemType: 'FLOAT', shape: [1] }],
        outputs: [{ name: 'y', elemType: 'FLOAT', shape: [1] }],
        nodes: [{ opType: 'NoSuchOperator', inputs: ['x'], outputs: ['y'] }],
      }),
    );
    const e = await rejection(runtime.load(path, threads));
    expect(e.code).toBe('ERR_MODEL_LOAD_FAILED');
    expect(String(e.details?.['reason'])).toMatch(/NoSuchOperator/);
  });

  it('rejects invalid thread options with ERR_BAD_CONFIG', async () => {
    const e = await rejection(runtime.load(modelPath('mlp_fp32'), { intraOpThreads: -1, interOpThreads: 1 }));
    expect(e.code).toBe('ERR_BAD_CONFIG');
    expect(e.details).toMatchObject({ field: 'intraOpThreads' });
  });

  it('runs in parallel execution mode when interOpThreads > 1', async () => {
    const s = await runtime.load(modelPath('add_sub_fp32'), { intraOpThreads: 1, interOpThreads: 2 });
    const [sum] = await s.run([fp32('INPUT0', [1, 16]), fp32('INPUT1', [1, 16])], ['OUTPUT0']);
    expect(sum!.shape).toEqual([1, 16]);
    await s.close();
  });

  it('rejects a wrong input datatype with ERR_DATATYPE_MISMATCH', async () => {
    const e = await rejection(
      addSub.run(
        [
          { name: 'INPUT0', datatype: 'FP64', shape: [1, 16], data: new Float64Array(16) },
          fp32('INPUT1', [1, 16]),
        ],
        ['OUTPUT0'],
      ),
    );
    expect(e.code).toBe('ERR_DATATYPE_MISMATCH');
    expect(e.details).toEqual({ input: 'INPUT0', expected: 'FP32', actual: 'FP64' });
  });

  it('rejects data stored in the wrong typed array with ERR_DATATYPE_MISMATCH', async () => {
    const e = await rejection(
      addSub.run(
        [
          { name: 'INPUT0', datatype: 'FP32', shape: [1, 16], data: new Float64Array(16) },
          fp32('INPUT1', [1, 16]),
        ],
        ['OUTPUT0'],
      ),
    );
    expect(e.code).toBe('ERR_DATATYPE_MISMATCH');
    expect(e.message).toMatch(/Float32Array/);
  });

  it('rejects BF16 with ERR_UNIMPLEMENTED', async () => {
    const e = await rejection(
      addSub.run(
        [
          { name: 'INPUT0', datatype: 'BF16', shape: [1, 16], data: new Uint16Array(16) },
          fp32('INPUT1', [1, 16]),
        ],
        ['OUTPUT0'],
      ),
    );
    expect(e.code).toBe('ERR_UNIMPLEMENTED');
  });

  it('rejects shapes that do not fit the model or the data with ERR_SHAPE_MISMATCH', async () => {
    const wrongWidth = await rejection(
      addSub.run([fp32('INPUT0', [1, 8]), fp32('INPUT1', [1, 16])], ['OUTPUT0']),
    );
    expect(wrongWidth.code).toBe('ERR_SHAPE_MISMATCH');
    expect(wrongWidth.details).toMatchObject({ expected: [-1, 16], actual: [1, 8] });
    const wrongCount = await rejection(
      addSub.run(
        [
          { name: 'INPUT0', datatype: 'FP32', shape: [2, 16], data: new Float32Array(16) },
          fp32('INPUT1', [2, 16]),
        ],
        ['OUTPUT0'],
      ),
    );
    expect(wrongCount.code).toBe('ERR_SHAPE_MISMATCH');
    expect(wrongCount.details).toMatchObject({ expected: 32, actual: 16 });
    const negative = await rejection(
      addSub.run(
        [
          { name: 'INPUT0', datatype: 'FP32', shape: [-1, 16], data: new Float32Array(16) },
          fp32('INPUT1', [1, 16]),
        ],
        ['OUTPUT0'],
      ),
    );
    expect(negative.code).toBe('ERR_SHAPE_MISMATCH');
  });

  it('maps an ORT broadcast failure between inputs to ERR_SHAPE_MISMATCH without source paths', async () => {
    const e = await rejection(addSub.run([fp32('INPUT0', [2, 16]), fp32('INPUT1', [3, 16])], ['OUTPUT0']));
    expect(e.code).toBe('ERR_SHAPE_MISMATCH');
    expect(e.message).toMatch(/node (add|sub) \((Add|Sub)\): .*broadcast/i);
    expect(e.message).not.toMatch(/onnxruntime_src/);
  });

  it('rejects unknown, missing and duplicate names', async () => {
    const a = fp32('INPUT0', [1, 16]);
    const b = fp32('INPUT1', [1, 16]);
    expect((await rejection(addSub.run([a, b, fp32('EXTRA', [1])], ['OUTPUT0']))).code).toBe(
      'ERR_UNKNOWN_INPUT',
    );
    expect((await rejection(addSub.run([a], ['OUTPUT0']))).code).toBe('ERR_MISSING_INPUT');
    expect((await rejection(addSub.run([a, a, b], ['OUTPUT0']))).code).toBe('ERR_DUPLICATE_NAME');
    expect((await rejection(addSub.run([a, b], ['OUTPUT9']))).code).toBe('ERR_UNKNOWN_OUTPUT');
    expect((await rejection(addSub.run([a, b], ['OUTPUT0', 'OUTPUT0']))).code).toBe('ERR_DUPLICATE_NAME');
  });

  it('refuses to run after close (and close is idempotent)', async () => {
    const s = await runtime.load(modelPath('identity_fp32'), threads);
    await s.close();
    await s.close();
    const e = await rejection(s.run([fp32('INPUT0', [1, 1])], ['OUTPUT0']));
    expect(e.code).toBe('ERR_MODEL_NOT_READY');
  });
});

describe('summarizeOrtError', () => {
  it('keeps the node and the reason, drops source locations', () => {
    expect(
      summarizeOrtError(
        "Non-zero status code returned while running Sub node. Name:'sub' Status Message: /onnxruntime_src/x/element_wise_ops.h:583 void f(ptrdiff_t) axis == 1 was false. Attempting to broadcast an axis by a dimension other than 1. 2 by 3",
      ),
    ).toBe('node sub (Sub): Attempting to broadcast an axis by a dimension other than 1. 2 by 3');
    expect(summarizeOrtError('plain message')).toBe('plain message');
  });
});

describe('runtime identity', () => {
  it('names itself as Triton does', () => {
    expect(runtime.backend).toBe('onnxruntime');
    expect(runtime.platform).toBe('onnxruntime_onnx');
    expect(runtime.defaultModelFilename).toBe('model.onnx');
  });
});
