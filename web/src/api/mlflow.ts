/**
 * The MLflow-shaped tracking and registry API under /api/2.0/mlflow (src/server/routes/mlflow.ts):
 * experiments, runs, registered models, model versions and aliases. snake_case as on the wire.
 */
import { requestJson } from './http';

const P = '/api/2.0/mlflow';

export interface Tag {
  key: string;
  value: string;
}

export interface Experiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  last_update_time: number;
  creation_time: number;
  tags: Tag[];
}

export interface Metric {
  key: string;
  value: number;
  timestamp: number;
  step: number;
}

export interface RunInfo {
  run_id: string;
  run_name: string;
  experiment_id: string;
  user_id: string;
  status: string;
  start_time: number;
  end_time?: number;
  artifact_uri: string;
  lifecycle_stage: string;
}

export interface Run {
  info: RunInfo;
  data: { metrics: Metric[]; params: Tag[]; tags: Tag[] };
}

export interface RegisteredModel {
  name: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  description: string;
  tags: Tag[];
  aliases: Array<{ alias: string; version: string }>;
}

export interface ModelVersion {
  name: string;
  version: string;
  creation_timestamp: number;
  last_updated_timestamp: number;
  user_id: string;
  description: string;
  source: string;
  run_id?: string;
  status: string;
  status_message: string;
  tags: Tag[];
  aliases: string[];
  /** Kaleido extensions. */
  signature?: unknown;
  metrics_snapshot?: Record<string, number> | unknown;
  sha256?: string;
  model_card?: unknown;
}

export interface AliasMove {
  id: string;
  name: string;
  alias: string;
  from_version?: string;
  to_version?: string;
  actor: string;
  timestamp: number;
}

type Opt = { signal?: AbortSignal };
const sig = (o: Opt) => (o.signal ? { signal: o.signal } : {});

export const searchExperiments = (o: Opt = {}) =>
  requestJson<{ experiments?: Experiment[] }>('GET', `${P}/experiments/search`, undefined, {
    ...sig(o),
    query: { max_results: 200 },
  });

export const searchRuns = (experimentIds: readonly string[], o: Opt = {}) =>
  requestJson<{ runs?: Run[] }>(
    'POST',
    `${P}/runs/search`,
    { experiment_ids: experimentIds, max_results: 200, order_by: ['attributes.start_time DESC'] },
    sig(o),
  );

export const searchRegisteredModels = (o: Opt = {}) =>
  requestJson<{ registered_models?: RegisteredModel[] }>('GET', `${P}/registered-models/search`, undefined, {
    ...sig(o),
    query: { max_results: 200 },
  });

export const searchModelVersions = (name: string, o: Opt = {}) =>
  requestJson<{ model_versions?: ModelVersion[] }>('GET', `${P}/model-versions/search`, undefined, {
    ...sig(o),
    query: { filter: `name='${name.replace(/'/g, "\\'")}'`, max_results: 200 },
  });

export const setAlias = (name: string, alias: string, version: string) =>
  requestJson<Record<string, never>>('POST', `${P}/registered-models/alias`, { name, alias, version });

export const deleteAlias = (name: string, alias: string) =>
  requestJson<Record<string, never>>('DELETE', `${P}/registered-models/alias`, { name, alias });

export const aliasHistory = (name: string, o: Opt = {}) =>
  requestJson<{ alias_history?: AliasMove[] }>('GET', `${P}/registered-models/alias/history`, undefined, {
    ...sig(o),
    query: { name, max_results: 50 },
  });
