// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ModelCard } from '../api/modelCard';
import { ModelCardPanel } from './ModelCard';

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const base: ModelCard = {
  schema: 'kaleido.model-card.assembled/v1',
  model: {
    name: 'reviews',
    description: 'not recorded',
    tags: [],
    aliases: [{ alias: 'champion', version: '2' }],
  },
  version: {
    version: '2',
    status: 'READY',
    statusMessage: 'not recorded',
    description: 'Best trial of the study.',
    registeredBy: 'ada',
    createdAt: '2026-11-27T10:00:00.000Z',
    updatedAt: '2026-11-27T10:00:00.000Z',
    source: 'runs:/r1/model',
    sha256: 'not recorded',
    signature: 'not recorded',
    aliases: ['champion'],
    tags: [],
  },
  aliasHistory: [],
  metrics: { valAccuracy: 0.91234 },
  run: { status: 'not recorded', reason: 'the version names no run' },
  data: {
    id: 'reviews',
    version: 3,
    sha256: 'ab',
    rows: 120,
    format: 'jsonl',
    labelField: 'label',
    fields: [],
    classBalance: { pos: 60, neg: 60 },
    split: { train: 80, validation: 20, test: 20 },
    sensitiveAttributes: ['region'],
    description: 'not recorded',
  },
  intendedUse: 'Sorting product reviews by sentiment.',
  limitations: ['English only.', 'Short texts.'],
  training: 'not recorded',
  evaluation: 'not recorded',
  fairness: {
    flagged: true,
    demographicParityDifference: 0.31,
    equalizedOddsDifference: 0.2,
    disparateImpactRatio: 0.55,
    attributes: ['region'],
    reports: [
      {
        attribute: 'region',
        rows: 20,
        missingAttribute: 0,
        classes: ['neg', 'pos'],
        groups: [
          { group: 'north', count: 12, accuracy: 0.9 },
          { group: 'south', count: 8, accuracy: 0.625 },
        ],
        demographicParityDifference: 0.31,
        equalizedOddsDifference: 0.2,
        disparateImpactRatio: 0.55,
        thresholds: {},
        violations: [
          { positiveLabel: 'pos', metric: 'disparateImpactRatio', value: 0.55, threshold: 0.8, rule: 'min' },
        ],
        flagged: true,
        warnings: [],
        dataset: { id: 'reviews', version: 3 },
        split: 'test',
        source: 'study',
        evaluatedAt: 1,
      },
    ],
  },
  safety: {
    moderationModel: 'unknown',
    basis: 'no kaleido.safety.moderation tag',
    evaluations: 'not recorded',
  },
  storedCard: ['intendedUse', 'limitations'],
};

let calls: string[];
let answer: () => Response;

beforeEach(() => {
  calls = [];
  answer = () => json(200, base);
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string) => {
      calls.push(url);
      return answer();
    }),
  );
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const section = (name: string) => screen.getByRole('region', { name });

describe('ModelCardPanel', () => {
  it('fetches the card of the version and shows its sections, "not recorded" as such', async () => {
    const closed = vi.fn();
    render(<ModelCardPanel name="reviews" version="2" id="card" onClose={closed} />);
    expect(screen.getByRole('status').textContent).toContain('Loading the model card');
    await screen.findByRole('heading', { name: 'Intended use' });
    expect(new URL(calls[0]!).pathname).toBe('/v1/registry/models/reviews/versions/2/card');
    expect(section('Intended use').textContent).toContain('Sorting product reviews by sentiment.');
    expect(
      within(section('Limitations'))
        .getAllByRole('listitem')
        .map((l) => l.textContent),
    ).toEqual(['English only.', 'Short texts.']);
    expect(within(section('Metrics')).getByRole('row', { name: /valAccuracy/ }).textContent).toContain(
      '0.9123',
    );
    const fairness = section('Slices and fairness');
    expect(fairness.textContent).toContain('flagged');
    expect(fairness.textContent).not.toContain('not flagged');
    expect(within(fairness).getByRole('row', { name: /south/ }).textContent).toContain('0.6250');
    expect(within(fairness).getByRole('table').querySelector('caption')?.textContent).toContain(
      'disparateImpactRatio 0.55 < 0.8',
    );
    expect(section('Data').textContent).toContain('Sensitive attributes: region');
    expect(section('Data').textContent).toContain('Training run: not recorded (the version names no run)');
    expect(section('Safety evaluations').textContent).toContain('Evaluations: not recorded');
    expect(section('Safety evaluations').textContent).toContain('Moderation model: unknown');
    const download = screen.getByRole('link', { name: 'Download Markdown' });
    const href = new URL(download.getAttribute('href')!);
    expect(href.pathname + href.search).toBe('/v1/registry/models/reviews/versions/2/card?format=markdown');
    expect(download.getAttribute('download')).toBe('reviews-v2-model-card.md');
    fireEvent.click(screen.getByRole('button', { name: 'Close' }));
    expect(closed).toHaveBeenCalledTimes(1);
  });

  it('shows sections that were never recorded as "not recorded" / "not evaluated"', async () => {
    answer = () =>
      json(200, {
        ...base,
        metrics: 'not recorded',
        intendedUse: 'not recorded',
        limitations: 'not recorded',
        data: { status: 'not recorded', reason: 'the run names no data set version' },
        fairness: { status: 'not evaluated', reason: 'no fairness report' },
      });
    render(<ModelCardPanel name="reviews" version="2" id="card" onClose={() => undefined} />);
    await screen.findByRole('heading', { name: 'Intended use' });
    expect(section('Intended use').textContent).toBe('Intended usenot recorded');
    expect(section('Metrics').textContent).toBe('Metricsnot recorded');
    expect(section('Limitations').textContent).toBe('Limitationsnot recorded');
    expect(section('Data').textContent).toContain('not recorded (the run names no data set version)');
    expect(section('Slices and fairness').textContent).toContain('not evaluated (no fairness report)');
  });

  it('reports a failed load with a retry', async () => {
    answer = () => json(404, { error: { code: 'ERR_NOT_FOUND', message: 'version 9 does not exist' } });
    render(<ModelCardPanel name="reviews" version="9" id="card" onClose={() => undefined} />);
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('Loading the model card failed.');
    answer = () => json(200, base);
    fireEvent.click(within(alert).getByRole('button', { name: /retry|try again/i }));
    await screen.findByRole('heading', { name: 'Intended use' });
    expect(calls).toHaveLength(2);
  });
});
