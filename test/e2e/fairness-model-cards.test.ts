/**
 * End to end through the public API: data sets that declare a sensitive attribute → studies →
 * registered versions with fairness reports (a biased data set's model is flagged, a fair one's is
 * not) → the explicit fairness endpoint runs a served version on another data set → model cards as
 * JSON and Markdown, including a version registered by hand over MLflow REST with nothing recorded.
 *
 * Data (seeded, written out below): 4000 rows, group A/B at random, two numeric features.
 * - "loans-biased": P(label = 1) is 0.8 in group A and 0.2 in group B, and x1 is a proxy of the
 *   group (mean +1 for A, −1 for B, sd 0.5): a model on x1, x2 selects A far more often.
 * - "loans-fair": the label depends on x1 + 0.5·x2 + noise only; the group is independent of
 *   everything, so selection rates differ by sampling noise only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lifecycleCommands, setLifecycleOutput } from '../../src/cli/lifecycle.js';
import { startTestServer, type TestServer } from '../helpers/kaleido-server.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** mulberry32: a small seeded generator, so the data (and the figures) are the same every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(r: () => number): number {
  // Box–Muller.
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

const round = (x: number): number => Math.round(x * 1e4) / 1e4;

function loans(kind: 'biased' | 'fair', n = 4000, seed = 11): string {
  const r = rng(seed);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const group = r() < 0.5 ? 'A' : 'B';
    let x1: number;
    let x2: number;
    let label: number;
    if (kind === 'biased') {
      x1 = (group === 'A' ? 1 : -1) + 0.5 * normal(r);
      x2 = normal(r);
      label = r() < (group === 'A' ? 0.8 : 0.2) ? 1 : 0;
    } else {
      x1 = normal(r);
      x2 = normal(r);
      label = x1 + 0.5 * x2 + 0.3 * normal(r) > 0 ? 1 : 0;
    }
    lines.push(JSON.stringify({ x1: round(x1), x2: round(x2), group, label }));
  }
  return lines.join('\n');
}

let server: TestServer;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'kaleido-e2e-fairness-'));
  server = await startTestServer({ startupModels: ['add_sub_fp32'], overrides: { 'data.dir': dataDir } });
});

afterAll(async () => {
  await server?.close().catch(() => undefined);
  rmSync(dataDir, { recursive: true, force: true });
});

async function call(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: Json; text: string; type: string | null }> {
  const res = await fetch(`${server.httpUrl}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text, type: res.headers.get('content-type') };
}

async function uploadLoans(kind: 'biased' | 'fair'): Promise<Json> {
  const up = await call(
    'POST',
    `/v1/datasets?name=loans-${kind}&sensitiveAttributes=group&splitSeed=3&validationFraction=0.15&testFraction=0.3`,
    loans(kind),
    { 'content-type': 'application/x-ndjson' },
  );
  expect(up.status).toBe(201);
  return up.json;
}

async function runStudy(kind: 'biased' | 'fair'): Promise<Json> {
  const created = await call('POST', '/v1/studies', {
    name: `loans-${kind}`,
    metric: 'valAccuracy',
    nTrials: 2,
    concurrency: 1,
    sampler: { type: 'random', seed: 1 },
    dataset: { id: `loans-${kind}` },
    featurizer: { type: 'tabular' },
    training: { kind: 'logistic', epochs: 15, batchSize: 64, earlyStopping: null },
    searchSpace: { lr: { type: 'float', low: 0.05, high: 0.2, log: true } },
    modelName: `loans-${kind}`,
  });
  expect(created.status).toBe(201);
  for (let i = 0; i < 600; i++) {
    const s = await call('GET', `/v1/studies/loans-${kind}`);
    if (s.json.state === 'completed') return s.json;
    if (s.json.state === 'failed') throw new Error(`study failed: ${JSON.stringify(s.json.error)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('study did not finish');
}

/** Runs `kaleido <args…> --url <server>` in-process and returns what it printed. */
async function kaleido(...args: string[]): Promise<string> {
  let text = '';
  const previous = setLifecycleOutput({ write: (t) => void (text += t), isTTY: false });
  try {
    const program = new Command().exitOverride();
    for (const c of lifecycleCommands()) program.addCommand(c);
    await program.parseAsync(['node', 'kaleido', ...args, '--url', server.httpUrl]);
  } finally {
    setLifecycleOutput(previous);
  }
  return text;
}

