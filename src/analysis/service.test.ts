import { describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { KaleidoError } from '../core/errors.js';
import type { AnalyzerStatus } from '../core/ports/analyzer.js';
import { InMemoryPolicyStore } from '../safety/policy-store.js';
import { parsePolicyYaml } from '../safety/load.js';
import { AnalysisService } from './service.js';
import type { ModalityModule, RegisteredAnalyzer, StepOutput } from './types.js';

const POLICY = `
id: test
version: '2'
appliesTo: {}
failMode: closed
rules:
  - { id: spam-block, category: spam, threshold: 0.5, action: block, direction: both }
  - { id: pii-redact, category: pii, threshold: 0.5, action: redact, direction: output }
pii:
  entities:
    DEFAULT: { type: replace }
`;

const SCOPED = `
id: lenient
version: '1'
appliesTo: { pipelines: [fake-lenient] }
failMode: closed
requiredAnalyzers: [spamcheck]
rules:
  - { id: spam-flag, category: spam, threshold: 0.5, action: flag, direction: both }
`;

const ticks = async (n = 10): Promise<void> => {
  for (let i = 0; i < n; i++) await Promise.resolve();
};

interface FakeOptions {
  spamScore?: number;
  wordStatus?: AnalyzerStatus;
  hang?: boolean;
}

/** A small text-like module whose analyzers are scripted, so the service's logic is seen alone. */
function fakeModule(o: FakeOptions = {}): { module: ModalityModule<string>; calls: string[] } {
  const calls: string[] = [];
  const analyzer = (
    task: string,
    safety: boolean,
    run: (input: string, prev: ReadonlyMap<string, unknown>) => unknown,
    status: () => AnalyzerStatus = () => ({ available: true }),
  ): RegisteredAnalyzer<string> => ({
    id: `text/${task}`,
    modality: 'text',
    task,
    safety,
    describe: () => ({ model: `${task}-model`, version: '7', method: 'rules' }),
    status,
    run: async (input, prev) => {
      calls.push(task);
      return run(input, prev);
    },
  });
  const analyzers = [
    analyzer(
      'words',
      false,
      (t) => t.split(' ').length,
      () => o.wordStatus ?? { available: true },
    ),
    analyzer('shout', false, (_t, prev) => `words=${String(prev.get('words'))}`),
    analyzer('spamcheck', true, () =>
      o.hang === true ? new Promise(() => undefined) : { score: o.spamScore ?? 0.1 },
    ),
    analyzer('email', true, (t) => {
      const i = t.indexOf('a@b.io');
      return i < 0 ? [] : [{ entity: 'EMAIL_ADDRESS', start: i, end: i + 6, score: 1, recognizer: 'fake' }];
    }),
  ];
  const module: ModalityModule<string> = {
    modality: 'text',
    analyzers,
    pipelines: [
      {
        name: 'fake-default',
        modality: 'text',
        steps: [
          { id: 'words', analyzer: 'text/words' },
          { id: 'shout', analyzer: 'text/shout', after: ['words'] },
          { id: 'spamcheck', analyzer: 'text/spamcheck', timeoutMs: 50 },
          { id: 'email', analyzer: 'text/email' },
        ],
      },
      { name: 'fake-lenient', modality: 'text', steps: [{ id: 'words', analyzer: 'text/words' }] },
    ],
    defaultPipeline: 'fake-default',
    maxBytes: 64,
    init: () => Promise.resolve(),
    close: () => Promise.resolve(),
    prepare: (c) => (c.kind === 'text' ? c.text : new TextDecoder().decode(c.bytes)),
    safetySignals: (input, outputs: readonly StepOutput[]) => ({
      scores: outputs
        .filter((x) => x.analyzer === 'text/spamcheck')
        .map((x) => ({
          category: 'spam' as const,
          score: (x.value as { score: number }).score,
          source: { kind: 'model' as const, name: 'spamcheck-model', version: '7' },
        })),
      piiFindings: outputs.filter((x) => x.analyzer === 'text/email').flatMap((x) => x.value as never[]),
      text: input,
    }),
    present: (_input, outputs, d) => ({
      results: Object.fromEntries(outputs.map((x) => [x.stepId, x.value])),
      partial: d.withhold ? { all: 'withheld' } : {},
    }),
  };
  return { module, calls };
}

async function service(o: FakeOptions = {}, policies = [POLICY, SCOPED]) {
  const clock = new ManualClock();
  const s = new AnalysisService({
    clock,
    policies: new InMemoryPolicyStore(policies.map((p) => parsePolicyYaml(p))),
  });
  const fake = fakeModule(o);
  s.register(fake.module);
  await s.init();
  return { s, clock, calls: fake.calls };
}

async function rejection(p: Promise<unknown>): Promise<KaleidoError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof KaleidoError) return e;
    throw e;
  }
  throw new Error('expected a rejection');
}

