/**
 * POST /v1/analyze end to end over a real socket: the real text engines (cld3, wink, compromise,
 * obscenity, PII with libphonenumber), the bundled spam_classifier served by the real model
 * manager and onnxruntime, the policies of policies/, and the app built by buildApp with the
 * analysis routes registered — the wiring main.ts does. A second server has a profanity engine
 * that throws, to show fail-closed.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSystemClock } from '../../src/adapters/clock-system/system-clock.js';
import { NodePiiCrypto } from '../../src/adapters/crypto-node/index.js';
import { createPrometheusMetrics } from '../../src/adapters/metrics-prometheus/prometheus.js';
import { LibphonenumberPhoneValidator } from '../../src/adapters/pii-phone-libphonenumber/index.js';
import { createFsModelSource } from '../../src/adapters/repository-fs/fs-model-source.js';
import { OnnxRuntime } from '../../src/adapters/runtime-onnx/onnx-runtime.js';
import { Cld3LanguageIdentifier } from '../../src/adapters/text-cld3/index.js';
import { CompromiseEntities } from '../../src/adapters/text-compromise/index.js';
import { ObscenityProfanity } from '../../src/adapters/text-obscenity/index.js';
import { WinkEntities, WinkNlp, WinkSentiment } from '../../src/adapters/text-wink/index.js';
import { createDefaultAnalysis, type AnalysisService } from '../../src/analysis/index.js';
import type { ProfanityEngine } from '../../src/core/ports/analyzer.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import { noopServingMetrics } from '../../src/core/ports/metrics.js';
import { defaultRecognizers, PiiAnalyzer } from '../../src/core/safety/pii/index.js';
import { SPAM_MODEL } from '../../src/modalities/text/spam.js';
import { loadPolicyDirectory } from '../../src/safety/load.js';
import { buildApp } from '../../src/server/app.js';
import { registerAnalyzeRoutes } from '../../src/server/routes/analyze.js';
import { KaleidoInferenceService } from '../../src/serving/inference-service.js';
import { ModelManager } from '../../src/serving/model-manager.js';
import { REPO_ROOT } from '../helpers/kaleido-server.js';

interface Server {
  readonly url: string;
  readonly analysis: AnalysisService;
  close(): Promise<void>;
}

/** A profanity engine whose every call throws, standing in for a crashed analyzer. */
class BrokenProfanity implements ProfanityEngine {
  readonly name = 'broken-profanity';
  readonly version = '0.0.1';
  init(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  matches(): never {
    throw new Error('profanity engine crashed');
  }
}

async function startServer(options: { profanity?: ProfanityEngine } = {}): Promise<Server> {
  const clock = createSystemClock();
  const manager = new ModelManager({
    source: createFsModelSource([join(REPO_ROOT, 'models', 'bundled')]),
    runtime: new OnnxRuntime(),
    clock,
    epochMs: Date.now,
    metrics: noopServingMetrics,
    logger: silentLogger,
    defaultIntraOpThreads: 1,
    defaultInterOpThreads: 1,
  });
  const inference = new KaleidoInferenceService(manager, {
    name: 'kaleido',
    version: 'e2e',
    clock,
    epochMs: Date.now,
    metrics: noopServingMetrics,
  });
  await inference.loadModel(SPAM_MODEL);
  inference.markStartupComplete();
  const wink = new WinkNlp();
  const analysis = createDefaultAnalysis({
    clock,
    // Small, so the cap shows on a short text (the default is DEFAULT_ENTITY_MAX_CHARS).
    entityMaxChars: 2_000,
    policies: await loadPolicyDirectory(join(REPO_ROOT, 'policies')),
    crypto: new NodePiiCrypto(),
    text: {
      language: new Cld3LanguageIdentifier(),
      sentiment: new WinkSentiment(wink),
      entities: [new WinkEntities(wink), new CompromiseEntities()],
      pii: new PiiAnalyzer({
        recognizers: defaultRecognizers({ phoneValidator: new LibphonenumberPhoneValidator() }),
      }),
      profanity: options.profanity ?? new ObscenityProfanity(),
      inference,
    },
  });
  await analysis.init();
  const app = await buildApp({
    service: inference,
    logger: pino({ level: 'silent' }),
    metrics: createPrometheusMetrics(),
    options: {
      maxBodyBytes: 8 * 1024 * 1024,
      maxAdminBodyBytes: 1024 * 1024,
      maxJsonDepth: 32,
      keepAliveTimeoutMs: 5000,
      maxInflightInferences: 4096,
    },
  });
  await registerAnalyzeRoutes(app, { analysis, options: { maxJsonDepth: 32 } });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    analysis,
    async close() {
      await app.close();
      await analysis.close();
      await manager.shutdown();
    },
  };
}

