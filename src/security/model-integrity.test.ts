import { generateKeyPairSync } from 'node:crypto';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ort from 'onnxruntime-node';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelIntegrity, confineExternalData, sha256File, signModelDigest } from './model-integrity.js';
import { externalDataRefs } from './onnx-external-data.js';

// ---- A hand-written ONNX encoder (field numbers typed from onnx.proto, independently of the
// decoder under test; onnxruntime loading the result proves they are right). ----
type W = protobuf.Writer;
const message = (build: (w: W) => void): Uint8Array => {
  const w = protobuf.Writer.create();
  build(w);
  return w.finish();
};
const bytesField = (w: W, id: number, b: Uint8Array) => w.uint32((id << 3) | 2).bytes(b);
const strField = (w: W, id: number, s: string) => w.uint32((id << 3) | 2).string(s);
const intField = (w: W, id: number, n: number) => w.uint32(id << 3).int64(n);

/** TensorProto FLOAT [n]; with `location`, its data is external. */
const tensor = (name: string, n: number, location?: string) =>
  message((w) => {
    intField(w, 1, n); // dims
    intField(w, 2, 1); // data_type FLOAT
    strField(w, 8, name);
    if (location !== undefined) {
      bytesField(
        w,
        13,
        message((e) => strField(strField(e, 1, 'location'), 2, location)),
      );
      bytesField(
        w,
        13,
        message((e) => strField(strField(e, 1, 'offset'), 2, '0')),
      );
      intField(w, 14, 1); // data_location EXTERNAL
    } else {
      bytesField(w, 9, new Uint8Array(4 * n)); // raw_data zeros
    }
  });
const valueInfo = (name: string, n: number) =>
  message((w) => {
    strField(w, 1, name);
    bytesField(
      w,
      2,
      message((t) =>
        bytesField(
          t,
          1,
          message((tt) => {
            intField(tt, 1, 1);
            bytesField(
              tt,
              2,
              message((s) =>
                bytesField(
                  s,
                  1,
                  message((d) => intField(d, 1, n)),
                ),
              ),
            );
          }),
        ),
      ),
    );
  });
const node = (op: string, inputs: string[], outputs: string[], attrs: Uint8Array[] = []) =>
  message((w) => {
    for (const i of inputs) strField(w, 1, i);
    for (const o of outputs) strField(w, 2, o);
    strField(w, 4, op);
    for (const a of attrs) bytesField(w, 5, a);
  });
const tensorAttr = (name: string, t: Uint8Array) =>
  message((w) => {
    strField(w, 1, name);
    bytesField(w, 5, t);
    intField(w, 20, 4); // TENSOR
  });
const graphAttr = (name: string, g: Uint8Array) =>
  message((w) => {
    strField(w, 1, name);
    bytesField(w, 6, g);
    intField(w, 20, 5); // GRAPH
  });
const graph = (parts: {
  nodes?: Uint8Array[];
  inits?: Uint8Array[];
  sparse?: Uint8Array[];
  inputs?: Uint8Array[];
  outputs?: Uint8Array[];
}) =>
  message((w) => {
    for (const n of parts.nodes ?? []) bytesField(w, 1, n);
    strField(w, 2, 'g');
    for (const t of parts.inits ?? []) bytesField(w, 5, t);
    for (const i of parts.inputs ?? []) bytesField(w, 11, i);
    for (const o of parts.outputs ?? []) bytesField(w, 12, o);
    for (const s of parts.sparse ?? []) bytesField(w, 15, s);
  });
const model = (g: Uint8Array, extra: (w: W) => void = () => undefined) =>
  message((w) => {
    intField(w, 1, 8); // ir_version
    bytesField(w, 7, g);
    bytesField(
      w,
      8,
      message((o) => intField(strField(o, 1, ''), 2, 13)),
    );
    extra(w);
  });

/** Y = X + W, W external in `location`. */
const addModel = (location: string) =>
  model(
    graph({
      nodes: [node('Add', ['X', 'W'], ['Y'])],
      inits: [tensor('W', 2, location)],
      inputs: [valueInfo('X', 2)],
      outputs: [valueInfo('Y', 2)],
    }),
  );

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kaleido-integrity-'));
});
afterAll(async () => rm(root, { recursive: true, force: true }));