describe('AnalysisService', () => {
  it('runs the default pipeline, passes dependency results, and records the policy stage', async () => {
    const { s } = await service();
    const r = await s.analyze({ kind: 'text', text: 'hello big world' });
    expect(r).toMatchObject({ modality: 'text', mime: 'text/plain', pipeline: 'fake-default' });
    expect(r.results).toEqual({ words: 3, shout: 'words=3', spamcheck: { score: 0.1 }, email: [] });
    expect(r.stages.map((x) => [x.name, x.status, x.model])).toEqual([
      ['words', 'ok', 'words-model'],
      ['shout', 'ok', 'shout-model'],
      ['spamcheck', 'ok', 'spamcheck-model'],
      ['email', 'ok', 'email-model'],
      ['safety', 'ok', 'test'],
    ]);
    expect(r.safety).toMatchObject({ action: 'allow', policy: { id: 'test', version: '2' }, unchecked: [] });
  });

  it('blocks on a rule and redacts PII on the way out', async () => {
    const { s } = await service({ spamScore: 0.9 });
    const blocked = await s.analyze({ kind: 'text', text: 'buy now' });
    expect(blocked.safety.action).toBe('block');
    expect(blocked.safety.reasons[0]).toMatchObject({ ruleId: 'spam-block', direction: 'input', score: 0.9 });
    expect(blocked.skipped).toEqual({ all: 'withheld' });

    const { s: s2 } = await service();
    const r = await s2.analyze({ kind: 'text', text: 'mail a@b.io now' });
    expect(r.safety).toMatchObject({
      action: 'redact',
      decisions: { input: 'allow', output: 'redact' },
      redacted: true,
    });
    expect(r.text).toBe('mail <EMAIL_ADDRESS> now');
  });

  it('selects tasks with what they depend on, and lists safety analyzers left out', async () => {
    const { s, calls } = await service();
    const r = await s.analyze({ kind: 'text', text: 'a b' }, { tasks: ['shout'] });
    expect(r.tasks).toEqual(['words', 'shout']);
    expect(calls).toEqual(['words', 'shout']);
    expect(r.safety.unchecked).toEqual(['spamcheck', 'email']);
    const e = await rejection(s.analyze({ kind: 'text', text: 'a' }, { tasks: ['nope'] }));
    expect(e).toMatchObject({ code: 'ERR_VALIDATION', details: { field: 'tasks', value: ['nope'] } });
    const empty = await rejection(s.analyze({ kind: 'text', text: 'a' }, { tasks: [] }));
    expect(empty.code).toBe('ERR_VALIDATION');
  });

  it('an unavailable safety analyzer is a failure the policy escalates; its dependents are skipped', async () => {
    const { s, calls } = await service({ wordStatus: { available: false, reason: 'engine missing' } });
    const r = await s.analyze({ kind: 'text', text: 'x y' });
    expect(r.stages[0]).toMatchObject({
      name: 'words',
      status: 'unavailable',
      error: 'engine missing',
      ms: 0,
    });
    expect(r.stages[1]).toMatchObject({
      name: 'shout',
      status: 'skipped',
      error: 'dependency words unavailable',
    });
    expect(calls).not.toContain('words');
    expect(r.skipped).toMatchObject({ words: { status: 'unavailable' }, shout: { status: 'skipped' } });
    // words is not a safety analyzer: nothing to escalate.
    expect(r.safety.failClosed).toBe(false);
  });

  it('a safety step that outlives its timeout fails closed, with timedOut in the reason', async () => {
    const { s, clock } = await service({ hang: true });
    const pending = s.analyze({ kind: 'text', text: 'x' });
    await ticks();
    clock.advance(50);
    const r = await pending;
    expect(r.stages.find((x) => x.name === 'spamcheck')).toMatchObject({ status: 'failed', timedOut: true });
    expect(r.safety).toMatchObject({ action: 'block', failClosed: true });
    expect(r.safety.reasons[0]).toMatchObject({
      type: 'analyzer-failure',
      analyzer: 'spamcheck',
      timedOut: true,
      escalated: true,
    });
  });

  it('resolves the policy scoped to the pipeline', async () => {
    const { s } = await service();
    const r = await s.analyze({ kind: 'text', text: 'x' }, { pipeline: 'fake-lenient' });
    expect(r.safety.policy).toMatchObject({ id: 'lenient', version: '1' });
    expect(r.safety.unchecked).toEqual(['spamcheck', 'email']);
  });

  it("resolves the caller tenant's policy before the tenant-less one", async () => {
    const STRICT = `
id: acme-strict
version: '3'
tenant: acme
appliesTo: {}
failMode: closed
rules:
  - { id: spam-block-low, category: spam, threshold: 0.05, action: block, direction: both }
`;
    const { s } = await service({ spamScore: 0.1 }, [POLICY, SCOPED, STRICT]);
    const acme = await s.analyze({ kind: 'text', text: 'x' }, { tenant: 'acme' });
    expect(acme.safety.policy).toMatchObject({ id: 'acme-strict', version: '3' });
    expect(acme.safety.decisions.input).toBe('block');
    const other = await s.analyze({ kind: 'text', text: 'x' }, { tenant: 'globex' });
    expect(other.safety.policy).toMatchObject({ id: 'test', version: '2' });
    expect(other.safety.decisions.input).toBe('allow');
    const none = await s.analyze({ kind: 'text', text: 'x' });
    expect(none.safety.policy).toMatchObject({ id: 'test' });
  });

  it('detects bytes, enforces the modality limit, and refuses modalities without analyzers', async () => {
    const { s } = await service();
    const r = await s.analyze({
      kind: 'bytes',
      bytes: new TextEncoder().encode('raw words'),
      declaredType: 'text/plain',
    });
    expect(r.results['words']).toBe(2);
    const big = await rejection(
      s.analyze({ kind: 'bytes', bytes: new TextEncoder().encode('x'.repeat(65)) }),
    );
    expect(big).toMatchObject({ code: 'ERR_PAYLOAD_TOO_LARGE', details: { modality: 'text', maxBytes: 64 } });
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const img = await rejection(s.analyze({ kind: 'bytes', bytes: png }));
    expect(img).toMatchObject({
      code: 'ERR_UNSUPPORTED_MEDIA_TYPE',
      details: { detected: 'image/png', supported: ['text'] },
    });
  });

  it('refuses an unknown pipeline and one of another modality', async () => {
    const { s } = await service();
    const unknown = await rejection(s.analyze({ kind: 'text', text: 'x' }, { pipeline: 'nope' }));
    expect(unknown.details).toMatchObject({ field: 'pipeline', allowed: ['fake-default', 'fake-lenient'] });
    const image: ModalityModule = {
      ...fakeModule().module,
      modality: 'image',
      analyzers: [],
      pipelines: [{ name: 'img', modality: 'image', steps: [{ id: 'w', analyzer: 'text/words' }] }],
      defaultPipeline: 'img',
    };
    s.register(image);
    const other = await rejection(s.analyze({ kind: 'text', text: 'x' }, { pipeline: 'img' }));
    expect(other.message).toContain('analyses image');
  });

  it('rejects bad registrations naming the problem', () => {
    const s = new AnalysisService({ clock: new ManualClock(), policies: new InMemoryPolicyStore() });
    s.register(fakeModule().module);
    expect(() => s.register(fakeModule().module)).toThrow(/registered twice/);
    const broken = fakeModule().module;
    const s2 = new AnalysisService({ clock: new ManualClock(), policies: new InMemoryPolicyStore() });
    let err: unknown;
    try {
      s2.register({
        ...broken,
        pipelines: [{ name: 'x', modality: 'text', steps: [{ id: 'bad', analyzer: 'text/unknown' }] }],
        defaultPipeline: 'x',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'ERR_BAD_CONFIG', details: { step: 'bad', analyzer: 'text/unknown' } });
  });

  it('init fails when no policy applies, and analyze before init is refused', async () => {
    const s = new AnalysisService({ clock: new ManualClock(), policies: new InMemoryPolicyStore() });
    s.register(fakeModule().module);
    expect((await rejection(s.analyze({ kind: 'text', text: 'x' }))).code).toBe('ERR_UNAVAILABLE');
    const e = await rejection(s.init());
    expect(e).toMatchObject({
      code: 'ERR_UNAVAILABLE',
      details: { pipeline: 'fake-default', route: 'analyze' },
    });
  });

  it('reports analyzers with availability and the pipelines that use them', async () => {
    const { s } = await service({ wordStatus: { available: false, reason: 'engine missing' } });
    expect(s.analyzers().find((a) => a.id === 'text/words')).toEqual({
      id: 'text/words',
      modality: 'text',
      task: 'words',
      model: 'words-model',
      version: '7',
      method: 'rules',
      safety: false,
      available: false,
      reason: 'engine missing',
      pipelines: ['fake-default', 'fake-lenient'],
    });
    expect(s.pipelines().map((p) => [p.name, p.default, p.complete])).toEqual([
      ['fake-default', true, false],
      ['fake-lenient', false, false],
    ]);
    expect(s.maxBodyBytes()).toBe(64);
  });
});
