/**
 * The OpenAPI 3.1 description of the public HTTP API, served at GET /v1/openapi.json: the /v1
 * analysis routes in full, the /v2 Open Inference Protocol routes briefly (their normative
 * definition is the OIP v2 specification; api/proto has the gRPC form).
 */

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ref('Error') } },
});
const oipError = (description: string) => ({
  description,
  content: { 'application/json': { schema: ref('OipError') } },
});
const okJson = (description: string, schema: unknown) => ({
  description,
  content: { 'application/json': { schema } },
});
const modelParams = [
  { name: 'model', in: 'path', required: true, schema: { type: 'string' } },
  { name: 'version', in: 'path', required: true, schema: { type: 'string' } },
];

const span = {
  type: 'object',
  description:
    'A text span: UTF-16 code unit offsets into the normalised text (NFC, control characters removed), end exclusive.',
  required: ['start', 'end'],
  properties: {
    start: { type: 'integer', minimum: 0 },
    end: { type: 'integer', minimum: 0 },
    text: { type: 'string', description: 'The quoted span; absent when the policy withholds or redacts it.' },
    redacted: { type: 'boolean', description: 'True when the quote was withheld by the policy.' },
  },
};

export const ANALYZE_OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'Kaleido',
    version: '1',
    description:
      'Multi-modal analysis (/v1) and model serving over the Open Inference Protocol v2 (/v2). ' +
      'Errors on /v1 routes are `{"error": {code, message, details, requestId}}`; on /v2 routes ' +
      '`{"error": "<message>", "code": "ERR_…"}`. Codes are listed in docs/reference/errors.md.',
  },
  paths: {
    '/v1/analyze': {
      post: {
        summary: 'Analyse text or a file: one pipeline, one verdict',
        description: [
          'The modality is detected from the content (magic bytes), never from a file name. A',
          'Content-Type naming a specific type must agree with the bytes, else 415 with',
          '`details.detected`; it may only refine an ambiguous container (audio/webm, audio/mp4).',
          'Text must be UTF-8 (BOM optional) or UTF-16 with a BOM; any other `charset` is 415, and',
          'bytes that are not valid UTF-8 are 400 with `details.offset` (no lossy decoding).',
          'Multipart: every file part is analysed by its bytes, every other field as text; fields',
          '`tasks`, `pipeline` and `options` are options. The answer is then `{durationMs, parts: [...]}` and',
          'a bad part fails the request with `details.part`.',
          'A missing or failed analyzer is a stage with status `unavailable` / `failed`, never an',
          'empty result; a failed safety analyzer is passed to the policy (fail-closed by default).',
        ].join(' '),
        parameters: [
          {
            name: 'tasks',
            in: 'query',
            description: 'Comma-separated step ids to run (with `pipeline`: a subset of it).',
            schema: { type: 'string', examples: ['language,sentiment'] },
          },
          {
            name: 'pipeline',
            in: 'query',
            description: 'A pipeline name from GET /v1/pipelines (default: the modality’s default).',
            schema: { type: 'string', examples: ['text-moderation'] },
          },
          {
            name: 'options',
            in: 'query',
            description:
              'JSON object of per-step analyzer options, keyed by step id, validated by the analyzer ' +
              'before anything runs (400 otherwise). E.g. the `commands` step takes `{"words": [phrases]}` ' +
              'or `{"jsgf": "<JSGF grammar>"}`. Also a JSON-body field or a multipart field.',
            schema: { type: 'string', examples: ['{"commands":{"words":["lights on","lights off"]}}'] },
          },
        ],
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: ref('AnalyzeTextRequest') },
            'text/plain': { schema: { type: 'string' } },
            'image/*': { schema: { type: 'string', contentMediaType: 'image/*' } },
            'audio/*': { schema: { type: 'string', contentMediaType: 'audio/*' } },
            'video/*': { schema: { type: 'string', contentMediaType: 'video/*' } },
            'application/octet-stream': {
              schema: { type: 'string', contentMediaType: 'application/octet-stream' },
            },
            'multipart/form-data': {
              schema: {
                type: 'object',
                additionalProperties: { type: 'string' },
                properties: {
                  tasks: { type: 'string' },
                  pipeline: { type: 'string' },
                  options: { type: 'string', description: 'JSON object keyed by step id' },
                },
              },
            },
          },
        },
        responses: {
          '200': {
            description: 'The analysis (or one per part for multipart bodies).',
            content: {
              'application/json': {
                schema: { oneOf: [ref('AnalysisResponse'), ref('MultipartAnalysisResponse')] },
              },
            },
          },
          '400': errorResponse(
            'ERR_VALIDATION (empty body, invalid UTF-8, unknown task or pipeline, bad field), ERR_INVALID_JSON, ERR_BAD_REQUEST (malformed multipart).',
          ),
          '413': errorResponse('ERR_PAYLOAD_TOO_LARGE: over the body limit or the modality’s limit.'),
          '415': errorResponse(
            'ERR_UNSUPPORTED_MEDIA_TYPE: unknown content, a Content-Type that disagrees with the bytes, an unsupported charset, or a modality with no analyzers here. `details.detected` names what the bytes are.',
          ),
          '503': errorResponse(
            'ERR_UNAVAILABLE: no moderation policy applies, or the service is not initialised.',
          ),
        },
      },
    },
    '/v1/pipelines': {
      get: {
        summary: 'The pipelines (DAGs of analyzer steps) this server runs',
        responses: {
          '200': okJson('Pipelines', {
            type: 'object',
            required: ['pipelines'],
            properties: { pipelines: { type: 'array', items: ref('Pipeline') } },
          }),
        },
      },
    },
    '/v1/analyzers': {
      get: {
        summary: 'Every analyzer, its model and version, and whether it is available (and why not)',
        responses: {
          '200': okJson('Analyzers', {
            type: 'object',
            required: ['modalities', 'analyzers'],
            properties: {
              modalities: { type: 'array', items: ref('Modality') },
              analyzers: { type: 'array', items: ref('Analyzer') },
            },
          }),
        },
      },
    },
    '/v1/openapi.json': {
      get: { summary: 'This document', responses: { '200': okJson('OpenAPI 3.1', { type: 'object' }) } },
    },
    '/v2/health/live': {
      get: {
        summary: 'OIP liveness',
        responses: { '200': okJson('Live', { type: 'object' }), '503': oipError('Not live') },
      },
    },
    '/v2/health/ready': {
      get: {
        summary: 'OIP readiness (startup models loaded, not draining)',
        responses: { '200': okJson('Ready', { type: 'object' }), '503': oipError('Not ready') },
      },
    },
    '/v2': {
      get: {
        summary: 'OIP server metadata',
        responses: { '200': okJson('Server metadata', { type: 'object' }) },
      },
    },
    '/v2/models/{model}': {
      get: {
        summary: 'OIP model metadata',
        parameters: [modelParams[0]],
        responses: { '200': okJson('Model metadata', { type: 'object' }), '404': oipError('No such model') },
      },
    },
    '/v2/models/{model}/versions/{version}': {
      get: {
        summary: 'OIP model version metadata',
        parameters: modelParams,
        responses: {
          '200': okJson('Model metadata', { type: 'object' }),
          '404': oipError('No such model or version'),
        },
      },
    },
    '/v2/models/{model}/ready': {
      get: {
        summary: 'OIP model readiness',
        parameters: [modelParams[0]],
        responses: { '200': okJson('Ready', { type: 'object' }) },
      },
    },
    '/v2/models/{model}/config': {
      get: {
        summary: 'Triton model configuration',
        parameters: [modelParams[0]],
        responses: { '200': okJson('Config', { type: 'object' }) },
      },
    },
    '/v2/models/{model}/stats': {
      get: {
        summary: 'Triton statistics extension',
        parameters: [modelParams[0]],
        responses: { '200': okJson('Statistics', { type: 'object' }) },
      },
    },
    '/v2/models/{model}/infer': {
      post: {
        summary: 'OIP inference (JSON, or the binary tensor extension with Inference-Header-Content-Length)',
        parameters: [modelParams[0]],
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: ref('InferRequest') },
            'application/octet-stream': {
              schema: { type: 'string', contentMediaType: 'application/octet-stream' },
            },
          },
        },
        responses: {
          '200': okJson('Inference response', ref('InferResponse')),
          '400': oipError('Invalid request'),
          '404': oipError('No such model'),
          '429': oipError('Queue full; Retry-After'),
          '503': oipError('Model not ready or server shutting down'),
        },
      },
    },
    '/v2/models/{model}/versions/{version}/infer': {
      post: {
        summary: 'OIP inference on one version',
        parameters: modelParams,
        requestBody: { required: true, content: { 'application/json': { schema: ref('InferRequest') } } },
        responses: {
          '200': okJson('Inference response', ref('InferResponse')),
          '400': oipError('Invalid request'),
        },
      },
    },
    '/v2/repository/index': {
      post: { summary: 'Model repository index', responses: { '200': okJson('Index', { type: 'array' }) } },
    },
    '/v2/repository/models/{model}/load': {
      post: {
        summary: 'Load or reload a model',
        parameters: [modelParams[0]],
        responses: { '200': okJson('Loaded', { type: 'object' }) },
      },
    },
    '/v2/repository/models/{model}/unload': {
      post: {
        summary: 'Unload a model',
        parameters: [modelParams[0]],
        responses: { '200': okJson('Unloaded', { type: 'object' }) },
      },
    },
  },
  components: {
    schemas: {
      Modality: { type: 'string', enum: ['text', 'image', 'audio', 'video'] },
      AnalyzeTextRequest: {
        type: 'object',
        required: ['text'],
        additionalProperties: false,
        properties: {
          text: { type: 'string', minLength: 1 },
          tasks: {
            oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1 }],
          },
          pipeline: { type: 'string' },
          options: {
            type: 'object',
            description: 'Per-step analyzer options, keyed by step id (see the `options` query parameter).',
            additionalProperties: { type: 'object' },
          },
        },
      },
      Stage: {
        type: 'object',
        required: ['name', 'analyzer', 'model', 'version', 'ms', 'status'],
        properties: {
          name: { type: 'string', description: 'The step id (or "safety" for the policy step).' },
          analyzer: { type: 'string', examples: ['text/sentiment'] },
          model: { type: 'string' },
          version: { type: 'string' },
          ms: { type: 'number', minimum: 0 },
          status: { type: 'string', enum: ['ok', 'failed', 'skipped', 'unavailable'] },
          error: { type: 'string' },
          code: { type: 'string' },
          timedOut: { type: 'boolean' },
          optional: { type: 'boolean' },
        },
      },
      TextSpan: span,
      ScoreSource: {
        type: 'object',
        required: ['kind', 'name', 'version'],
        properties: {
          kind: { type: 'string', enum: ['model', 'rules', 'lexicon'] },
          name: { type: 'string' },
          version: { type: 'string' },
        },
      },
      Reason: {
        type: 'object',
        required: ['type', 'action', 'direction'],
        description:
          'A matched rule (`type: rule`: ruleId, category, score, threshold, source, spans) or an analyzer that did not deliver (`type: analyzer-failure`: analyzer, error, escalated).',
        properties: {
          type: { type: 'string', enum: ['rule', 'analyzer-failure'] },
          direction: { type: 'string', enum: ['input', 'output'] },
          action: ref('Action'),
          ruleId: { type: 'string' },
          category: { type: 'string' },
          ruleCategory: { type: 'string' },
          score: { type: 'number' },
          threshold: { type: 'number' },
          source: ref('ScoreSource'),
          spans: { type: 'array', items: { type: 'object' } },
          entity: { type: 'string' },
          analyzer: { type: 'string' },
          error: { type: 'string' },
          timedOut: { type: 'boolean' },
          escalated: { type: 'boolean' },
        },
      },
      Action: { type: 'string', enum: ['allow', 'flag', 'redact', 'review', 'block'] },
      SafetyVerdict: {
        type: 'object',
        required: [
          'action',
          'policy',
          'decisions',
          'reasons',
          'scores',
          'modelVersions',
          'failClosed',
          'redacted',
          'unchecked',
        ],
        properties: {
          action: ref('Action'),
          policy: {
            type: 'object',
            required: ['id', 'version'],
            properties: {
              id: { type: 'string' },
              version: { type: 'string' },
              contentHash: { type: 'string' },
            },
          },
          decisions: {
            type: 'object',
            properties: { input: ref('Action'), output: ref('Action') },
          },
          reasons: { type: 'array', items: ref('Reason') },
          scores: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                category: { type: 'string' },
                score: { type: 'number' },
                source: ref('ScoreSource'),
              },
            },
          },
          modelVersions: { type: 'array', items: ref('ScoreSource') },
          failClosed: { type: 'boolean' },
          redacted: { type: 'boolean' },
          unchecked: {
            type: 'array',
            items: { type: 'string' },
            description: 'Safety analyzers the pipeline did not include.',
          },
        },
      },
      AnalysisResponse: {
        type: 'object',
        required: [
          'modality',
          'mime',
          'pipeline',
          'tasks',
          'durationMs',
          'stages',
          'results',
          'skipped',
          'safety',
        ],
        properties: {
          modality: ref('Modality'),
          mime: { type: 'string' },
          pipeline: { type: 'string' },
          tasks: { type: 'array', items: { type: 'string' } },
          durationMs: { type: 'number' },
          stages: { type: 'array', items: ref('Stage') },
          results: {
            type: 'object',
            description:
              'Per step id. Text: language {language, probability, isReliable, languages}, sentiment {label, score}, entities [TextSpan & {type, sources, pii}], pii [TextSpan & {entity, score, recognizer}], profanity {profane, matches, censored?}, spam {label, probability, model, modelVersion}, injection {score, signals}, moderation {categories}. Images: pixel boxes; audio/video: time ranges in seconds.',
            additionalProperties: true,
          },
          skipped: { type: 'object', additionalProperties: true },
          safety: ref('SafetyVerdict'),
          text: {
            type: 'string',
            description: 'The text with the policy’s redactions, when something was redacted.',
          },
        },
      },
      MultipartAnalysisResponse: {
        type: 'object',
        required: ['durationMs', 'parts'],
        properties: {
          durationMs: { type: 'number' },
          parts: {
            type: 'array',
            items: {
              allOf: [
                ref('AnalysisResponse'),
                {
                  type: 'object',
                  required: ['part'],
                  properties: { part: { type: 'string' }, filename: { type: 'string' } },
                },
              ],
            },
          },
        },
      },
      Pipeline: {
        type: 'object',
        required: ['name', 'modality', 'default', 'steps', 'complete'],
        properties: {
          name: { type: 'string' },
          modality: ref('Modality'),
          description: { type: 'string' },
          default: { type: 'boolean' },
          complete: { type: 'boolean', description: 'False when a step’s analyzer is unavailable.' },
          steps: {
            type: 'array',
            items: {
              type: 'object',
              required: ['id', 'analyzer'],
              properties: {
                id: { type: 'string' },
                analyzer: { type: 'string' },
                after: { type: 'array', items: { type: 'string' } },
                optional: { type: 'boolean' },
                timeoutMs: { type: 'number' },
              },
            },
          },
        },
      },
      Analyzer: {
        type: 'object',
        required: ['id', 'modality', 'task', 'model', 'version', 'safety', 'available', 'pipelines'],
        properties: {
          id: { type: 'string' },
          modality: ref('Modality'),
          task: { type: 'string' },
          model: { type: 'string' },
          version: { type: 'string' },
          method: { type: 'string', enum: ['neural', 'trained', 'lexicon', 'rules'] },
          safety: { type: 'boolean' },
          available: { type: 'boolean' },
          reason: { type: 'string' },
          pipelines: { type: 'array', items: { type: 'string' } },
        },
      },
      Error: {
        type: 'object',
        required: ['error'],
        properties: {
          error: {
            type: 'object',
            required: ['code', 'message', 'requestId'],
            properties: {
              code: { type: 'string', pattern: '^ERR_[A-Z_]+$' },
              message: { type: 'string' },
              details: { type: 'object', additionalProperties: true },
              requestId: { type: 'string' },
            },
          },
        },
      },
      OipError: {
        type: 'object',
        required: ['error'],
        properties: { error: { type: 'string' }, code: { type: 'string' } },
      },
      InferTensor: {
        type: 'object',
        required: ['name', 'datatype', 'shape'],
        properties: {
          name: { type: 'string' },
          datatype: { type: 'string', examples: ['FP32', 'INT64', 'BYTES'] },
          shape: { type: 'array', items: { type: 'integer' } },
          parameters: { type: 'object' },
          data: { type: 'array' },
        },
      },
      InferRequest: {
        type: 'object',
        required: ['inputs'],
        properties: {
          id: { type: 'string' },
          parameters: { type: 'object' },
          inputs: { type: 'array', items: ref('InferTensor') },
          outputs: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
        },
      },
      InferResponse: {
        type: 'object',
        required: ['model_name', 'outputs'],
        properties: {
          model_name: { type: 'string' },
          model_version: { type: 'string' },
          id: { type: 'string' },
          outputs: { type: 'array', items: ref('InferTensor') },
        },
      },
    },
  },
} as const;