async function modelDir(
  name: string,
  location: string,
  files: Record<string, Uint8Array> = {},
): Promise<string> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  for (const [f, b] of Object.entries(files)) {
    await mkdir(join(dir, f, '..'), { recursive: true });
    await writeFile(join(dir, f), b);
  }
  await writeFile(join(dir, 'model.onnx'), addModel(location));
  return join(dir, 'model.onnx');
}
const weights = new Uint8Array(new Float32Array([10, 20]).buffer);

describe('ONNX external data', () => {
  it('finds the location onnxruntime itself uses, and allows it inside the model directory', async () => {
    const path = await modelDir('ok', 'data/weights.bin', { 'data/weights.bin': weights });
    const session = await ort.InferenceSession.create(path);
    const out = await session.run({ X: new ort.Tensor('float32', new Float32Array([1, 2]), [2]) });
    expect(Array.from(out['Y']?.data as Float32Array)).toEqual([11, 22]);
    await session.release();
    const checked = await new ModelIntegrity().checkOnnxExternalData(path);
    expect(checked).toEqual([
      { tensor: 'W', location: 'data/weights.bin', path: join(root, 'ok', 'data', 'weights.bin') },
    ]);
  });

  it.each([
    ['../secret.bin', 'parent directory segment'],
    ['data/../../secret.bin', 'parent directory segment'],
    ['/etc/passwd', 'absolute path'],
    ['C:\\\\Windows\\\\win.ini', 'absolute path'],
    ['data\\\\w.bin', 'backslash'],
    ['missing.bin', 'does not exist'],
    ['', 'empty'],
  ])('refuses location %j (%s)', async (location, why) => {
    const path = await modelDir(`bad-${Math.random().toString(36).slice(2)}`, location);
    await expect(new ModelIntegrity().checkOnnxExternalData(path)).rejects.toMatchObject({
      code: 'ERR_MODEL_LOAD_FAILED',
      message: expect.stringContaining(why),
    });
  });

  it('refuses a symlink that leads out of the model directory, allows one that stays inside', async () => {
    await writeFile(join(root, 'outside.bin'), weights);
    const out = await modelDir('symlink-out', 'w.bin');
    await symlink(join(root, 'outside.bin'), join(root, 'symlink-out', 'w.bin'));
    await expect(new ModelIntegrity().checkOnnxExternalData(out)).rejects.toThrow(
      /outside the model directory/,
    );
    const inside = await modelDir('symlink-in', 'w.bin', { 'real/w.bin': weights });
    await symlink(join(root, 'symlink-in', 'real', 'w.bin'), join(root, 'symlink-in', 'w.bin'));
    expect(await new ModelIntegrity().checkOnnxExternalData(inside)).toHaveLength(1);
    await mkdir(join(root, 'symlink-in', 'adir'));
    await expect(
      confineExternalData(join(root, 'symlink-in'), { tensor: 't', location: 'adir' }),
    ).rejects.toThrow(/not a regular file/);
  });

  it('finds external tensors in Constant attributes, subgraphs, sparse initializers and functions', () => {
    const sparse = message((w) => {
      bytesField(w, 1, tensor('sv', 1, 'sparse-values.bin'));
      bytesField(w, 2, tensor('si', 1));
    });
    const sub = graph({
      nodes: [node('Constant', [], ['c2'], [tensorAttr('value', tensor('inner', 2, '../deep.bin'))])],
    });
    const g = graph({
      nodes: [
        node('Constant', [], ['c'], [tensorAttr('value', tensor('const', 2, 'const.bin'))]),
        node('If', ['cond'], ['y'], [graphAttr('then_branch', sub)]),
      ],
      inits: [tensor('inline', 2)],
      sparse: [sparse],
    });
    const fn = message((w) =>
      bytesField(w, 7, node('Constant', [], ['f'], [tensorAttr('value', tensor('fconst', 1, 'fn.bin'))])),
    );
    const bytes = model(g, (w) => bytesField(w, 25, fn));
    expect(externalDataRefs(bytes)).toEqual([
      { tensor: 'sv', location: 'sparse-values.bin' },
      { tensor: 'const', location: 'const.bin' },
      { tensor: 'inner', location: '../deep.bin' },
      { tensor: 'fconst', location: 'fn.bin' },
    ]);
  });

  it('refuses external_data without a location, and bytes that are not ONNX', () => {
    const noLocation = model(
      graph({
        inits: [
          message((w) => {
            strField(w, 8, 'W');
            bytesField(
              w,
              13,
              message((e) => strField(strField(e, 1, 'offset'), 2, '0')),
            );
          }),
        ],
      }),
    );
    expect(() => externalDataRefs(noLocation)).toThrow(/without a location/);
    expect(() => externalDataRefs(new Uint8Array([0x0a, 0xff, 0xff, 0xff]))).toThrow(
      expect.objectContaining({ code: 'ERR_MODEL_LOAD_FAILED' }),
    );
  });
});