interface Answer {
  readonly status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, asserted field by field.
  readonly body: any;
}

async function post(
  base: string,
  path: string,
  body: string | Uint8Array | undefined,
  contentType?: string,
): Promise<Answer> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    ...(body === undefined ? {} : { body }),
    headers: contentType === undefined ? {} : { 'content-type': contentType },
  });
  return { status: res.status, body: await res.json() };
}

const postJson = (base: string, path: string, value: unknown): Promise<Answer> =>
  post(base, path, JSON.stringify(value), 'application/json');

async function get(base: string, path: string): Promise<Answer> {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: await res.json() };
}

const PNG = new Uint8Array([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 0, 1,
]);

let server: Server;
let broken: Server;

beforeAll(async () => {
  [server, broken] = await Promise.all([startServer(), startServer({ profanity: new BrokenProfanity() })]);
}, 120_000);

afterAll(async () => {
  await server?.close();
  await broken?.close();
});

describe('POST /v1/analyze: text', () => {
  it('analyses JSON text with every default step, and says which model ran each', async () => {
    const r = await postJson(server.url, '/v1/analyze', {
      text: 'Paris in spring is beautiful. My sister and I walked along the river on 12 May 2024 and had a lovely lunch that cost 30 euros.',
    });
    expect(r.status).toBe(200);
    const b = r.body;
    expect(b).toMatchObject({ modality: 'text', mime: 'text/plain', pipeline: 'text-default' });
    expect(b.stages.map((s: { name: string }) => s.name)).toEqual([
      'language',
      'sentiment',
      'entities',
      'pii',
      'profanity',
      'spam',
      'injection',
      'moderation',
      'safety',
    ]);
    for (const s of b.stages) {
      expect(s.status).toBe('ok');
      expect(s.model).not.toBe('none');
      expect(s.ms).toBeGreaterThanOrEqual(0);
    }
    expect(b.stages.find((s: { name: string }) => s.name === 'spam')).toMatchObject({
      model: SPAM_MODEL,
      version: '1',
    });
    expect(b.results.language.language).toBe('en');
    expect(b.results.sentiment.label).toBe('positive');
    const money = b.results.entities.find((e: { type: string }) => e.type === 'MONEY');
    expect(money).toBeDefined();
    expect(money.text).toBe('30 euros');
    expect(b.results.entities.find((e: { type: string }) => e.type === 'PLACE')).toMatchObject({
      text: 'Paris',
      start: 0,
      end: 5,
    });
    expect(b.results.spam.label).toBe('ham');
    expect(b.results.profanity.profane).toBe(false);
    expect(b.safety).toMatchObject({
      action: 'allow',
      policy: { id: 'default', version: '1.1.0' },
      failClosed: false,
    });
    expect(b.safety.modelVersions).toEqual(
      expect.arrayContaining([expect.objectContaining({ kind: 'model', name: SPAM_MODEL, version: '1' })]),
    );
    expect(b.safety.unchecked).toEqual([]);
    expect(b.text).toBeUndefined();
    expect(b.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('analyses a raw text/plain body and UTF-16 with a BOM alike', async () => {
    const fr = 'Bonjour à tous, je suis très heureux de vous voir aujourd’hui dans cette belle ville.';
    const r = await post(server.url, '/v1/analyze?tasks=language', fr, 'text/plain; charset=utf-8');
    expect(r.status).toBe(200);
    expect(r.body.results.language.language).toBe('fr');

    const utf16 = new Uint8Array(2 + fr.length * 2);
    utf16.set([0xff, 0xfe]);
    for (let i = 0; i < fr.length; i++) {
      utf16[2 + 2 * i] = fr.charCodeAt(i) & 0xff;
      utf16[3 + 2 * i] = fr.charCodeAt(i) >> 8;
    }
    const r16 = await post(server.url, '/v1/analyze?tasks=language', utf16, 'application/octet-stream');
    expect(r16.status).toBe(200);
    expect(r16.body.modality).toBe('text');
    expect(r16.body.results.language.language).toBe('fr');
  });

  it('runs only the selected tasks and lists the safety analyzers left out', async () => {
    const r = await post(
      server.url,
      '/v1/analyze?tasks=language,sentiment',
      'What a terrible, awful day.',
      'text/plain',
    );
    expect(r.status).toBe(200);
    expect(r.body.tasks).toEqual(['language', 'sentiment']);
    expect(Object.keys(r.body.results).sort()).toEqual(['language', 'sentiment']);
    expect(r.body.results.sentiment.label).toBe('negative');
    expect(r.body.safety.unchecked).toEqual(['pii', 'profanity', 'spam', 'injection', 'moderation']);
    // Negative tone is information for the policy, not a harm.
    expect(r.body.safety.scores).toEqual([expect.objectContaining({ category: 'negative-sentiment' })]);
    expect(r.body.safety.action).toBe('allow');
  });

  it('a named pipeline runs its steps', async () => {
    const r = await postJson(server.url, '/v1/analyze?pipeline=text-pii', {
      text: 'Call me on +1 415 555 2671.',
    });
    expect(r.status).toBe(200);
    expect(r.body.pipeline).toBe('text-pii');
    expect(r.body.stages.map((s: { name: string }) => s.name)).toEqual(['pii', 'safety']);
  });

  it('an unknown task or pipeline is a 400 listing what is allowed', async () => {
    const t = await postJson(server.url, '/v1/analyze?tasks=language,telepathy', { text: 'hello' });
    expect(t.status).toBe(400);
    expect(t.body.error).toMatchObject({
      code: 'ERR_VALIDATION',
      details: { field: 'tasks', value: ['telepathy'] },
    });
    expect(t.body.error.details.allowed).toContain('sentiment');
    expect(typeof t.body.error.requestId).toBe('string');

    const p = await postJson(server.url, '/v1/analyze', { text: 'hello', pipeline: 'nope' });
    expect(p.status).toBe(400);
    expect(p.body.error).toMatchObject({ code: 'ERR_VALIDATION', details: { field: 'pipeline' } });
  });

  it('notes that entity extraction covered only the first entityMaxChars characters of a long text', async () => {
    const text = 'We walked along the river to the mill on Monday. '.repeat(105); // 5 250 characters; the server caps at 2 000
    const r = await postJson(server.url, '/v1/analyze?tasks=entities,pii', {
      text: `${text}Mail me: a.b@example.org`,
    });
    expect(r.status).toBe(200);
    expect(r.body.skipped.entities).toMatchObject({ analyzedChars: 2_000, totalChars: text.length + 24 });
    expect(Math.max(...r.body.results.entities.map((e: { end: number }) => e.end))).toBeLessThanOrEqual(
      2_000,
    );
    // PII is found in the whole text, past the entity cap: redaction must cover everything.
    expect(r.body.results.pii).toEqual([
      expect.objectContaining({ entity: 'EMAIL_ADDRESS', start: text.length + 9 }),
    ]);
    expect(r.body.text).toBe(`${text}Mail me: <EMAIL_ADDRESS>`);
  });
});

describe('POST /v1/analyze: safety', () => {
  it('blocks a threat, with the rule, score, policy version and model versions as reasons, and quotes nothing', async () => {
    const r = await postJson(server.url, '/v1/analyze', { text: 'I will kill you, you fucking idiot.' });
    expect(r.status).toBe(200);
    const s = r.body.safety;
    expect(s.action).toBe('block');
    expect(s.policy).toMatchObject({ id: 'default', version: '1.1.0' });
    expect(s.policy.contentHash).toMatch(/^sha256:[0-9a-f]{64}$/);
    const threat = s.reasons.find((x: { ruleId?: string }) => x.ruleId === 'threat-block');
    expect(threat).toMatchObject({
      type: 'rule',
      action: 'block',
      category: 'harassment/threatening',
      threshold: 0.8,
      source: { kind: 'rules', name: 'kaleido-text-rules' },
    });
    expect(threat.score).toBeGreaterThanOrEqual(0.8);
    expect(s.reasons.some((x: { ruleId?: string }) => x.ruleId === 'profanity-flag')).toBe(true);
    expect(s.reasons[0].action).toBe('block');
    expect(s.modelVersions.map((m: { name: string }) => m.name)).toEqual(
      expect.arrayContaining(['kaleido-text-rules', SPAM_MODEL]),
    );
    // Blocked content is not quoted back.
    expect(r.body.text).toBeUndefined();
    expect(r.body.results.profanity.profane).toBe(true);
    expect(r.body.results.profanity.censored).toBeUndefined();
    for (const m of r.body.results.profanity.matches) expect(m.text).toBeUndefined();
  });

  it('redacts PII in the returned text under the default policy’s output rule', async () => {
    const text = 'Contact jane.doe@example.com or pay to card 4111111111111111 today.';
    const r = await postJson(server.url, '/v1/analyze', { text });
    expect(r.status).toBe(200);
    expect(r.body.safety.decisions).toEqual({ input: 'flag', output: 'redact' });
    expect(r.body.safety.action).toBe('redact');
    expect(r.body.safety.redacted).toBe(true);
    expect(r.body.text).toBe('Contact <EMAIL_ADDRESS> or pay to card ************1111 today.');
    expect(r.body.safety.reasons).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          ruleId: 'pii-redact-output',
          entity: 'EMAIL_ADDRESS',
          direction: 'output',
        }),
        expect.objectContaining({ ruleId: 'pii-flag-input', direction: 'input' }),
      ]),
    );
    // Offsets stay, quotes of redacted spans go.
    const email = r.body.results.pii.find((p: { entity: string }) => p.entity === 'EMAIL_ADDRESS');
    expect(email).toMatchObject({ start: 8, end: 28, redacted: true });
    expect(email.text).toBeUndefined();
    expect(JSON.stringify(r.body)).not.toContain('jane.doe@example.com');
    expect(JSON.stringify(r.body)).not.toContain('4111111111111111');
  });

  it('fails closed when a safety analyzer throws: block, with the failure as a reason', async () => {
    const r = await postJson(broken.url, '/v1/analyze', {
      text: 'A perfectly friendly message about gardening.',
    });
    expect(r.status).toBe(200);
    const profanity = r.body.stages.find((s: { name: string }) => s.name === 'profanity');
    expect(profanity).toMatchObject({ status: 'failed', error: 'profanity engine crashed' });
    expect(r.body.results.profanity).toBeUndefined();
    expect(r.body.skipped.profanity).toMatchObject({ status: 'failed' });
    expect(r.body.safety).toMatchObject({ action: 'block', failClosed: true });
    expect(r.body.safety.reasons[0]).toMatchObject({
      type: 'analyzer-failure',
      analyzer: 'profanity',
      escalated: true,
      action: 'block',
    });
  });
});

