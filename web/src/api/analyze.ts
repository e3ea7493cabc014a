/**
 * /v1 analysis API: types of POST /v1/analyze, GET /v1/pipelines and GET /v1/analyzers, as
 * described by GET /v1/openapi.json (src/server/routes/analyze-openapi.ts), and calls for them.
 */
import { requestJson } from './http';

export type Modality = 'text' | 'image' | 'audio' | 'video';
export type Action = 'allow' | 'flag' | 'redact' | 'review' | 'block';
export type StageStatus = 'ok' | 'failed' | 'skipped' | 'unavailable';

export interface Stage {
  /** The step id, or "safety" for the policy step. */
  name: string;
  analyzer: string;
  model: string;
  version: string;
  ms: number;
  status: StageStatus;
  error?: string;
  code?: string;
  timedOut?: boolean;
  optional?: boolean;
}

export interface ScoreSource {
  kind: 'model' | 'rules' | 'lexicon';
  name: string;
  version: string;
}

export interface ReasonSpan {
  start: number;
  end: number;
  label?: string;
}

export interface Reason {
  type: 'rule' | 'analyzer-failure';
  direction: 'input' | 'output';
  action: Action;
  ruleId?: string;
  category?: string;
  ruleCategory?: string;
  score?: number;
  threshold?: number;
  source?: ScoreSource;
  spans?: ReasonSpan[];
  entity?: string;
  analyzer?: string;
  error?: string;
  timedOut?: boolean;
  escalated?: boolean;
}

export interface SafetyVerdict {
  action: Action;
  policy: { id: string; version: string; contentHash?: string };
  decisions: { input?: Action; output?: Action };
  reasons: Reason[];
  scores: Array<{ category: string; score: number; source?: ScoreSource }>;
  modelVersions: ScoreSource[];
  failClosed: boolean;
  redacted: boolean;
  unchecked: string[];
}

export interface AnalysisResponse {
  modality: Modality;
  mime: string;
  pipeline: string;
  tasks: string[];
  durationMs: number;
  stages: Stage[];
  /** Per step id; shapes depend on the analyzer (see results/ for how each is shown). */
  results: Record<string, unknown>;
  skipped: Record<string, unknown>;
  safety: SafetyVerdict;
  /** The text with the policy's redactions, when something was redacted. */
  text?: string;
}

export interface PipelineStep {
  id: string;
  analyzer: string;
  after?: string[];
  optional?: boolean;
  timeoutMs?: number;
}

export interface Pipeline {
  name: string;
  modality: Modality;
  description?: string;
  default: boolean;
  complete: boolean;
  steps: PipelineStep[];
}

export interface Analyzer {
  id: string;
  modality: Modality;
  task: string;
  model: string;
  version: string;
  method?: 'neural' | 'trained' | 'lexicon' | 'rules';
  safety: boolean;
  available: boolean;
  reason?: string;
  pipelines: string[];
}

export interface AnalyzeOptions {
  pipeline?: string;
  tasks?: string[];
  signal?: AbortSignal;
}

/** POST /v1/analyze with `{text, pipeline?, tasks?}`. */
export function analyzeText(text: string, options: AnalyzeOptions = {}): Promise<AnalysisResponse> {
  return requestJson<AnalysisResponse>(
    'POST',
    '/v1/analyze',
    {
      text,
      ...(options.pipeline ? { pipeline: options.pipeline } : {}),
      ...(options.tasks && options.tasks.length > 0 ? { tasks: options.tasks } : {}),
    },
    options.signal ? { signal: options.signal } : {},
  );
}

/**
 * POST /v1/analyze with the file's bytes as the body. The server decides the modality from the
 * bytes; the browser's guess of the type is sent only when it names a specific type (an empty or
 * generic type would otherwise have to agree with the bytes).
 */
export function analyzeFile(file: Blob, options: AnalyzeOptions = {}): Promise<AnalysisResponse> {
  const specific = file.type !== '' && file.type !== 'application/octet-stream';
  const body = specific ? file : new Blob([file], { type: 'application/octet-stream' });
  return requestJson<AnalysisResponse>('POST', '/v1/analyze', body, {
    ...(options.signal ? { signal: options.signal } : {}),
    query: {
      pipeline: options.pipeline || undefined,
      tasks: options.tasks && options.tasks.length > 0 ? options.tasks.join(',') : undefined,
    },
  });
}

export const listPipelines = (signal?: AbortSignal): Promise<{ pipelines: Pipeline[] }> =>
  requestJson('GET', '/v1/pipelines', undefined, signal ? { signal } : {});

export const listAnalyzers = (
  signal?: AbortSignal,
): Promise<{ modalities: Modality[]; analyzers: Analyzer[] }> =>
  requestJson('GET', '/v1/analyzers', undefined, signal ? { signal } : {});
