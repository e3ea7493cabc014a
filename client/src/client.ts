/**
 * KaleidoClient: the typed client for Kaleido's public HTTP API — Open Inference Protocol v2
 * (JSON and binary tensors), Triton's model repository / statistics / configuration extensions,
 * and operations endpoints. Runs unchanged in browsers and Node 20 (global fetch only).
 */

import { isDatatype } from './datatypes.js';
import type { Datatype } from './datatypes.js';
import { KaleidoApiError, errorFromResponse, pathOf } from './errors.js';
import { decodeInferResponse, encodeInferRequest } from './infer.js';
import type { InferInput, InferResult, Parameters } from './infer.js';

export interface KaleidoClientOptions {
  /** Server root, e.g. `http://localhost:8000` (a path prefix such as `/kaleido` is kept). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** A fetch implementation (tests, proxies, instrumentation); defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Deadline for each call, headers and body included; default 60 000 ms. */
  timeoutMs?: number;
  /**
   * Node only: an undici Dispatcher passed to fetch as `dispatcher`, e.g.
   * `new Agent({ connect: { ca: readFileSync('ca.pem') } })` to reach an https server whose
   * certificate a private CA (or `server.tls.selfSigned`) issued. Give undici's own `fetch` with it
   * (`fetch: undici.fetch`) when the undici package differs from the one inside Node.
   */
  dispatcher?: object;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Overrides the client's timeoutMs for this call. */
  timeoutMs?: number;
}

export interface InferOptions extends CallOptions {
  /** Model version; omitted = the server's policy picks one. */
  version?: string;
  /** Binary tensor data extension for inputs and outputs. */
  binary?: boolean;
  /** Send the single input as the whole body (`Inference-Header-Content-Length: 0`). */
  rawInput?: boolean;
}

export interface ServerMetadata {
  name: string;
  version: string;
  extensions: string[];
}

export interface TensorMetadata {
  name: string;
  datatype: Datatype;
  /** -1 marks a variable dimension. */
  shape: number[];
}

export interface ModelMetadata {
  name: string;
  versions?: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
  properties?: Record<string, string>;
}

/** A count and the total time of what it counts, in nanoseconds. */
export interface StatisticDuration {
  count: number;
  ns: number;
}

export interface InferenceStatistics {
  success: StatisticDuration;
  fail: StatisticDuration;
  queue: StatisticDuration;
  computeInput: StatisticDuration;
  computeInfer: StatisticDuration;
  computeOutput: StatisticDuration;
  cacheHit?: StatisticDuration;
  cacheMiss?: StatisticDuration;
}

export interface BatchStatistics {
  batchSize: number;
  computeInput: StatisticDuration;
  computeInfer: StatisticDuration;
  computeOutput: StatisticDuration;
}

export interface MemoryUsage {
  type: string;
  id: number;
  byteSize: number;
}

/** Triton's statistics extension entry, with camelCase keys. */
export interface ModelStatistics {
  name: string;
  version: string;
  /** Milliseconds since the epoch of the last inference, 0 if none. */
  lastInference: number;
  inferenceCount: number;
  executionCount: number;
  inferenceStats: InferenceStatistics;
  batchStats: BatchStatistics[];
  /** Keyed by response index (decoupled models). */
  responseStats?: Record<string, Record<string, StatisticDuration>>;
  memoryUsage?: MemoryUsage[];
}

export interface RepositoryIndexEntry {
  name: string;
  version?: string;
  /** e.g. READY, UNAVAILABLE, LOADING. */
  state?: string;
  reason?: string;
}

export interface LoadModelOptions extends CallOptions {
  /** A model configuration to load the model with (sent as the `config` parameter, JSON text). */
  config?: object | string;
  /** Model files, keyed `<version>/<file name>`, sent base64-encoded as `file:<key>` parameters. */
  files?: Record<string, Uint8Array>;
  /** Further load parameters. */
  parameters?: Parameters;
}

export interface UnloadModelOptions extends CallOptions {
  /** Also unload the models that depend on this one (ensembles). */
  unloadDependents?: boolean;
}