describe('POST /v1/analyze: content detection and bad input', () => {
  it('refuses PNG bytes sent as text/plain with 415 naming the detected type', async () => {
    const r = await post(server.url, '/v1/analyze', PNG, 'text/plain');
    expect(r.status).toBe(415);
    expect(r.body.error).toMatchObject({
      code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
      details: { declared: 'text/plain', detected: 'image/png' },
    });
  });

  it('says when a detected modality has no analyzers on this server', async () => {
    const r = await post(server.url, '/v1/analyze', PNG, 'image/png');
    expect(r.status).toBe(415);
    expect(r.body.error.details).toMatchObject({
      detected: 'image/png',
      modality: 'image',
      supported: ['text'],
    });
  });

  it('refuses unknown binary with 415', async () => {
    const r = await post(
      server.url,
      '/v1/analyze',
      new Uint8Array([0x00, 0x13, 0x37, 0xfe, 0x00, 0x01, 0x02]),
    );
    expect(r.status).toBe(415);
    expect(r.body.error).toMatchObject({
      code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
      details: { detected: 'application/octet-stream', reason: 'binary' },
    });
  });

  it('refuses a zero-length body with 400', async () => {
    for (const type of ['text/plain', 'application/octet-stream', 'application/json']) {
      const r = await post(server.url, '/v1/analyze', new Uint8Array(0), type);
      expect(r.status, type).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'ERR_VALIDATION', details: { field: 'body' } });
    }
  });

  it('refuses text that is not valid UTF-8 with 400 and the offset, and a foreign charset with 415', async () => {
    const latin1 = new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x20, 0x6f, 0x6c, 0xe9]); // "café olé" in Latin-1
    const r = await post(server.url, '/v1/analyze', latin1, 'text/plain');
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'ERR_VALIDATION', details: { encoding: 'utf-8', offset: 3 } });

    const c = await post(server.url, '/v1/analyze', latin1, 'text/plain; charset=iso-8859-1');
    expect(c.status).toBe(415);
    expect(c.body.error.details).toMatchObject({ charset: 'iso-8859-1' });
  });

  it('refuses malformed JSON, a missing text and unknown fields', async () => {
    expect((await post(server.url, '/v1/analyze', '{"text": ', 'application/json')).body.error.code).toBe(
      'ERR_INVALID_JSON',
    );
    const missing = await postJson(server.url, '/v1/analyze', { txt: 'x' });
    expect(missing.status).toBe(400);
    expect(missing.body.error.details.field).toBe('txt');
    const notString = await postJson(server.url, '/v1/analyze', { text: 42 });
    expect(notString.body.error).toMatchObject({ code: 'ERR_VALIDATION', details: { field: 'text' } });
  });

  it('analyses every part of a multipart body and names a bad part', async () => {
    const form = new FormData();
    form.append('note', 'The weather in Rome is lovely today.');
    form.append(
      'doc',
      new Blob(['Ich liebe diese Stadt, sie ist wunderschön und voller Leben.'], { type: 'text/plain' }),
      'doc.txt',
    );
    form.append('tasks', 'language');
    const res = await fetch(`${server.url}/v1/analyze`, { method: 'POST', body: form });
    const b = (await res.json()) as {
      parts: Array<{ part: string; filename?: string; results: { language: { language: string } } }>;
    };
    expect(res.status).toBe(200);
    expect(b.parts.map((p) => [p.part, p.filename, p.results.language.language])).toEqual([
      ['note', undefined, 'en'],
      ['doc', 'doc.txt', 'de'],
    ]);

    const bad = new FormData();
    bad.append('ok', 'fine text');
    bad.append('img', new Blob([PNG], { type: 'text/plain' }), 'pretend.txt');
    const r = await fetch(`${server.url}/v1/analyze`, { method: 'POST', body: bad });
    const e = (await r.json()) as { error: { code: string; details: Record<string, unknown> } };
    expect(r.status).toBe(415);
    expect(e.error.details).toMatchObject({
      part: 'img',
      partIndex: 1,
      filename: 'pretend.txt',
      detected: 'image/png',
    });
  });

  it('keeps serving after all of that', async () => {
    const live = await fetch(`${server.url}/v2/health/live`);
    expect(live.status).toBe(200);
    const r = await postJson(server.url, '/v1/analyze?tasks=sentiment', { text: 'still here and happy' });
    expect(r.status).toBe(200);
  });
});

