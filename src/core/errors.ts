/**
 * One error model for the whole server (docs/reference/errors.md is kept in step by a test).
 *
 * A KaleidoError carries a stable `code` (ERR_*) from the catalog below and a canonical `status`
 * (gRPC-style). The edge maps status → HTTP and status → gRPC with the two tables at the bottom;
 * nothing else decides a wire status code.
 */

export const Status = {
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  NOT_FOUND: 'NOT_FOUND',
  ALREADY_EXISTS: 'ALREADY_EXISTS',
  FAILED_PRECONDITION: 'FAILED_PRECONDITION',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  RESOURCE_EXHAUSTED: 'RESOURCE_EXHAUSTED',
  UNAVAILABLE: 'UNAVAILABLE',
  DEADLINE_EXCEEDED: 'DEADLINE_EXCEEDED',
  CANCELLED: 'CANCELLED',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  UNIMPLEMENTED: 'UNIMPLEMENTED',
  INTERNAL: 'INTERNAL',
} as const;
export type Status = (typeof Status)[keyof typeof Status];

interface CatalogEntry {
  readonly status: Status;
  readonly retryable: boolean;
  /** One line for docs/reference/errors.md. */
  readonly description: string;
}

const entry = (status: Status, retryable: boolean, description: string): CatalogEntry => ({
  status,
  retryable,
  description,
});

/** The catalog. Add codes here only; never invent a code at a throw site. */
export const ErrorCatalog = {
  ERR_BAD_REQUEST: entry(
    Status.INVALID_ARGUMENT,
    false,
    'The request is malformed (syntax, structure or values).',
  ),
  ERR_INVALID_JSON: entry(
    Status.INVALID_ARGUMENT,
    false,
    'The body is not valid JSON, or nests deeper than allowed.',
  ),
  ERR_VALIDATION: entry(
    Status.INVALID_ARGUMENT,
    false,
    'A field has the wrong type or value; details name the field.',
  ),
  ERR_DATATYPE_MISMATCH: entry(
    Status.INVALID_ARGUMENT,
    false,
    'A tensor datatype differs from the model signature, or data does not fit it.',
  ),
  ERR_SHAPE_MISMATCH: entry(
    Status.INVALID_ARGUMENT,
    false,
    'A tensor shape or element count does not match its data or the model.',
  ),
  ERR_UNKNOWN_INPUT: entry(Status.INVALID_ARGUMENT, false, 'An input name is not an input of the model.'),
  ERR_MISSING_INPUT: entry(Status.INVALID_ARGUMENT, false, 'A required model input was not supplied.'),
  ERR_UNKNOWN_OUTPUT: entry(
    Status.INVALID_ARGUMENT,
    false,
    'A requested output is not an output of the model.',
  ),
  ERR_DUPLICATE_NAME: entry(Status.INVALID_ARGUMENT, false, 'The same input or output name appears twice.'),
  ERR_BINARY_HEADER: entry(
    Status.INVALID_ARGUMENT,
    false,
    'Inference-Header-Content-Length or binary_data_size is out of range or inconsistent.',
  ),
  ERR_MIXED_CONTENTS: entry(
    Status.INVALID_ARGUMENT,
    false,
    'Raw and typed tensor contents are mixed in one request.',
  ),
  ERR_BATCH_TOO_LARGE: entry(
    Status.INVALID_ARGUMENT,
    false,
    'The request batch exceeds the model max_batch_size.',
  ),
  ERR_BAD_CONFIG: entry(
    Status.INVALID_ARGUMENT,
    false,
    'A server or model configuration is invalid; details name the field.',
  ),
  ERR_MODEL_NOT_FOUND: entry(Status.NOT_FOUND, false, 'No model with this name exists in the repository.'),
  ERR_VERSION_NOT_FOUND: entry(Status.NOT_FOUND, false, 'The model exists but not this version.'),
  ERR_NOT_FOUND: entry(Status.NOT_FOUND, false, 'The route or resource does not exist.'),
  ERR_MODEL_NOT_READY: entry(Status.UNAVAILABLE, true, 'The model is known but not loaded and ready.'),
  ERR_MODEL_LOAD_FAILED: entry(
    Status.FAILED_PRECONDITION,
    false,
    'The model could not be loaded; details give the reason.',
  ),
  ERR_ALREADY_EXISTS: entry(Status.ALREADY_EXISTS, false, 'The resource already exists.'),
  ERR_PAYLOAD_TOO_LARGE: entry(
    Status.PAYLOAD_TOO_LARGE,
    false,
    'The body exceeds the configured limit for this route.',
  ),
  ERR_UNSUPPORTED_MEDIA_TYPE: entry(
    Status.UNSUPPORTED_MEDIA_TYPE,
    false,
    'The content type is not accepted by this route.',
  ),
  ERR_QUEUE_FULL: entry(
    Status.RESOURCE_EXHAUSTED,
    true,
    'The model queue is full; retry after the Retry-After delay.',
  ),
  ERR_RATE_LIMITED: entry(
    Status.RESOURCE_EXHAUSTED,
    true,
    'Too many requests for this client; retry after the Retry-After delay.',
  ),
  ERR_TIMEOUT: entry(Status.DEADLINE_EXCEEDED, true, 'The request deadline passed before the model ran it.'),
  ERR_CANCELLED: entry(Status.CANCELLED, false, 'The client went away or cancelled the request.'),
  ERR_SHUTTING_DOWN: entry(Status.UNAVAILABLE, true, 'The server is shutting down and accepts no new work.'),
  ERR_UNAVAILABLE: entry(Status.UNAVAILABLE, true, 'A dependency is unavailable.'),
  ERR_UNAUTHENTICATED: entry(Status.UNAUTHENTICATED, false, 'Credentials are missing or invalid.'),
  ERR_PERMISSION_DENIED: entry(Status.PERMISSION_DENIED, false, 'The caller may not perform this action.'),
  ERR_UNIMPLEMENTED: entry(
    Status.UNIMPLEMENTED,
    false,
    'The operation is not supported by this server or model.',
  ),
  ERR_INTERNAL: entry(
    Status.INTERNAL,
    false,
    'An unexpected server error; the cause is logged, never returned.',
  ),
  ERR_SCHEMA_MISMATCH: entry(
    Status.FAILED_PRECONDITION,
    false,
    'The database was migrated by a build whose migrations differ from this one (checksum changed).',
  ),
  ERR_STUDY_STOPPED: entry(
    Status.FAILED_PRECONDITION,
    false,
    'The HPO study is stopped (e.g. its grid is exhausted) and starts no new trials.',
  ),
  ERR_TRIAL_NOT_RUNNING: entry(
    Status.FAILED_PRECONDITION,
    false,
    'The HPO trial is already finished (or waiting), so it cannot be suggested into, reported to or told.',
  ),
  ERR_INVALID_STATE: entry(
    Status.FAILED_PRECONDITION,
    false,
    'The resource is in a state that forbids this change (e.g. a deleted experiment or run, a settled model version).',
  ),
  ERR_NOT_CLASSIFIABLE: entry(
    Status.FAILED_PRECONDITION,
    false,
    'The registered model version records no featuriser that turns raw content into its input (hand-registered, tabular, or trained on features this server no longer computes); send features over OIP instead.',
  ),
  ERR_INTEGRITY_FAILED: entry(
    Status.FAILED_PRECONDITION,
    false,
    'Stored data failed its integrity check (SHA-256 or signature mismatch, tampered ciphertext, wrong key) and is refused.',
  ),
  ERR_MEDIA_CORRUPT: entry(
    Status.INVALID_ARGUMENT,
    false,
    'The media file is in a recognised format but is damaged or truncated, so it cannot be decoded.',
  ),
  ERR_MEDIA_TOO_LONG: entry(
    Status.PAYLOAD_TOO_LARGE,
    false,
    'The media duration exceeds the configured limit; details give the limit in seconds.',
  ),
} as const satisfies Record<string, CatalogEntry>;

