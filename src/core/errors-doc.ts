/** Renders docs/reference/errors.md from the catalog (a test keeps the file in step). */
import { ErrorCatalog, grpcStatusOf, httpStatusOf } from './errors.js';

export function renderErrorReference(): string {
  const rows = Object.entries(ErrorCatalog).map(
    ([code, e]) =>
      `| \`${code}\` | ${e.status} | ${httpStatusOf[e.status]} | ${grpcStatusOf[e.status]} | ${e.retryable ? 'yes' : 'no'} | ${e.description} |`,
  );
  return [
    '# Error reference',
    '',
    '<!-- Generated from src/core/errors.ts by `npm run docs:errors`; a test fails when this file is stale. -->',
    '',
    'Every error Kaleido returns carries a stable code from this catalog. The code decides the',
    'canonical status, and the status decides the HTTP and gRPC codes (one table each, in',
    '`src/core/errors.ts`).',
    '',
    '- OIP routes (`/v2/...`) answer `{"error": "<message>", "code": "ERR_..."}`: the protocol\'s',
    '  `{"error": string}` plus the code.',
    '- Every other route answers `{"error": {"code", "message", "details", "requestId"}}`.',
    '- `Retry-After` (seconds) accompanies retryable RESOURCE_EXHAUSTED and UNAVAILABLE answers.',
    '- An unexpected failure is `ERR_INTERNAL` with a generic message; the cause is logged with the',
    '  request id, never returned.',
    '',
    '| code | status | HTTP | gRPC | retryable | meaning |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n');
}
