import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { KaleidoClient } from './client.js';
import { KaleidoApiError } from './errors.js';

/** What arrived on the wire, exactly. */
interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}
type Handler = (request: Received, response: ServerResponse) => void;

let server: Server;
let baseUrl: string;
let received: Received[] = [];
/** Responses still open, so that tests whose handler never answers can cut just those connections. */
const open = new Set<ServerResponse>();
let handler: Handler = (_req, res) => res.writeHead(500).end();

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      received.push(request);
      open.add(res);
      res.on('finish', () => open.delete(res));
      handler(request, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  received = [];
  // Cut the connections of handlers that never answered; keep-alive sockets stay usable.
  for (const res of open) res.socket?.destroy();
  open.clear();
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
  };
const only = (): Received => {
  expect(received).toHaveLength(1);
  return received[0] as Received;
};
const client = (options: Partial<ConstructorParameters<typeof KaleidoClient>[0]> = {}): KaleidoClient =>
  new KaleidoClient({ baseUrl, ...options });
const rejection = async (promise: Promise<unknown>): Promise<KaleidoApiError> => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(KaleidoApiError);
  return error as KaleidoApiError;
};

describe('health', () => {
  it('is true on 200 with an empty body or the KServe JSON, and false on 503', async () => {
    handler = (_req, res) => res.writeHead(200).end();
    expect(await client().serverLive()).toBe(true);
    handler = json(200, { ready: true });
    expect(await client().serverReady()).toBe(true);
    handler = json(503, { error: 'not ready' });
    expect(await client().serverReady()).toBe(false);
    expect(received.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /v2/health/live',
      'GET /v2/health/ready',
      'GET /v2/health/ready',
    ]);
  });

  it('encodes model names and versions as path segments', async () => {
    handler = json(200, { name: 'café net', ready: true });
    expect(await client().modelReady('café net/x', 'v 1')).toBe(true);
    expect(only().url).toBe('/v2/models/caf%C3%A9%20net%2Fx/versions/v%201/ready');
    handler = json(404, { error: 'unknown model' });
    expect(await client().modelReady('missing')).toBe(false);
  });

  it('throws on 401 rather than reporting "not ready"', async () => {
    handler = json(401, { error: { code: 'ERR_UNAUTHENTICATED', message: 'bad key' } });
    const error = await rejection(client().serverLive());
    expect(error).toMatchObject({ status: 401, code: 'ERR_UNAUTHENTICATED', kind: 'http' });
  });

  it('refuses "." and ".." as names, which URL parsers would resolve away', async () => {
    await expect(client().modelReady('..')).rejects.toThrow(TypeError);
    await expect(client().modelMetadata('m', '.')).rejects.toThrow(/model version cannot be "."/);
    expect(received).toHaveLength(0);
  });
});

describe('metadata', () => {
  it('sends credentials and custom headers, and reads server metadata', async () => {
    handler = json(200, {
      name: 'kaleido',
      version: '0.1.0',
      extensions: ['binary_tensor_data', 'statistics'],
    });
    const metadata = await client({
      apiKey: 'k-123',
      headers: { 'X-Tenant': 'acme', Authorization: 'Basic old' },
    }).serverMetadata();
    expect(metadata).toEqual({
      name: 'kaleido',
      version: '0.1.0',
      extensions: ['binary_tensor_data', 'statistics'],
    });
    const request = only();
    expect(request.method).toBe('GET');
    expect(request.url).toBe('/v2');
    expect(request.headers.authorization).toBe('Bearer k-123');
    expect(request.headers['x-tenant']).toBe('acme');
    expect(request.headers.accept).toBe('application/json');
  });

  it('keeps a base path prefix and drops trailing slashes', async () => {
    handler = json(200, { name: 'k', version: '1', extensions: [] });
    await new KaleidoClient({ baseUrl: `${baseUrl}/kaleido//` }).serverMetadata();
    expect(only().url).toBe('/kaleido/v2');
  });

  it('reads model metadata', async () => {
    const body = {
      name: 'resnet',
      versions: ['1', '2'],
      platform: 'onnx_onnxv1',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3, 224, 224] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 1000] }],
      properties: { task: 'classification' },
    };
    handler = json(200, body);
    expect(await client().modelMetadata('resnet', '2')).toEqual(body);
    expect(only().url).toBe('/v2/models/resnet/versions/2');
  });

  it('turns a malformed 2xx body into a protocol error', async () => {
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"name": ');
    const error = await rejection(client().serverMetadata());
    expect(error).toMatchObject({ kind: 'protocol', status: 200, body: '{"name": ' });
    handler = json(200, {
      name: 'm',
      platform: 'x',
      inputs: [{ name: 'a', datatype: 'STRING', shape: [1] }],
      outputs: [],
    });
    const error2 = await rejection(client().modelMetadata('m'));
    expect(error2.message).toMatch(
      /GET \/v2\/models\/m answered 200 with a malformed body: inputs\[0\]: unknown datatype "STRING"/,
    );
  });
});