export type ErrorCode = keyof typeof ErrorCatalog;

export interface KaleidoErrorOptions {
  details?: Record<string, unknown>;
  cause?: unknown;
  /** Seconds a client should wait before retrying (RESOURCE_EXHAUSTED / UNAVAILABLE). */
  retryAfterSeconds?: number;
}

export class KaleidoError extends Error {
  readonly code: ErrorCode;
  readonly status: Status;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(code: ErrorCode, message: string, options: KaleidoErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KaleidoError';
    this.code = code;
    const e = ErrorCatalog[code];
    this.status = e.status;
    this.retryable = e.retryable;
    this.details = options.details;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

export const isKaleidoError = (e: unknown): e is KaleidoError => e instanceof KaleidoError;

/** Anything that is not a KaleidoError is a bug: it becomes ERR_INTERNAL with a generic message. */
export function toKaleidoError(e: unknown): KaleidoError {
  if (isKaleidoError(e)) return e;
  return new KaleidoError('ERR_INTERNAL', 'internal server error', { cause: e });
}

/** Status → HTTP status code. */
export const httpStatusOf: Record<Status, number> = {
  INVALID_ARGUMENT: 400,
  NOT_FOUND: 404,
  ALREADY_EXISTS: 409,
  FAILED_PRECONDITION: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RESOURCE_EXHAUSTED: 429,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
  CANCELLED: 499,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  UNIMPLEMENTED: 501,
  INTERNAL: 500,
};

/** Status → numeric gRPC status code (google.rpc.Code). */
export const grpcStatusOf: Record<Status, number> = {
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  PAYLOAD_TOO_LARGE: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  UNSUPPORTED_MEDIA_TYPE: 3,
  UNAUTHENTICATED: 16,
};
