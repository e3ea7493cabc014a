// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StudyView, TrialView } from '../api/lifecycle';
import { AuthContext, authValue } from '../auth/AuthContext';
import { parseSession } from '../auth/permissions';
import { usePoll } from '../components/usePoll';
import { DataSets } from './DataSets';
import { Studies } from './Studies';
import { ObjectiveChart } from './StudyCharts';

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

const trial = (number: number, state: TrialView['state'], value: number | null): TrialView => ({
  number,
  state,
  value,
  params: { model: 'mlp', lr: 0.01 * (number + 1) },
  intermediateValues: value === null ? [] : [[0, value]],
  jobId: null,
  runId: null,
  failReason: null,
});

const study = (state: StudyView['state'], trials: TrialView[]): StudyView => ({
  id: 's-1',
  name: 'reviews',
  state,
  spec: {
    name: 'reviews',
    direction: 'maximize',
    metric: 'valAccuracy',
    sampler: { type: 'tpe', seed: 7 },
    pruner: { type: 'median' },
    nTrials: 4,
    concurrency: 2,
    searchSpace: {},
    dataset: { id: 'reviews', version: 1 },
    featurizer: { type: 'hashed-bow', dimensions: 256 },
    training: {},
    modelName: 'reviews',
    alias: 'champion',
  },
  stopped: false,
  counts: {
    running: trials.filter((t) => t.state === 'RUNNING').length,
    complete: trials.filter((t) => t.state === 'COMPLETE').length,
    pruned: trials.filter((t) => t.state === 'PRUNED').length,
    fail: 0,
  },
  bestTrial: trials.find((t) => t.state === 'COMPLETE') ?? null,
  importance: null,
  runId: null,
  result: null,
  error: null,
  createdAt: 1,
  updatedAt: 1,
  finishedAt: null,
  trials,
});

const analyst = authValue(
  parseSession({
    principal: { kind: 'user', subject: 'u', tenantId: 'acme', role: 'analyst', scopes: [] },
    permissions: ['dataset:read', 'study:read', 'model:read'],
  }),
);

let fetchMock: ReturnType<typeof vi.fn>;
beforeEach(() => {
  fetchMock = vi.fn();
  vi.stubGlobal('fetch', fetchMock);
  window.history.replaceState(null, '', '/studies');
});
afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

function Poller({ load, onData }: { load: () => Promise<number>; onData: (n: number) => void }) {
  const poll = usePoll(
    () => load(),
    (n) => n < 3,
    5,
    [],
  );
  if (poll.data !== undefined) onData(poll.data);
  return <p>{poll.live ? 'live' : 'idle'}</p>;
}

describe('usePoll', () => {
  it('polls while active, stops when finished, pauses while the tab is hidden', async () => {
    let n = 0;
    const load = vi.fn(async () => ++n);
    render(<Poller load={load} onData={() => undefined} />);
    await waitFor(() => expect(load).toHaveBeenCalledTimes(3));
    await screen.findByText('idle');
    await new Promise((r) => setTimeout(r, 50));
    expect(load).toHaveBeenCalledTimes(3);
    cleanup();

    // Hidden from the start: one load, then nothing until the tab is visible again.
    let m = 0;
    const slow = vi.fn(async () => (++m > 100 ? 3 : 0));
    const visibility = vi.spyOn(document, 'visibilityState', 'get').mockReturnValue('hidden');
    render(<Poller load={slow} onData={() => undefined} />);
    await waitFor(() => expect(slow).toHaveBeenCalledTimes(1));
    await new Promise((r) => setTimeout(r, 50));
    expect(slow).toHaveBeenCalledTimes(1);
    visibility.mockReturnValue('visible');
    document.dispatchEvent(new Event('visibilitychange'));
    await waitFor(() => expect(slow.mock.calls.length).toBeGreaterThan(2));
    visibility.mockRestore();
  });
});

describe('role-aware study pages', () => {
  it('shows an analyst the list with New study disabled and says why', async () => {
    fetchMock.mockImplementation(async () =>
      json(200, { studies: [study('completed', [trial(0, 'COMPLETE', 0.8)])] }),
    );
    render(
      <AuthContext.Provider value={analyst}>
        <Studies rest={[]} />
      </AuthContext.Provider>,
    );
    await screen.findByRole('link', { name: 'reviews' });
    const button = screen.getByRole('button', { name: 'New study' });
    expect((button as HTMLButtonElement).disabled).toBe(true);
    const note = document.getElementById(button.getAttribute('aria-describedby') ?? '');
    expect(note?.textContent).toBe(
      'Your role (analyst) may not create studies. Ask an administrator of tenant acme.',
    );
  });

  it('offers the upload form only to roles that may create data sets, and checks it before sending', async () => {
    fetchMock.mockImplementation(async () => json(200, { datasets: [] }));
    render(
      <AuthContext.Provider value={analyst}>
        <DataSets rest={[]} />
      </AuthContext.Provider>,
    );
    await screen.findByText(/may not create data sets/);
    expect(screen.queryByLabelText('Data file')).toBeNull();
    cleanup();

    render(<DataSets rest={[]} />);
    await screen.findByRole('heading', { name: 'No data sets yet' });
    fireEvent.change(screen.getByLabelText('Test fraction'), { target: { value: '0.95' } });
    fireEvent.click(screen.getByRole('button', { name: 'Upload' }));
    const summary = await screen.findByRole('alert');
    expect(summary.textContent).toContain('File: Choose a JSONL, CSV, TSV or zip file.');
    expect(summary.textContent).toContain('Name: Give the data set a name.');
    expect(summary.textContent).toContain('Test fraction: Validation and test together must leave rows');
    expect(screen.getByLabelText('Test fraction').getAttribute('aria-invalid')).toBe('true');
    // Nothing was sent: only the list was loaded.
    expect(fetchMock.mock.calls.every(([url]) => String(url).endsWith('/v1/datasets'))).toBe(true);
  });
});

describe('study charts', () => {
  it('draws the objective per trial with a best-so-far line and a text alternative', () => {
    const trials = [
      trial(0, 'COMPLETE', 0.7),
      trial(1, 'PRUNED', 0.5),
      trial(2, 'COMPLETE', 0.8),
      trial(3, 'RUNNING', null),
    ];
    render(<ObjectiveChart study={study('running', trials)} trials={trials} />);
    const img = screen.getByRole('img', { name: 'validation accuracy by trial' });
    expect(img.querySelector('desc')?.textContent).toMatch(/^3 trials plotted .* ends at 0\.8000\./);
    expect(img.querySelectorAll('circle.chart-mark')).toHaveLength(2);
    expect(img.querySelectorAll('path.chart-mark.cross')).toHaveLength(1);
    expect(img.querySelectorAll('path.chart-line')).not.toHaveLength(0);
    expect(screen.getByText('best so far')).toBeTruthy();
  });
});
