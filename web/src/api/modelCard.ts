/**
 * GET /v1/registry/models/{name}/versions/{version}/card (src/server/routes/model-cards.ts): the
 * model card assembled from the registry (src/lifecycle/model-card.ts, schema
 * kaleido.model-card.assembled/v1). A missing fact is the string "not recorded" (or "unknown").
 */
import { buildUrl, requestJson } from './http';

export const NOT_RECORDED = 'not recorded';
type NotRecorded = typeof NOT_RECORDED;
type Tag = { key: string; value: string };

export interface CardFairnessReport {
  attribute: string;
  rows: number;
  missingAttribute: number;
  classes: string[];
  groups: Array<{ group: string; count: number; accuracy: number }>;
  demographicParityDifference: number | null;
  equalizedOddsDifference: number | null;
  disparateImpactRatio: number | null;
  thresholds: Record<string, number>;
  violations: Array<{
    positiveLabel: string;
    metric: string;
    value: number | null;
    threshold: number;
    rule: 'max' | 'min';
  }>;
  flagged: boolean;
  warnings: string[];
  dataset: { id: string; version: number } | null;
  split: string;
  source: string;
  evaluatedAt: number;
}

export interface ModelCard {
  schema: string;
  model: {
    name: string;
    description: string;
    tags: Tag[];
    aliases: Array<{ alias: string; version: string }>;
  };
  version: {
    version: string;
    status: string;
    statusMessage: string;
    description: string;
    registeredBy: string;
    createdAt: string;
    updatedAt: string;
    source: string;
    sha256: string;
    signature: unknown;
    aliases: string[];
    tags: Tag[];
  };
  aliasHistory: Array<{ alias: string; from: string | null; to: string | null; actor: string; at: string }>;
  metrics: Record<string, number> | NotRecorded;
  run:
    | {
        runId: string;
        name: string;
        experimentId: string;
        experiment: string;
        status: string;
        startTime: string;
        endTime: string;
        params: Record<string, string>;
        metrics: Record<string, number>;
        lineage: { datasetVersion: string; codeVersion: string; parentStudy: string; parentRunId: string };
      }
    | { status: NotRecorded; reason: string };
  data:
    | {
        id: string;
        version: number;
        sha256: string;
        rows: number;
        format: string;
        labelField: string;
        fields: Array<{ name: string; type: string; role: string }>;
        classBalance: Record<string, number>;
        split: Record<string, number>;
        sensitiveAttributes: string[];
        description: string;
      }
    | { status: NotRecorded; reason: string; reference?: string };
  intendedUse: string;
  limitations: string[] | NotRecorded;
  training: Record<string, unknown> | NotRecorded;
  evaluation: Record<string, unknown> | NotRecorded;
  fairness:
    | {
        flagged: boolean;
        demographicParityDifference: number | null;
        equalizedOddsDifference: number | null;
        disparateImpactRatio: number | null;
        attributes: string[];
        reports: CardFairnessReport[];
      }
    | { status: 'not evaluated'; reason: string };
  safety: {
    moderationModel: boolean | 'unknown';
    basis: string;
    evaluations: Array<Record<string, unknown>> | NotRecorded;
  };
  storedCard: string[] | NotRecorded;
}

const cardPath = (name: string, version: string) =>
  `/v1/registry/models/${encodeURIComponent(name)}/versions/${encodeURIComponent(version)}/card`;

export const getModelCard = (name: string, version: string, o: { signal?: AbortSignal } = {}) =>
  requestJson<ModelCard>('GET', cardPath(name, version), undefined, o.signal ? { signal: o.signal } : {});

/** The same card as Markdown (a same-origin link: the session cookie goes with it). */
export const modelCardMarkdownUrl = (name: string, version: string): string =>
  buildUrl(cardPath(name, version), { format: 'markdown' });