const tag = (version: Json, key: string): string | undefined =>
  (version.tags as Json[]).find((t) => t.key === key)?.value;

describe('e2e: fairness of studies, the fairness endpoint and model cards', () => {
  let biased: Json;
  let fair: Json;

  it('declares the sensitive attribute on upload and keeps it out of the features', async () => {
    const d = await uploadLoans('biased');
    expect(d.schema.sensitiveAttributes).toEqual(['group']);
    expect(d.schema.featureFields).toEqual(['x1', 'x2']);
    await uploadLoans('fair');
    const bad = await call('POST', '/v1/datasets?name=bad&sensitiveAttributes=nope', loans('fair', 10), {
      'content-type': 'application/x-ndjson',
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/sensitive attribute "nope" is not in the data/);
  });

  it('a study on the biased data set registers a flagged version; on the fair one, not flagged', async () => {
    biased = await runStudy('biased');
    fair = await runStudy('fair');
    const b = biased.result.fairness.reports[0];
    const f = fair.result.fairness.reports[0];
    expect(b.attribute).toBe('group');
    expect(b.convention).toBe('binary');
    expect(b.perClass[0].positiveLabel).toBe('1');
    expect(b.flagged).toBe(true);
    expect(b.demographicParityDifference).toBeGreaterThan(0.5);
    expect(b.disparateImpactRatio).toBeLessThan(0.3);
    expect(f.flagged).toBe(false);
    expect(f.demographicParityDifference).toBeLessThan(0.1);
    expect(f.equalizedOddsDifference).toBeLessThan(0.1);
    expect(f.disparateImpactRatio).toBeGreaterThan(0.8);
    // The figures the docs quote (docs/safety.md, "Fairness and model cards").
    console.log(
      JSON.stringify({
        biased: { ...b.perClass[0], groups: b.groups, rows: b.rows, test: biased.result.evaluation.accuracy },
        fair: { ...f.perClass[0], groups: f.groups, rows: f.rows, test: fair.result.evaluation.accuracy },
      }),
    );

    for (const [name, flagged] of [
      ['loans-biased', 'true'],
      ['loans-fair', 'false'],
    ] as const) {
      const v = (await call('GET', `/api/2.0/mlflow/model-versions/get?name=${name}&version=1`)).json
        .model_version;
      expect(tag(v, 'kaleido.fairness.flagged')).toBe(flagged);
      // The card stored at registration carries the reports and a Markdown "Fairness" section.
      expect(v.model_card.fairness[0].flagged).toBe(flagged === 'true');
      expect(v.model_card.markdown).toContain('## Fairness');
      expect(tag(v, 'kaleido.fairness.attributes')).toBe('group');
      expect(v.metrics_snapshot.fairness_flagged).toBe(flagged === 'true' ? 1 : 0);
      expect(v.metrics_snapshot.fairness_demographic_parity_difference).toBeCloseTo(
        (name === 'loans-biased' ? b : f).demographicParityDifference,
        12,
      );
    }
  });

  it('the fairness endpoint runs the served version: same figures as the study, and flags it on biased data', async () => {
    // The served ONNX export on the same rows gives the study's (TypeScript forward pass) figures.
    const same = await call('POST', '/v1/registry/models/loans-fair/versions/champion/fairness', {
      dataset: { id: 'loans-fair', version: 1 },
      split: 'test',
      attribute: 'group',
    });
    expect(same.json.error ?? null).toBeNull();
    expect(same.status).toBe(201);
    expect(same.json.version).toBe('1');
    const study = fair.result.fairness.reports[0];
    expect(same.json.reports[0].perClass[0].byGroup).toEqual(study.perClass[0].byGroup);
    expect(same.json.flagged).toBe(false);

    // The fair model applied where x1 is a proxy of the group: it selects group A far more often.
    const shifted = await call('POST', '/v1/registry/models/loans-fair/versions/1/fairness', {
      dataset: { id: 'loans-biased' },
      thresholds: { maxDemographicParityDifference: 0.2 },
    });
    expect(shifted.status).toBe(201);
    const r = shifted.json.reports[0];
    expect(r.attribute).toBe('group'); // the data set's declared attribute
    expect(r.thresholds).toEqual({
      maxDemographicParityDifference: 0.2,
      maxEqualizedOddsDifference: 0.1,
      minDisparateImpactRatio: 0.8,
    });
    expect(r.flagged).toBe(true);
    expect(r.violations.map((v: Json) => v.metric)).toContain('demographicParityDifference');
    console.log(JSON.stringify({ shifted: { ...r.perClass[0], rows: r.rows } }));
    const tags = Object.fromEntries((shifted.json.tags as Json[]).map((t) => [t.key, t.value]));
    expect(tags['kaleido.fairness.flagged']).toBe('true');
    // Tags summarise the latest report per (data set, split, attribute, class): the API's re-run on
    // loans-fair@1/test supersedes the study's, plus the one on loans-biased; all three are listed.
    expect(tags['kaleido.fairness.reports']).toBe('2');
    const listed = await call('GET', '/v1/registry/models/loans-fair/versions/1/fairness');
    expect(listed.json.reports).toHaveLength(3);

    // Input errors are 4xx, never a crash.
    const errors = await Promise.all([
      call('POST', '/v1/registry/models/loans-fair/versions/1/fairness', {
        dataset: { id: 'loans-fair' },
        split: 'x',
      }),
      call('POST', '/v1/registry/models/loans-fair/versions/1/fairness', {
        dataset: { id: 'loans-fair' },
        attribute: 'x9',
      }),
      call('POST', '/v1/registry/models/loans-fair/versions/1/fairness', {
        dataset: { id: 'loans-fair' },
        thresholds: { minDisparateImpactRatio: 2 },
      }),
      call('POST', '/v1/registry/models/loans-fair/versions/9/fairness', { dataset: { id: 'loans-fair' } }),
      call('POST', '/v1/registry/models/loans-fair/versions/1/fairness', '{"dataset":'),
    ]);
    expect(errors.map((e) => e.status)).toEqual([400, 400, 400, 404, 400]);
  });

  it('the card of a study version (JSON and Markdown) shows data, run lineage and the fairness flag', async () => {
    const card = await call('GET', '/v1/registry/models/loans-biased/versions/1/card');
    expect(card.status).toBe(200);
    const c = card.json;
    expect(c.schema).toBe('kaleido.model-card.assembled/v1');
    expect(c.version.aliases).toEqual(['champion']);
    expect(c.version.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(c.aliasHistory).toEqual([expect.objectContaining({ alias: 'champion', from: null, to: '1' })]);
    expect(c.data).toMatchObject({
      id: 'loans-biased',
      version: 1,
      rows: 4000,
      sensitiveAttributes: ['group'],
    });
    expect(c.run.lineage.datasetVersion).toBe('loans-biased@1');
    expect(c.run.lineage.parentStudy).toBe('loans-biased');
    expect(c.intendedUse).toMatch(/Classifying inputs like those of data set/);
    expect(c.fairness.flagged).toBe(true);
    expect(c.safety.moderationModel).toBe('unknown');
    expect(c.limitations.some((l: string) => l.startsWith('Flagged for fairness: "group"'))).toBe(true);

    const md = await call('GET', '/v1/registry/models/loans-biased/versions/champion/card', undefined, {
      accept: 'text/markdown',
    });
    expect(md.status).toBe(200);
    expect(md.type).toBe('text/markdown; charset=utf-8');
    expect(md.text).toMatch(/^# Model card: loans-biased version 1\n/);
    expect(md.text).toContain('### Attribute `group`: **FLAGGED**');
    expect(md.text).toContain('- Sensitive attributes: group.');
    const same = await call('GET', '/v1/registry/models/loans-biased/versions/1/card?format=markdown');
    expect(same.text).toBe(md.text);
    const ranked = await call('GET', '/v1/registry/models/loans-biased/versions/1/card', undefined, {
      accept: 'text/markdown;q=0.5, application/json',
    });
    expect(ranked.type).toBe('application/json; charset=utf-8');
    const browser = await call('GET', '/v1/registry/models/loans-biased/versions/1/card', undefined, {
      accept: 'text/markdown, */*;q=0.1',
    });
    expect(browser.text).toBe(md.text);
    expect((await call('GET', '/v1/registry/models/loans-biased/versions/1/card?format=pdf')).status).toBe(
      400,
    );
    expect((await call('GET', '/v1/registry/models/nope/versions/1/card')).status).toBe(404);
  });

  it('a version registered by hand over MLflow REST gets a card that says what is not recorded', async () => {
    expect(
      (await call('POST', '/api/2.0/mlflow/registered-models/create', { name: 'hand-made' })).status,
    ).toBe(200);
    const v = await call('POST', '/api/2.0/mlflow/model-versions/create', {
      name: 'hand-made',
      source: 's3://bucket/hand-made/model.onnx',
    });
    expect(v.status).toBe(200);
    const card = (await call('GET', '/v1/registry/models/hand-made/versions/1/card')).json;
    expect(card.version.sha256).toBe('not recorded');
    expect(card.version.signature).toBe('not recorded');
    expect(card.metrics).toBe('not recorded');
    expect(card.run).toEqual({ status: 'not recorded', reason: 'the version names no run' });
    expect(card.data.status).toBe('not recorded');
    expect(card.intendedUse).toBe('not recorded');
    expect(card.limitations).toBe('not recorded');
    expect(card.evaluation).toBe('not recorded');
    expect(card.fairness.status).toBe('not evaluated');
    expect(card.safety).toMatchObject({ moderationModel: 'unknown', evaluations: 'not recorded' });
    expect(card.storedCard).toBe('not recorded');

    const md = (await call('GET', '/v1/registry/models/hand-made/versions/1/card?format=markdown')).text;
    for (const line of [
      'Intended use: not recorded.',
      'Training data: not recorded (neither the version nor its run has a kaleido.dataset.version tag).',
      'Run: not recorded (the version names no run).',
      'Metrics: not recorded.',
      'Held-out evaluation report: not recorded.',
      '- Moderation model: unknown',
      'Limitations: not recorded.',
    ]) {
      expect(md).toContain(line);
    }

    // The CLI prints the same Markdown (and the JSON without --markdown).
    expect(await kaleido('registry', 'card', 'hand-made', '1', '--markdown')).toBe(md);
    expect(JSON.parse(await kaleido('registry', 'card', 'hand-made', 'latest'))).toEqual(card);

    // Fairness of a hand-registered version needs its featuriser and classes, and a served model.
    const noFeaturizer = await call('POST', '/v1/registry/models/hand-made/versions/1/fairness', {
      dataset: { id: 'loans-fair' },
    });
    expect(noFeaturizer.status).toBe(400);
    expect(noFeaturizer.json.error.message).toMatch(/featuriser .* is not recorded/);
    const notServed = await call('POST', '/v1/registry/models/hand-made/versions/1/fairness', {
      dataset: { id: 'loans-fair' },
      featurizer: { type: 'tabular' },
      classes: ['0', '1'],
    });
    expect(notServed.status).toBe(409);
    expect(notServed.json.error.code).toBe('ERR_INVALID_STATE');
  });
});