describe('GET /v1/pipelines, /v1/analyzers, /v1/openapi.json', () => {
  it('lists the pipelines as data', async () => {
    const r = await get(server.url, '/v1/pipelines');
    expect(r.status).toBe(200);
    const names = r.body.pipelines.map((p: { name: string }) => p.name);
    expect(names).toEqual(expect.arrayContaining(['text-default', 'text-pii', 'text-moderation']));
    const def = r.body.pipelines.find((p: { name: string }) => p.name === 'text-default');
    expect(def).toMatchObject({ modality: 'text', default: true, complete: true });
    expect(def.steps).toContainEqual({ id: 'spam', analyzer: 'text/spam', timeoutMs: 5000 });
  });

  it('lists the analyzers with their availability', async () => {
    const r = await get(server.url, '/v1/analyzers');
    expect(r.status).toBe(200);
    expect(r.body.modalities).toEqual(['text']);
    const byId = Object.fromEntries(r.body.analyzers.map((a: { id: string }) => [a.id, a]));
    expect(Object.keys(byId).sort()).toEqual(
      ['entities', 'injection', 'language', 'moderation', 'pii', 'profanity', 'sentiment', 'spam'].map(
        (t) => `text/${t}`,
      ),
    );
    for (const a of r.body.analyzers) expect(a.available).toBe(true);
    expect(byId['text/spam']).toMatchObject({
      model: SPAM_MODEL,
      version: '1',
      method: 'trained',
      safety: true,
    });
    expect(byId['text/language']).toMatchObject({ method: 'neural', safety: false });
  });

  it('serves an OpenAPI 3.1 document whose response schema matches real answers', async () => {
    const r = await get(server.url, '/v1/openapi.json');
    expect(r.status).toBe(200);
    expect(r.body.openapi).toBe('3.1.0');
    expect(Object.keys(r.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/analyze',
        '/v1/pipelines',
        '/v1/analyzers',
        '/v2/models/{model}/infer',
        '/v2/health/ready',
      ]),
    );
    const schemas = r.body.components.schemas;
    const answer = await postJson(server.url, '/v1/analyze', { text: 'hello there' });
    for (const key of schemas.AnalysisResponse.required) expect(answer.body).toHaveProperty(key);
    for (const key of schemas.SafetyVerdict.required) expect(answer.body.safety).toHaveProperty(key);
    for (const stage of answer.body.stages)
      for (const key of schemas.Stage.required) expect(stage).toHaveProperty(key);
    const error = await postJson(server.url, '/v1/analyze', {});
    for (const key of schemas.Error.properties.error.required) expect(error.body.error).toHaveProperty(key);
  });
});
