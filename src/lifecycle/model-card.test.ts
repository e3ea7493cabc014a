import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqliteLifecycleStores } from '../adapters/store-sqlite/index.js';
import type { LifecycleStores } from '../core/ports/lifecycle-store.js';
import { ArtifactDatasetStore } from './datasets/store.js';
import { MemoryArtifactStore } from './datasets/testkit.js';
import { evaluateFairness, FairnessService } from './fairness.js';
import { assembleModelCard, NOT_RECORDED, renderModelCardMarkdown } from './model-card.js';
import { RegistryService } from './registry.js';
import { TrackingService } from './tracking.js';

const T0 = Date.UTC(2026, 10, 27, 9, 0, 0);

let stores: LifecycleStores;
beforeEach(async () => {
  stores = createSqliteLifecycleStores({ path: ':memory:' });
  await stores.migrate();
});
afterEach(async () => {
  await stores.close();
});

const encoder = new TextEncoder();

/** A known version: run with lineage, a data set with a sensitive attribute, a stored card with a fairness report. */
async function knownVersion() {
  let clock = T0;
  const now = (): number => clock;
  const tracking = new TrackingService(stores.tracking, { now, newRunId: () => 'ab'.repeat(16) });
  const registry = new RegistryService(stores.registry, { now, tracking: stores.tracking });
  const artifacts = new MemoryArtifactStore();
  const datasets = new ArtifactDatasetStore({ artifacts, now });
  await datasets.register({
    name: 'loans',
    source: {
      format: 'jsonl',
      content: encoder.encode(
        [
          '{"x":1,"sex":"f","label":"1"}',
          '{"x":2,"sex":"m","label":"0"}',
          '{"x":3,"sex":"f","label":"0"}',
          '{"x":4,"label":"1"}',
        ].join('\n'),
      ),
    },
    sensitiveAttributes: ['sex'],
    split: { seed: 1, validationFraction: 0, testFraction: 0.25 },
    description: 'four loan decisions',
  });
  const experiment = await tracking.createExperiment({ name: 'kaleido-study-loans' });
  const run = await tracking.createRun({
    experimentId: experiment.experimentId,
    runName: 'loans-trial-3',
    userId: 'study-runner',
    lineage: { datasetVersion: 'loans@1', codeVersion: 'git:0123abc', parentStudy: 'loans' },
  });
  await tracking.logBatch(run.info.runId, {
    params: [
      { key: 'lr', value: '0.05' },
      { key: 'kind', value: 'logistic' },
    ],
    metrics: [{ key: 'val_accuracy', value: 0.875, step: 2, timestamp: T0 }],
  });
  clock += 60_000;
  await tracking.updateRun(run.info.runId, { status: 'FINISHED' });
  await registry.createRegisteredModel({ name: 'loans', description: 'Loan approval classifier.' });
  const fairness = evaluateFairness({
    attribute: 'sex',
    classes: ['0', '1'],
    yTrue: ['1', '1', '0', '0', '0', '1', '1', '1', '0'],
    yPred: ['1', '0', '1', '0', '0', '1', '1', '1', '1'],
    groups: ['f', 'f', 'f', 'f', 'f', 'm', 'm', 'm', 'm'],
  });
  await registry.createModelVersion({
    name: 'loans',
    source: 'artifacts:models/loans/1/model.onnx'.replace('artifacts:', 'file:'),
    runId: run.info.runId,
    description: 'Best trial 3 of study loans.',
    userId: 'study-runner',
    signature: {
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 1] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 2] }],
    },
    metrics: { test_accuracy: 0.75, fairness_flagged: 1 },
    sha256: 'c'.repeat(64),
    modelCard: {
      schema: 'kaleido.model-card/v1',
      intendedUse: 'Ranking loan applications for human review; never the sole decision.',
      limitations: ['Four rows of training data.', 'Flagged for fairness across "sex".'],
      kind: 'logistic',
      classes: ['0', '1'],
      featurizer: { type: 'tabular' },
      evaluation: {
        split: 'test',
        rows: 1,
        accuracy: 0.75,
        macroF1: 0.7,
        rocAuc: null,
        logLoss: 0.5,
        ece: 0.1,
      },
      fairness: [
        {
          ...fairness,
          dataset: { id: 'loans', version: 1 },
          split: 'test',
          source: 'study',
          evaluatedAt: T0,
        },
      ],
      safety: {
        moderation: false,
        evaluations: [{ name: 'toxicity-recall', value: 0.91, set: 'internal-v2' }],
      },
    },
    tags: [
      { key: 'kaleido.dataset.version', value: 'loans@1' },
      { key: 'kaleido.fairness.flagged', value: 'true' },
    ],
  });
  clock += 60_000;
  await registry.setAlias('loans', 'champion', '1', 'alice');
  clock += 60_000;
  await registry.createModelVersion({ name: 'loans', source: 'file:models/loans/2/model.onnx' });
  await registry.setAlias('loans', 'champion', '2', 'bob');
  const fairnessService = new FairnessService({ registry, datasets, artifacts });
  return { registry, tracking, datasets, fairness: fairnessService };
}

