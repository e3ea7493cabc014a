/**
 * Errors of the lifecycle API mapped onto the form field they are about, with a sentence that
 * says what to change. Anything not about one field stays a page-level error (ErrorState).
 */
import { KaleidoApiError } from '@kaleido/client';
import type { RowIssue } from '../api/lifecycle';

export interface FieldProblem {
  readonly field: string;
  readonly message: string;
}

/** The server's `details.field` names (query/form names, spec paths) → the form's field names. */
const FIELD_ALIASES: Record<string, string> = {
  'form.name': 'name',
  'split.seed': 'splitSeed',
  split: 'testFraction',
  source: 'file',
  body: 'file',
  'dataset.id': 'dataset',
  'dataset.version': 'datasetVersion',
  'training.epochs': 'epochs',
  'featurizer.dimensions': 'dimensions',
};

function detailsOf(error: KaleidoApiError): Record<string, unknown> {
  const d = error.details;
  return typeof d === 'object' && d !== null && !Array.isArray(d) ? (d as Record<string, unknown>) : {};
}

/** The form field a refused request is about (undefined when it is not about one field). */
export function fieldProblem(error: unknown, fields: readonly string[]): FieldProblem | undefined {
  if (!(error instanceof KaleidoApiError) || error.kind !== 'http') return undefined;
  if (error.code === 'ERR_UNSUPPORTED_MEDIA_TYPE' && fields.includes('file'))
    return {
      field: 'file',
      message: 'The server cannot tell the file’s format: use .jsonl, .csv, .tsv or .zip.',
    };
  if (error.code === 'ERR_PAYLOAD_TOO_LARGE' && fields.includes('file'))
    return {
      field: 'file',
      message:
        'The file is over the server’s upload limit. Split it or ask an operator to raise server.maxBodyBytes.',
    };
  if (error.code === 'ERR_ALREADY_EXISTS' && fields.includes('name'))
    return { field: 'name', message: 'That name is taken. Pick another name.' };
  if (
    error.code === 'ERR_NOT_FOUND' &&
    fields.includes('dataset') &&
    detailsOf(error)['resource'] === 'dataset'
  )
    return {
      field: 'dataset',
      message: 'That data set (or version) does not exist. Pick one from the list.',
    };
  if (error.code !== 'ERR_VALIDATION') return undefined;
  const raw = detailsOf(error)['field'];
  if (typeof raw !== 'string') return undefined;
  let field = FIELD_ALIASES[raw] ?? raw.replace(/^(form|query)\./, '');
  if (field.startsWith('searchSpace.')) field = `param.${field.split('.')[1] ?? ''}`;
  if (field.startsWith('sampler')) field = 'sampler';
  if (field.startsWith('pruner')) field = 'pruner';
  return fields.includes(field) ? { field, message: error.message } : undefined;
}

/** The bad rows a refused upload listed (details.issues), with their total count. */
export function rejectedRows(error: unknown): { count: number; issues: RowIssue[] } | undefined {
  if (!(error instanceof KaleidoApiError) || error.code !== 'ERR_VALIDATION') return undefined;
  const d = detailsOf(error);
  if (!Array.isArray(d['issues'])) return undefined;
  const issues = (d['issues'] as unknown[]).filter(
    (i): i is RowIssue => typeof i === 'object' && i !== null && typeof (i as RowIssue).message === 'string',
  );
  return { count: typeof d['issueCount'] === 'number' ? d['issueCount'] : issues.length, issues };
}
