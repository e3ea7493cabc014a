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

// POST /v1/classify/{model}[/versions/{version}] (server/routes/classify.ts).
const classifyBody = {
  required: true,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['text'],
        additionalProperties: false,
        properties: { text: { type: 'string', minLength: 1 } },
      },
    },
    'text/plain': { schema: { type: 'string' } },
    'image/*': { schema: { type: 'string', contentMediaType: 'image/*' } },
    'audio/*': { schema: { type: 'string', contentMediaType: 'audio/*' } },
    'video/*': { schema: { type: 'string', contentMediaType: 'video/*' } },
    'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } },
  },
};
const classifyResponses = {
  '200': okJson('The head’s classes, highest first', ref('ClassifyResponse')),
  '400': errorResponse(
    'ERR_VALIDATION (empty body or text, bad reference, unknown field or query parameter), ERR_INVALID_JSON, ERR_MEDIA_CORRUPT.',
  ),
  '404': errorResponse(
    'ERR_MODEL_NOT_FOUND / ERR_VERSION_NOT_FOUND: no such registered model, version or alias in your registry.',
  ),
  '409': errorResponse(
    'ERR_NOT_CLASSIFIABLE: the version records no featuriser for content (hand-registered, tabular), or was trained on features of another encoder than this server runs.',
  ),
  '413': errorResponse('ERR_PAYLOAD_TOO_LARGE'),
  '415': errorResponse(
    'ERR_UNSUPPORTED_MEDIA_TYPE: unknown content, a Content-Type that disagrees with the bytes, or content of another modality than the head’s featuriser reads (`details.modality`, `details.expected`).',
  ),
  '503': errorResponse(
    'ERR_UNAVAILABLE: the featuriser (image encoder, audio decoder) is not available here; ERR_MODEL_NOT_READY.',
  ),
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
          {
            name: 'classifiers',
            in: 'query',
            description:
              'Comma-separated registered classifier heads of the caller (`name@alias`, `name/versions/N`, ' +
              '`name`), run on the same content next to the analyzers: `results.classifiers[<ref>]` is ' +
              '`{model, version, label, score, labels, featurizer}` (as POST /v1/classify answers). Heads ' +
              'whose featuriser reads another modality are listed in `skipped["classifiers/<ref>"]`. ' +
              'Resolved before anything runs: 404 for an unknown model or alias, 409 ' +
              'ERR_NOT_CLASSIFIABLE for a version without a featuriser. Also a JSON-body or multipart field.',
            schema: { type: 'string', examples: ['support-tickets@champion,photo-kind@champion'] },
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
                  classifiers: { type: 'string', description: 'Comma-separated name@alias' },
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
    '/v1/classify/{model}': {
      post: {
        summary: 'Classify raw content with your registered classifier head',
        description: [
          '`{model}` is `name@alias`, `name` (the latest READY version) or your served name',
          '(`<tenant>__<name>`). The version’s recorded featuriser (model card `featurizer` and',
          '`serving`, written when a study registered it) is rebuilt here: the content is detected',
          'from its magic bytes as on /v1/analyze, featurised by the same code training used',
          '(hashed words for text, MobileNetV2 embeddings for images, log-mel-stats for audio) and',
          'run through the head by the inference service (same batching as OIP). Send the raw file',
          '(image/*, audio/*, video/*, text/plain, application/octet-stream) or JSON `{"text": ...}`.',
        ].join(' '),
        parameters: [
          {
            name: 'model',
            in: 'path',
            required: true,
            schema: { type: 'string', examples: ['tickets@champion'] },
          },
        ],
        requestBody: classifyBody,
        responses: classifyResponses,
      },
    },
    '/v1/classify/{model}/versions/{version}': {
      post: {
        summary: 'Classify raw content with one version (a number or an alias) of your head',
        parameters: modelParams,
        requestBody: classifyBody,
        responses: classifyResponses,
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
          classifiers: {
            oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1 }],
            description: 'Registered classifier heads (see the `classifiers` query parameter).',
          },
        },
      },
      ClassifyResponse: {
        type: 'object',
        required: [
          'model',
          'version',
          'label',
          'score',
          'labels',
          'featurizer',
          'modality',
          'mime',
          'durationMs',
          'stages',
        ],
        properties: {
          model: { type: 'string', description: 'The registered model (the caller’s own name).' },
          version: { type: 'string', description: 'The registry version the reference resolved to.' },
          label: { type: 'string', description: 'The top class.' },
          score: { type: 'number' },
          labels: {
            type: 'array',
            description: 'Every class of the head with its probability, highest first.',
            items: {
              type: 'object',
              required: ['label', 'score'],
              properties: { label: { type: 'string' }, score: { type: 'number', minimum: 0, maximum: 1 } },
            },
          },
          featurizer: {
            type: 'object',
            required: ['type', 'id', 'modality'],
            properties: {
              type: { type: 'string', examples: ['hashed-bow', 'image-embedding', 'audio-features'] },
              id: {
                type: 'string',
                description: 'Encoder/featuriser identity, equal to the one recorded at training.',
              },
              modality: ref('Modality'),
            },
          },
          modality: ref('Modality'),
          mime: { type: 'string' },
          durationMs: { type: 'number' },
          stages: { type: 'array', items: ref('Stage'), description: '`featurize`, then `head`.' },
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