interface Answer {
  method: string;
  url: string;
  status: number;
  statusText: string;
  headers: Headers;
  body: Uint8Array;
}

const DEFAULT_TIMEOUT_MS = 60_000;
/** setTimeout's limit; longer delays fire at once. */
const MAX_TIMEOUT_MS = 2_147_483_647;
const utf8Decoder = new TextDecoder();
const utf8Encoder = new TextEncoder();

export class KaleidoClient {
  readonly baseUrl: string;
  private readonly fetchImpl: typeof fetch;
  private readonly defaultHeaders: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly dispatcher: object | undefined;

  constructor(options: KaleidoClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new TypeError(`KaleidoClient: baseUrl ${JSON.stringify(options.baseUrl)} is not an absolute URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new TypeError(`KaleidoClient: baseUrl must be http: or https:, got ${url.protocol}`);
    }
    if (url.search !== '' || url.hash !== '') {
      throw new TypeError('KaleidoClient: baseUrl must not carry a query or fragment');
    }
    this.baseUrl = url.href.replace(/\/+$/, '');
    this.timeoutMs = checkTimeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    this.dispatcher = options.dispatcher;
    // Bound to globalThis: browsers throw "Illegal invocation" for a detached window.fetch.
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
    // Lower-cased, so that a caller's "Authorization" and ours cannot both go out and be joined.
    this.defaultHeaders = {};
    for (const [key, value] of Object.entries(options.headers ?? {}))
      this.defaultHeaders[key.toLowerCase()] = value;
    if (options.apiKey !== undefined) this.defaultHeaders.authorization = `Bearer ${options.apiKey}`;
  }

  // ---- OIP v2 core ------------------------------------------------------------------------------

  /** GET /v2/health/live: true on 2xx, false on any other status (see health()). */
  async serverLive(options?: CallOptions): Promise<boolean> {
    return this.health('/v2/health/live', options);
  }

  /** GET /v2/health/ready. */
  async serverReady(options?: CallOptions): Promise<boolean> {
    return this.health('/v2/health/ready', options);
  }

  /** GET /v2. */
  async serverMetadata(options?: CallOptions): Promise<ServerMetadata> {
    const answer = await this.call('GET', '/v2', undefined, options);
    const body = this.parseJson(answer);
    return this.shaped(answer, () => {
      const record = expectRecord(body, 'server metadata');
      return {
        name: expectString(record.name, 'name'),
        version: expectString(record.version, 'version'),
        extensions: record.extensions === undefined ? [] : expectStrings(record.extensions, 'extensions'),
      };
    });
  }

  /** GET /v2/models/{name}[/versions/{version}]/ready. */
  async modelReady(name: string, version?: string, options?: CallOptions): Promise<boolean> {
    return this.health(`${modelPath(name, version)}/ready`, options);
  }

  /** GET /v2/models/{name}[/versions/{version}]. */
  async modelMetadata(name: string, version?: string, options?: CallOptions): Promise<ModelMetadata> {
    const answer = await this.call('GET', modelPath(name, version), undefined, options);
    const body = this.parseJson(answer);
    return this.shaped(answer, () => {
      const record = expectRecord(body, 'model metadata');
      const metadata: ModelMetadata = {
        name: expectString(record.name, 'name'),
        platform: record.platform === undefined ? '' : expectString(record.platform, 'platform'),
        inputs: expectTensorMetadata(record.inputs ?? [], 'inputs'),
        outputs: expectTensorMetadata(record.outputs ?? [], 'outputs'),
      };
      if (record.versions !== undefined) metadata.versions = expectStrings(record.versions, 'versions');
      if (record.properties !== undefined) {
        metadata.properties = expectRecord(record.properties, 'properties') as Record<string, string>;
      }
      return metadata;
    });
  }

  /**
   * POST /v2/models/{name}[/versions/{version}]/infer. Outputs come back as typed arrays whether
   * the server answers in JSON or binary. Invalid request data rejects with TypeError/RangeError
   * before anything is sent.
   */
  async infer(name: string, request: InferInput, options: InferOptions = {}): Promise<InferResult> {
    const path = `${modelPath(name, options.version)}/infer`;
    const encoded = encodeInferRequest(request, { binary: options.binary, rawInput: options.rawInput });
    const headers: Record<string, string> = {
      'content-type': encoded.contentType,
      accept: 'application/json, application/octet-stream',
    };
    if (encoded.inferenceHeaderLength !== undefined) {
      headers['inference-header-content-length'] = String(encoded.inferenceHeaderLength);
    }
    const answer = await this.call('POST', path, { body: encoded.body, headers }, options);
    return this.shaped(answer, () => {
      const length = answer.headers.get('inference-header-content-length');
      if (length !== null && !/^\d+$/.test(length.trim())) {
        throw new TypeError(`Inference-Header-Content-Length is not a byte count: ${JSON.stringify(length)}`);
      }
      return decodeInferResponse(answer.body, length === null ? undefined : Number(length));
    });
  }

  // ---- Triton extensions ------------------------------------------------------------------------

  /** GET /v2/models/{name}[/versions/{version}]/config: the model configuration as JSON. */
  async modelConfig(name: string, version?: string, options?: CallOptions): Promise<Record<string, unknown>> {
    const answer = await this.call('GET', `${modelPath(name, version)}/config`, undefined, options);
    const body = this.parseJson(answer);
    return this.shaped(answer, () => expectRecord(body, 'model config'));
  }

  /** GET /v2/models[/{name}[/versions/{version}]]/stats. */
  async modelStatistics(name?: string, version?: string, options?: CallOptions): Promise<ModelStatistics[]> {
    if (name === undefined && version !== undefined) {
      throw new TypeError('modelStatistics: a version needs a model name');
    }
    const path = name === undefined ? '/v2/models/stats' : `${modelPath(name, version)}/stats`;
    const answer = await this.call('GET', path, undefined, options);
    const body = this.parseJson(answer);
    return this.shaped(answer, () => {
      const stats = expectRecord(body, 'statistics').model_stats;
      if (!Array.isArray(stats)) throw new TypeError('statistics: `model_stats` must be an array');
      return stats.map((entry, i) => {
        const record = expectRecord(entry, `model_stats[${i}]`);
        expectString(record.name, `model_stats[${i}].name`);
        return camelizeKeys(record) as ModelStatistics;
      });
    });
  }

  /** POST /v2/repository/index: the models the server knows, with their state. */
  async repositoryIndex(options: CallOptions & { ready?: boolean } = {}): Promise<RepositoryIndexEntry[]> {
    const request = options.ready === undefined ? {} : { ready: options.ready };
    const answer = await this.call('POST', '/v2/repository/index', jsonBody(request), options);
    const body = this.parseJson(answer);
    return this.shaped(answer, () => {
      if (!Array.isArray(body)) throw new TypeError('repository index: expected an array');
      return body.map((entry, i) => {
        const record = expectRecord(entry, `index[${i}]`);
        const out: RepositoryIndexEntry = { name: expectString(record.name, `index[${i}].name`) };
        for (const key of ['version', 'state', 'reason'] as const) {
          if (record[key] !== undefined) out[key] = expectString(record[key], `index[${i}].${key}`);
        }
        return out;
      });
    });
  }

  /** POST /v2/repository/models/{name}/load: (re)loads a model, optionally with a config and files. */
  async loadModel(name: string, options: LoadModelOptions = {}): Promise<void> {
    const parameters: Record<string, string | number | boolean> = { ...options.parameters };
    if (options.config !== undefined) {
      parameters.config =
        typeof options.config === 'string' ? options.config : JSON.stringify(options.config);
    }
    for (const [file, bytes] of Object.entries(options.files ?? {})) {
      if (!(bytes instanceof Uint8Array))
        throw new TypeError(`loadModel: file ${JSON.stringify(file)} must be a Uint8Array`);
      parameters[`file:${file}`] = toBase64(bytes);
    }
    const request = Object.keys(parameters).length > 0 ? { parameters } : {};
    const path = `/v2/repository/models/${encodeSegment(name, 'model name')}/load`;
    await this.call('POST', path, jsonBody(request), options);
  }

  /** POST /v2/repository/models/{name}/unload. */
  async unloadModel(name: string, options: UnloadModelOptions = {}): Promise<void> {
    const request =
      options.unloadDependents === undefined
        ? {}
        : { parameters: { unload_dependents: options.unloadDependents } };
    const path = `/v2/repository/models/${encodeSegment(name, 'model name')}/unload`;
    await this.call('POST', path, jsonBody(request), options);
  }

  // ---- Operations -------------------------------------------------------------------------------

  /** GET /metrics: the Prometheus text exposition. */
  async metrics(options?: CallOptions): Promise<string> {
    const answer = await this.call('GET', '/metrics', { headers: { accept: 'text/plain' } }, options);
    return utf8Decoder.decode(answer.body);
  }

  // ---- Plumbing ---------------------------------------------------------------------------------

  /**
   * The OIP health rule: 2xx means true, an error status means false. 401/403 still throw: they
   * say the credentials are wrong, not whether the server or model is up.
   */
  private async health(path: string, options: CallOptions | undefined): Promise<boolean> {
    const answer = await this.send('GET', path, { headers: { accept: 'application/json' } }, options);
    if (isOk(answer.status)) return true;
    if (answer.status === 401 || answer.status === 403) throw this.httpError(answer);
    return false;
  }

  /** send() that turns a non-2xx answer into a KaleidoApiError. */
  private async call(
    method: string,
    path: string,
    request: { body?: Uint8Array<ArrayBuffer>; headers?: Record<string, string> } | undefined,
    options: CallOptions | undefined,
  ): Promise<Answer> {
    const answer = await this.send(
      method,
      path,
      { body: request?.body, headers: { accept: 'application/json', ...request?.headers } },
      options,
    );
    if (!isOk(answer.status)) throw this.httpError(answer);
    return answer;
  }

  /**
   * One HTTP exchange, body included, under a deadline. The deadline is a timer on our own
   * AbortController, combined with the caller's signal, rather than AbortSignal.timeout + any():
   * this tells a timeout from a caller abort without inspecting reasons, clears the timer as soon as
   * the call ends, and works where AbortSignal.any does not exist yet.
   */
  private async send(
    method: string,
    path: string,
    request: { body?: Uint8Array<ArrayBuffer> | undefined; headers: Record<string, string> },
    options: CallOptions | undefined,
  ): Promise<Answer> {
    const url = this.baseUrl + path;
    const timeoutMs = options?.timeoutMs === undefined ? this.timeoutMs : checkTimeout(options.timeoutMs);
    const callerSignal = options?.signal;
    const failure = (
      kind: 'network' | 'timeout' | 'aborted',
      message: string,
      cause?: unknown,
    ): KaleidoApiError =>
      new KaleidoApiError(`${method} ${pathOf(url)} ${message}`, { kind, status: 0, method, url, cause });
    if (callerSignal?.aborted) throw failure('aborted', 'was aborted by the caller', callerSignal.reason);

    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError'));
    }, timeoutMs);
    const onCallerAbort = (): void => controller.abort(callerSignal?.reason);
    callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
    try {
      const response = await this.fetchImpl(url, {
        method,
        headers: { ...this.defaultHeaders, ...request.headers },
        body: request.body,
        signal: controller.signal,
        // Not in the DOM's RequestInit: undici's extension, ignored by browsers.
        ...(this.dispatcher === undefined ? {} : ({ dispatcher: this.dispatcher } as RequestInit)),
      });
      const body = new Uint8Array(await response.arrayBuffer());
      return {
        method,
        url,
        status: response.status,
        statusText: response.statusText,
        headers: response.headers,
        body,
      };
    } catch (error) {
      if (timedOut) throw failure('timeout', `timed out after ${timeoutMs} ms`, error);
      if (callerSignal?.aborted) throw failure('aborted', 'was aborted by the caller', callerSignal.reason);
      throw failure('network', `failed without an answer: ${describeCause(error)}`, error);
    } finally {
      clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    }
  }

  private httpError(answer: Answer): KaleidoApiError {
    return errorFromResponse(
      { ...answer, bodyText: utf8Decoder.decode(answer.body) },
      answer.method,
      answer.url,
      Date.now(),
    );
  }

  private parseJson(answer: Answer): unknown {
    return this.shaped(answer, () => JSON.parse(utf8Decoder.decode(answer.body)) as unknown);
  }

  /** Runs a reader over a 2xx answer, turning any complaint into a `protocol` KaleidoApiError. */
  private shaped<T>(answer: Answer, read: () => T): T {
    try {
      return read();
    } catch (error) {
      if (error instanceof KaleidoApiError) throw error;
      throw new KaleidoApiError(
        `${answer.method} ${pathOf(answer.url)} answered ${answer.status} with a malformed body: ${(error as Error).message}`,
        {
          kind: 'protocol',
          status: answer.status,
          method: answer.method,
          url: answer.url,
          cause: error,
          body: bodyForError(answer),
        },
      );
    }
  }
}

const isOk = (status: number): boolean => status >= 200 && status < 300;

function checkTimeout(timeoutMs: number): number {
  if (
    typeof timeoutMs !== 'number' ||
    !Number.isFinite(timeoutMs) ||
    timeoutMs <= 0 ||
    timeoutMs > MAX_TIMEOUT_MS
  ) {
    throw new RangeError(`timeoutMs must be a positive number of milliseconds up to ${MAX_TIMEOUT_MS}`);
  }
  return timeoutMs;
}

/**
 * One URL path segment. "." and ".." are refused: URL parsers resolve them (even percent-encoded)
 * as relative steps, so such a name could never reach the intended route.
 */
function encodeSegment(value: string, what: string): string {
  if (typeof value !== 'string' || value === '') throw new TypeError(`${what} must be a non-empty string`);
  if (value === '.' || value === '..') throw new TypeError(`${what} cannot be "${value}"`);
  return encodeURIComponent(value);
}

function modelPath(name: string, version: string | undefined): string {
  const base = `/v2/models/${encodeSegment(name, 'model name')}`;
  return version === undefined ? base : `${base}/versions/${encodeSegment(version, 'model version')}`;
}

function jsonBody(value: unknown): { body: Uint8Array<ArrayBuffer>; headers: Record<string, string> } {
  return { body: utf8Encoder.encode(JSON.stringify(value)), headers: { 'content-type': 'application/json' } };
}

function toBase64(bytes: Uint8Array): string {
  // btoa takes a "binary string"; build it in chunks to stay under argument-count limits.
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

/** snake_case → camelCase on object keys, recursively (values untouched). */
function camelizeKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelizeKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()),
      camelizeKeys(inner),
    ]),
  );
}

function describeCause(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // undici reports "fetch failed" and puts the real reason (ECONNREFUSED …) in `cause`.
  const cause = (error as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
}

/** The start of a malformed body, enough to debug it without holding megabytes of tensors. */
const bodyForError = (answer: Answer): string => utf8Decoder.decode(answer.body.subarray(0, 4096));

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function expectRecord(value: unknown, what: string): Record<string, unknown> {
  if (!isRecord(value)) throw new TypeError(`${what} must be a JSON object`);
  return value;
}

function expectString(value: unknown, what: string): string {
  if (typeof value !== 'string') throw new TypeError(`\`${what}\` must be a string`);
  return value;
}

function expectStrings(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new TypeError(`\`${what}\` must be an array of strings`);
  }
  return value as string[];
}

function expectTensorMetadata(value: unknown, what: string): TensorMetadata[] {
  if (!Array.isArray(value)) throw new TypeError(`\`${what}\` must be an array`);
  return value.map((entry, i) => {
    const record = expectRecord(entry, `${what}[${i}]`);
    const { datatype, shape } = record;
    if (!isDatatype(datatype))
      throw new TypeError(`${what}[${i}]: unknown datatype ${JSON.stringify(datatype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= -1)) {
      throw new TypeError(`${what}[${i}]: shape must be integers >= -1`);
    }
    return { name: expectString(record.name, `${what}[${i}].name`), datatype, shape: shape as number[] };
  });
}