describe('model digests and signatures', () => {
  const publisher = generateKeyPairSync('ed25519');
  const stranger = generateKeyPairSync('ed25519');
  const pem = publisher.publicKey.export({ type: 'spki', format: 'pem' }).toString();

  it('hashes files with known answers', async () => {
    const p = join(root, 'abc.txt');
    await writeFile(p, 'abc');
    expect(await sha256File(p)).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    await expect(sha256File(join(root, 'nope'))).rejects.toMatchObject({ code: 'ERR_MODEL_LOAD_FAILED' });
  });

  it('accepts the recorded digest and refuses a modified file', async () => {
    const p = join(root, 'm.onnx');
    await writeFile(p, 'model bytes');
    const integrity = new ModelIntegrity();
    const digest = await sha256File(p);
    expect(await integrity.verifyFile(p, { sha256: digest })).toBe(digest);
    await writeFile(p, 'model bytes!');
    await expect(integrity.verifyFile(p, { sha256: digest })).rejects.toMatchObject({
      code: 'ERR_INTEGRITY_FAILED',
    });
    await expect(integrity.verifyFile(p, { sha256: 'XYZ' })).rejects.toMatchObject({
      code: 'ERR_VALIDATION',
    });
  });

  it('verifies Ed25519 signatures over the digest', () => {
    const digest = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    const signature = signModelDigest(digest, publisher.privateKey);
    const integrity = new ModelIntegrity({ publicKeys: [stranger.publicKey, pem] });
    expect(() => integrity.checkDigest(digest, { sha256: digest, signature }, 'm')).not.toThrow();
    const forged = signModelDigest(
      digest,
      stranger.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    );
    expect(() =>
      new ModelIntegrity({ publicKeys: [pem] }).checkDigest(
        digest,
        { sha256: digest, signature: forged },
        'm',
      ),
    ).toThrow(
      expect.objectContaining({
        code: 'ERR_INTEGRITY_FAILED',
        details: expect.objectContaining({ reason: 'bad signature' }),
      }),
    );
    const other = 'aa7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
    expect(() => integrity.checkDigest(other, { sha256: other, signature }, 'm')).toThrow(
      /no valid signature/,
    );
    expect(() => integrity.checkDigest(digest, { sha256: digest }, 'm')).toThrow(/not signed/);
    // Signatures optional: unsigned passes, but a present bad signature still fails.
    const optional = new ModelIntegrity({ publicKeys: [pem], requireSignature: false });
    expect(() => optional.checkDigest(digest, { sha256: digest }, 'm')).not.toThrow();
    expect(() => optional.checkDigest(digest, { sha256: digest, signature: forged }, 'm')).toThrow(
      /no valid signature/,
    );
  });

  it('validates its configuration', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    expect(() => new ModelIntegrity({ publicKeys: [rsa.publicKey] })).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_CONFIG' }),
    );
    expect(() => new ModelIntegrity({ publicKeys: ['not a pem'] })).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_CONFIG' }),
    );
    expect(() => new ModelIntegrity({ requireSignature: true })).toThrow(
      expect.objectContaining({ code: 'ERR_BAD_CONFIG' }),
    );
  });
});