describe('infer', () => {
  const response = {
    model_name: 'm',
    model_version: '1',
    id: 'r-1',
    outputs: [{ name: 'y', datatype: 'FP32', shape: [2], data: [0.25, 0.75] }],
  };

  it('posts a JSON request and returns typed outputs', async () => {
    handler = json(200, response);
    const result = await client().infer(
      'm',
      { id: 'r-1', priority: 2, inputs: [{ name: 'x', datatype: 'INT32', shape: [1, 2], data: [[1, 2]] }] },
      { version: '1' },
    );
    const request = only();
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/v2/models/m/versions/1/infer');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers['inference-header-content-length']).toBeUndefined();
    expect(request.body.toString()).toBe(
      '{"inputs":[{"name":"x","shape":[1,2],"datatype":"INT32","data":[1,2]}],"id":"r-1","parameters":{"priority":2}}',
    );
    expect(result.modelName).toBe('m');
    expect(result.id).toBe('r-1');
    expect(result.output('y').data).toEqual(new Float32Array([0.25, 0.75]));
  });

  it('posts binary tensors and parses a binary answer by its Inference-Header-Content-Length', async () => {
    const header = Buffer.from(
      JSON.stringify({
        model_name: 'm',
        model_version: '1',
        outputs: [
          { name: 'y', datatype: 'FP16', shape: [2], parameters: { binary_data_size: 4 } },
          { name: 'n', datatype: 'INT64', shape: [1], parameters: { binary_data_size: 8 } },
        ],
      }),
    );
    const tensors = Buffer.from([0x00, 0x3c, 0x00, 0x40, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]);
    handler = (_req, res) =>
      res
        .writeHead(200, {
          'content-type': 'application/octet-stream',
          'inference-header-content-length': String(header.length),
        })
        .end(Buffer.concat([header, tensors]));

    const result = await client().infer(
      'm',
      { inputs: [{ name: 'x', datatype: 'UINT8', shape: [3], data: new Uint8Array([1, 2, 3]) }] },
      { binary: true },
    );
    const request = only();
    const expectedHeader =
      '{"inputs":[{"name":"x","shape":[3],"datatype":"UINT8","parameters":{"binary_data_size":3}}],' +
      '"parameters":{"binary_data_output":true}}';
    expect(request.headers['content-type']).toBe('application/octet-stream');
    expect(request.headers['inference-header-content-length']).toBe(
      String(Buffer.byteLength(expectedHeader)),
    );
    expect(request.headers['content-length']).toBe(String(Buffer.byteLength(expectedHeader) + 3));
    expect(request.body.equals(Buffer.concat([Buffer.from(expectedHeader), Buffer.from([1, 2, 3])]))).toBe(
      true,
    );

    expect(result.output('y').data).toEqual(new Uint16Array([0x3c00, 0x4000]));
    expect(result.output('y').toNumbers()).toEqual([1, 2]);
    expect(result.output('n').data).toEqual(new BigInt64Array([0x7fffffffffffffffn]));
  });

  it('sends a raw input body with Inference-Header-Content-Length: 0', async () => {
    handler = json(200, response);
    await client().infer(
      'm',
      { inputs: [{ name: 'x', datatype: 'FP32', shape: [1], data: [1] }] },
      { rawInput: true },
    );
    const request = only();
    expect(request.headers['inference-header-content-length']).toBe('0');
    expect(request.body.equals(Buffer.from(new Float32Array([1]).buffer))).toBe(true);
  });

  it('rejects invalid inputs before sending anything', async () => {
    await expect(
      client().infer('m', { inputs: [{ name: 'x', datatype: 'UINT8', shape: [1], data: [300] }] }),
    ).rejects.toThrow(RangeError);
    expect(received).toHaveLength(0);
  });

  it('reports an OIP error body with its status', async () => {
    handler = json(400, { error: "unexpected inference input 'z' for model 'm'" });
    const error = await rejection(
      client().infer('m', { inputs: [{ name: 'z', datatype: 'FP32', shape: [1], data: [1] }] }),
    );
    expect(error.status).toBe(400);
    expect(error.code).toBeUndefined();
    expect(error.message).toBe(
      "POST /v2/models/m/infer failed (400): unexpected inference input 'z' for model 'm'",
    );
    expect(error.body).toEqual({ error: "unexpected inference input 'z' for model 'm'" });
  });

  it('reports an admin error body with code, request id and Retry-After', async () => {
    handler = json(
      503,
      { error: { code: 'ERR_QUEUE_FULL', message: 'queue full', details: { queued: 64 }, requestId: 'abc' } },
      { 'retry-after': '2' },
    );
    const error = await rejection(client().infer('m', { inputs: [] }));
    expect(error).toMatchObject({
      kind: 'http',
      status: 503,
      code: 'ERR_QUEUE_FULL',
      details: { queued: 64 },
      requestId: 'abc',
      retryAfterSeconds: 2,
    });
  });

  it('reports a bad Inference-Header-Content-Length as a protocol error', async () => {
    handler = (_req, res) =>
      res.writeHead(200, { 'inference-header-content-length': 'lots' }).end(JSON.stringify(response));
    const error = await rejection(client().infer('m', { inputs: [] }));
    expect(error.kind).toBe('protocol');
    expect(error.message).toMatch(/not a byte count/);
  });
});