const GOLDEN = `# Model card: loans version 1

Best trial 3 of study loans.

## Model and version

- Registered model: loans; description: Loan approval classifier.
- Status: READY; registered by study-runner on 2026-11-27T09:01:00.000Z; last updated 2026-11-27T09:01:00.000Z.
- Source: \`file:models/loans/1/model.onnx\`; sha256: \`cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\`.
- Aliases now: none. All aliases of the model: champion → 2.
- Signature: inputs \`features\` FP32 [-1, 1]; outputs \`probabilities\` FP32 [-1, 2].

Version tags:

- \`kaleido.dataset.version\` = loans@1
- \`kaleido.fairness.flagged\` = true

Alias history of this version:

- 2026-11-27T09:02:00.000Z: \`champion\` (unset) → 1 by alice
- 2026-11-27T09:03:00.000Z: \`champion\` 1 → 2 by bob

## Intended use

Ranking loan applications for human review; never the sole decision.

## Data

- Data set \`loans\` version 1 (jsonl, sha256 \`c70464b1cb60c7a6…\`), 4 rows; split train 3, validation 0, test 1.
- Label field \`label\`; class balance: 0 2, 1 2.
- Fields: x (number, feature), sex (string, other), label (string, label).
- Sensitive attributes: sex.
- Description: four loan decisions.

## Training run

- Run \`abababababababababababababababab\` (loans-trial-3) in experiment kaleido-study-loans (id 1), FINISHED, started 2026-11-27T09:00:00.000Z, ended 2026-11-27T09:01:00.000Z.
- Lineage: data set loans@1; code version git:0123abc; parent study loans; parent run not recorded.
- Params: kind = logistic; lr = 0.05.
- Metrics (latest): val_accuracy 0.8750.

## Metrics snapshot

| metric | value |
| --- | --- |
| fairness_flagged | 1 |
| test_accuracy | 0.7500 |

## Evaluation

On the test split (1 rows): accuracy 0.7500, macro F1 0.7000, ROC-AUC undefined, log loss 0.5000, ECE 0.1000.

## Fairness

Summary over 1 report(s): **FLAGGED**; worst demographic parity difference 0.6000, equalized-odds difference 0.6667, disparate-impact ratio 0.4000; attributes sex.

Definitions (fairlearn): selection rate = P(predicted positive | group); demographic parity difference = max − min selection rate; disparate-impact ratio = min / max selection rate; equalized-odds difference = the larger of the max − min spreads of the true and false positive rates. Base rate = P(actual positive | group).

### Attribute \`sex\`: **FLAGGED**

Data set \`loans@1\`, test split, 9 rows; evaluated by the study on 2026-11-27T09:00:00.000Z; positive (selected) class "1".

| metric | value | threshold | result |
| --- | --- | --- | --- |
| demographic parity difference | 0.6000 | ≤ 0.10 | violated |
| equalized-odds difference | 0.6667 | ≤ 0.10 | violated |
| disparate-impact ratio | 0.4000 | ≥ 0.80 | violated |

| group | rows | accuracy | base rate | selection rate | TPR | FPR |
| --- | --- | --- | --- | --- | --- | --- |
| f | 5 | 0.6000 | 0.4000 | 0.4000 | 0.5000 | 0.3333 |
| m | 4 | 0.7500 | 0.7500 | 1.0000 | 1.0000 | 1.0000 |

- group "f" has only 5 rows (< 30): its rates are noisy
- group "m" has only 4 rows (< 30): its rates are noisy

## Safety evaluations

- Moderation model: no (basis: the stored model card (safety.moderation)).
- {"name":"toxicity-recall","value":0.91,"set":"internal-v2"}

## Limitations

- Four rows of training data.
- Flagged for fairness across "sex".

---

Assembled from the registry (stored card sections: classes, evaluation, fairness, featurizer, intendedUse, kind, limitations, safety, schema).
`;

