/**
 * What the console says when something fails: a sentence for people and what to do next. Never a
 * stack trace; the request id is shown so an operator can find the server's log line.
 */
import { KaleidoApiError } from '@kaleido/client';

export interface Problem {
  readonly title: string;
  /** What the person can do about it. */
  readonly hint: string;
  readonly code?: string;
  readonly requestId?: string;
}

const HINTS: Record<string, string> = {
  ERR_UNSUPPORTED_MEDIA_TYPE:
    'This server cannot analyse this kind of content. Try text, or a file type listed under “What this server can analyse”.',
  ERR_PAYLOAD_TOO_LARGE: 'The content is over the size limit. Try a smaller file or a shorter text.',
  ERR_VALIDATION: 'Check the input and try again.',
  ERR_INVALID_JSON: 'The request was not valid JSON. Reload the page and try again.',
  ERR_MODEL_NOT_FOUND: 'The model is not in any repository. Check its name on the Models page.',
  ERR_MODEL_NOT_READY: 'Load the model first (Models page), then try again.',
  ERR_MODEL_LOAD_FAILED:
    'The model could not be loaded: check its files and configuration in the repository.',
  ERR_VERSION_NOT_FOUND: 'That version does not exist. Pick one from the list.',
  ERR_QUEUE_FULL: 'The server is busy. Wait a moment and try again.',
  ERR_RATE_LIMITED: 'Too many requests. Wait a moment and try again.',
  ERR_TIMEOUT: 'The work took too long. Try a smaller input.',
  ERR_MEDIA_CORRUPT:
    'The file could not be decoded. Check that it plays on your computer, or export it again.',
  ERR_MEDIA_TOO_LONG: 'The recording is over the length limit. Try a shorter clip.',
  ERR_UNAUTHENTICATED: 'Sign in again.',
  ERR_PERMISSION_DENIED: 'Your account may not do this. Ask an administrator.',
  ERR_UNAVAILABLE: 'A part of the server is not available right now. Try again shortly.',
  ERR_SHUTTING_DOWN: 'The server is shutting down. Try again when it is back.',
  ERR_NOT_FOUND: 'It may have been deleted or renamed. Reload the list.',
  ERR_ALREADY_EXISTS: 'Pick another name.',
  ERR_UNIMPLEMENTED: 'This server does not support that yet.',
};

function serverMessage(error: KaleidoApiError): string | undefined {
  const body = error.body;
  if (typeof body === 'object' && body !== null) {
    const e = (body as { error?: unknown; message?: unknown }).error;
    if (typeof e === 'string') return e;
    if (typeof e === 'object' && e !== null && typeof (e as { message?: unknown }).message === 'string') {
      return (e as { message: string }).message;
    }
  }
  return undefined;
}

export function describeError(error: unknown): Problem {
  if (error instanceof KaleidoApiError) {
    switch (error.kind) {
      case 'network':
        return {
          title: 'The server did not answer.',
          hint: 'Check that Kaleido is running and reachable, then try again.',
        };
      case 'timeout':
        return {
          title: 'The server took too long to answer.',
          hint: 'Try again; if it persists, check Monitoring.',
        };
      case 'aborted':
        return { title: 'The request was cancelled.', hint: 'Start it again when you are ready.' };
      case 'protocol':
        return {
          title: 'The server answered in a form this console does not understand.',
          hint: 'The console and the server may be different versions: reload the page.',
        };
      case 'http': {
        const retry =
          error.retryAfterSeconds === undefined ? '' : ` Retry in ${Math.max(1, error.retryAfterSeconds)} s.`;
        const generic =
          error.status >= 500
            ? 'The server failed. Try again; if it persists, give the request id to an operator.'
            : 'Check the input and try again.';
        return {
          title: serverMessage(error) ?? `The server refused the request (HTTP ${error.status}).`,
          hint: ((error.code && HINTS[error.code]) ?? generic) + retry,
          ...(error.code ? { code: error.code } : {}),
          ...(error.requestId ? { requestId: error.requestId } : {}),
        };
      }
    }
  }
  // A bug in the console itself: say so plainly, keep the details in the developer console.
  console.error(error);
  return { title: 'Something went wrong in the console.', hint: 'Reload the page and try again.' };
}