describe('failures without an answer', () => {
  it('times out while waiting for headers', async () => {
    handler = () => undefined; // never answers
    const started = Date.now();
    const error = await rejection(client({ timeoutMs: 150 }).serverMetadata());
    expect(error).toMatchObject({ kind: 'timeout', status: 0 });
    expect(error.message).toBe('GET /v2 timed out after 150 ms');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('times out while the body is still arriving, per call', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('partial');
    };
    const error = await rejection(client().metrics({ timeoutMs: 150 }));
    expect(error.kind).toBe('timeout');
  });

  it("stops on the caller's signal, and sends nothing when it has already fired", async () => {
    handler = () => undefined;
    const controller = new AbortController();
    const pending = client().serverMetadata({ signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect(await rejection(pending)).toMatchObject({ kind: 'aborted', status: 0 });
    received = [];
    const error = await rejection(client().serverLive({ signal: AbortSignal.abort() }));
    expect(error.kind).toBe('aborted');
    expect(received).toHaveLength(0);
  });

  it('reports a refused connection as a network error with status 0', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const error = await rejection(new KaleidoClient({ baseUrl: `http://127.0.0.1:${port}` }).serverLive());
    expect(error).toMatchObject({ kind: 'network', status: 0 });
    expect(error.message).toMatch(/GET \/v2\/health\/live failed without an answer: .*ECONNREFUSED/);
  });
});

describe('Triton extensions and operations', () => {
  it('reads the model configuration', async () => {
    handler = json(200, {
      name: 'm',
      max_batch_size: 8,
      input: [{ name: 'x', data_type: 'TYPE_FP32', dims: [3] }],
    });
    expect(await client().modelConfig('m', '3')).toMatchObject({ max_batch_size: 8 });
    expect(only().url).toBe('/v2/models/m/versions/3/config');
  });

  it('reads statistics with camelCase keys, for all models or one', async () => {
    const duration = { count: 2, ns: 2000 };
    handler = json(200, {
      model_stats: [
        {
          name: 'm',
          version: '1',
          last_inference: 1700000000000,
          inference_count: 4,
          execution_count: 2,
          inference_stats: {
            success: duration,
            fail: duration,
            queue: duration,
            compute_input: duration,
            compute_infer: duration,
            compute_output: duration,
            cache_hit: duration,
            cache_miss: duration,
          },
          batch_stats: [
            { batch_size: 2, compute_input: duration, compute_infer: duration, compute_output: duration },
          ],
          memory_usage: [{ type: 'CPU', id: 0, byte_size: 1024 }],
        },
      ],
    });
    const [stats] = await client().modelStatistics();
    expect(only().url).toBe('/v2/models/stats');
    expect(stats).toMatchObject({
      name: 'm',
      lastInference: 1700000000000,
      inferenceCount: 4,
      inferenceStats: { computeInfer: duration, cacheMiss: duration },
      batchStats: [{ batchSize: 2 }],
      memoryUsage: [{ type: 'CPU', id: 0, byteSize: 1024 }],
    });
    received = [];
    await client().modelStatistics('m', '1');
    expect(only().url).toBe('/v2/models/m/versions/1/stats');
    await expect(client().modelStatistics(undefined, '1')).rejects.toThrow(/needs a model name/);
  });

  it('posts the repository index, load and unload bodies', async () => {
    handler = json(200, [{ name: 'a', version: '1', state: 'READY', reason: '' }, { name: 'b' }]);
    expect(await client().repositoryIndex({ ready: true })).toEqual([
      { name: 'a', version: '1', state: 'READY', reason: '' },
      { name: 'b' },
    ]);
    handler = (_req, res) => res.writeHead(200).end();
    await client().loadModel('m x', {
      config: { max_batch_size: 4 },
      files: { '1/model.onnx': new Uint8Array([0, 1, 255]) },
    });
    await client().loadModel('n');
    await client().unloadModel('m x', { unloadDependents: true });
    expect(received.map((r) => [r.method, r.url, r.headers['content-type'], r.body.toString()])).toEqual([
      ['POST', '/v2/repository/index', 'application/json', '{"ready":true}'],
      [
        'POST',
        '/v2/repository/models/m%20x/load',
        'application/json',
        '{"parameters":{"config":"{\\"max_batch_size\\":4}","file:1/model.onnx":"AAH/"}}',
      ],
      ['POST', '/v2/repository/models/n/load', 'application/json', '{}'],
      [
        'POST',
        '/v2/repository/models/m%20x/unload',
        'application/json',
        '{"parameters":{"unload_dependents":true}}',
      ],
    ]);
  });

  it('reports a failed load', async () => {
    handler = json(400, { error: 'failed to load model m: bad config' });
    const error = await rejection(client().loadModel('m'));
    expect(error.message).toBe(
      'POST /v2/repository/models/m/load failed (400): failed to load model m: bad config',
    );
  });

  it('returns the metrics text', async () => {
    const text = '# TYPE kaleido_requests_total counter\nkaleido_requests_total 3\n';
    handler = (_req, res) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text);
    expect(await client().metrics()).toBe(text);
    expect(only()).toMatchObject({ method: 'GET', url: '/metrics', headers: { accept: 'text/plain' } });
  });
});