describe('assembleModelCard', () => {
  it('assembles a known version and renders the golden Markdown', async () => {
    const deps = await knownVersion();
    const card = await assembleModelCard(deps, 'loans', '1');
    expect(card.version.aliases).toEqual([]);
    expect(card.model.aliases).toEqual([{ alias: 'champion', version: '2' }]);
    expect(card.aliasHistory.map((m) => [m.from, m.to, m.actor])).toEqual([
      [null, '1', 'alice'],
      ['1', '2', 'bob'],
    ]);
    expect(card.data).toMatchObject({ id: 'loans', version: 1, rows: 4, sensitiveAttributes: ['sex'] });
    expect(card.training).toMatchObject({ kind: 'logistic', featurizer: { type: 'tabular' } });
    expect(card.safety.moderationModel).toBe(false);
    expect('flagged' in card.fairness && card.fairness.flagged).toBe(true);
    expect(renderModelCardMarkdown(card)).toBe(GOLDEN);
    // Same state → same card (no generation time inside).
    expect(await assembleModelCard(deps, 'loans', '1')).toEqual(card);
  });

  it('says "not recorded" for a bare hand-registered version, and resolves aliases', async () => {
    const deps = await knownVersion();
    const card = await assembleModelCard(deps, 'loans', 'champion');
    expect(card.version.version).toBe('2');
    expect(card).toMatchObject({
      metrics: NOT_RECORDED,
      intendedUse: NOT_RECORDED,
      limitations: NOT_RECORDED,
      training: NOT_RECORDED,
      evaluation: NOT_RECORDED,
      storedCard: NOT_RECORDED,
      run: { status: NOT_RECORDED, reason: 'the version names no run' },
      data: { status: NOT_RECORDED },
      fairness: { status: 'not evaluated' },
      safety: { moderationModel: 'unknown', evaluations: NOT_RECORDED },
      version: { sha256: NOT_RECORDED, signature: NOT_RECORDED, registeredBy: NOT_RECORDED },
    });
    const md = renderModelCardMarkdown(card);
    expect(md).toContain('Intended use: not recorded.');
    expect(md).toContain('Run: not recorded (the version names no run).');
    expect(md).toContain('- Signature: not recorded.');
    // A moderation model by name (the pipeline serves it), a deleted run, a data set of another server.
    const moderation = await assembleModelCard({ ...deps, moderationModels: ['loans'] }, 'loans', '2');
    expect(moderation.safety).toMatchObject({ moderationModel: true });
    await deps.tracking.deleteRun('ab'.repeat(16));
    const v1 = await assembleModelCard({ registry: deps.registry, tracking: deps.tracking }, 'loans', '1');
    expect(v1.data).toEqual({
      status: NOT_RECORDED,
      reason: 'no data set store on this server',
      reference: 'loans@1',
    });
    await expect(assembleModelCard(deps, 'loans', '7')).rejects.toThrow(/version/);
    await expect(assembleModelCard(deps, 'nope', '1')).rejects.toThrow(/does not exist/);
  });
});
