import { describe, expect, it } from 'vitest';
import type { Run } from '../api/mlflow';
import { compareRows, lastMetrics, toggleSelection } from './runs';

const run = (id: string, params: Record<string, string>, metrics: Array<[string, number, number]>): Run => ({
  info: {
    run_id: id,
    run_name: `run-${id}`,
    experiment_id: '1',
    user_id: 'u',
    status: 'FINISHED',
    start_time: 1,
    artifact_uri: '',
    lifecycle_stage: 'active',
  },
  data: {
    params: Object.entries(params).map(([key, value]) => ({ key, value })),
    metrics: metrics.map(([key, value, step]) => ({ key, value, step, timestamp: step })),
    tags: [],
  },
});

describe('run comparison', () => {
  const a = run('a', { lr: '0.1', model: 'mlp' }, [
    ['acc', 0.9, 2],
    ['acc', 0.5, 1],
  ]);
  const b = run('b', { lr: '0.01', model: 'mlp' }, [['acc', 0.7, 3]]);

  it('takes each metric at its last step', () => {
    expect(lastMetrics(a).get('acc')).toBe(0.9);
  });

  it('lines up params and metrics, marking what differs and the highest value', () => {
    const { params, metrics } = compareRows([a, b]);
    expect(params).toEqual([
      { key: 'lr', values: ['0.1', '0.01'], differs: true },
      { key: 'model', values: ['mlp', 'mlp'], differs: false },
    ]);
    expect(metrics).toEqual([{ key: 'acc', values: [0.9, 0.7], differs: true, best: 0 }]);
  });

  it('keeps at most four runs selected', () => {
    let s: string[] = [];
    for (const id of ['1', '2', '3', '4', '5']) s = toggleSelection(s, id);
    expect(s).toEqual(['2', '3', '4', '5']);
    expect(toggleSelection(s, '3')).toEqual(['2', '4', '5']);
  });
});