describe('construction', () => {
  it('validates the base URL and timeout', () => {
    expect(() => new KaleidoClient({ baseUrl: 'localhost:8000' })).toThrow(
      /not an absolute URL|http: or https:/,
    );
    expect(() => new KaleidoClient({ baseUrl: 'ftp://host' })).toThrow(/http: or https:/);
    expect(() => new KaleidoClient({ baseUrl: 'http://h/?a=1' })).toThrow(/query or fragment/);
    expect(() => new KaleidoClient({ baseUrl: 'http://h', timeoutMs: 0 })).toThrow(RangeError);
    expect(() => new KaleidoClient({ baseUrl: 'http://h', timeoutMs: Infinity })).toThrow(RangeError);
  });

  it('uses an injected fetch', async () => {
    const calls: string[] = [];
    const fakeFetch: typeof fetch = async (input) => {
      calls.push(String(input));
      return new Response(null, { status: 200 });
    };
    expect(
      await new KaleidoClient({ baseUrl: 'http://example.test/api', fetch: fakeFetch }).serverLive(),
    ).toBe(true);
    expect(calls).toEqual(['http://example.test/api/v2/health/live']);
  });

  it('passes a dispatcher (custom CA for https) to fetch, and none by default', async () => {
    const seen: unknown[] = [];
    const fakeFetch: typeof fetch = async (_input, init) => {
      seen.push((init as { dispatcher?: unknown } | undefined)?.dispatcher);
      return new Response(null, { status: 200 });
    };
    const dispatcher = { kind: 'agent-with-ca' };
    await new KaleidoClient({ baseUrl: 'https://example.test', fetch: fakeFetch, dispatcher }).serverLive();
    await new KaleidoClient({ baseUrl: 'https://example.test', fetch: fakeFetch }).serverLive();
    expect(seen).toEqual([dispatcher, undefined]);
  });
});
