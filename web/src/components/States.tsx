/** Loading, empty and error states: each says what is happening and what to do next. */
import type { ReactNode } from 'react';
import { describeError } from '../lib/errors';

export function Loading({ label }: { readonly label: string }) {
  return (
    <p className="muted" role="status">
      <span className="spinner" aria-hidden="true" /> {label}
    </p>
  );
}

export function ErrorState({
  error,
  context,
  onRetry,
}: {
  readonly error: unknown;
  /** What was being done: "Loading the models failed." */
  readonly context: string;
  readonly onRetry?: () => void;
}) {
  const problem = describeError(error);
  if (problem.code === 'ERR_UNAUTHENTICATED') {
    // Not a failure to alarm anyone with: the server wants a signed-in caller (a first visit, or
    // a session that ended). Say what to do.
    return (
      <div className="state" role="status">
        <p className="title">Sign in to see this</p>
        <p>This server asks who you are first: use “Sign in” at the top of the page, then “Try again”.</p>
        {onRetry && (
          <button type="button" onClick={onRetry}>
            Try again
          </button>
        )}
      </div>
    );
  }
  return (
    <div className="state error" role="alert">
      <p className="title">{context}</p>
      <p>{problem.title}</p>
      <p>{problem.hint}</p>
      {(problem.code || problem.requestId) && (
        <p className="small muted">
          {problem.code && (
            <>
              Code <code>{problem.code}</code>.{' '}
            </>
          )}
          {problem.requestId && (
            <>
              Request id <code>{problem.requestId}</code>.
            </>
          )}
        </p>
      )}
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function EmptyState({
  title,
  children,
  headingLevel = 2,
}: {
  readonly title: string;
  readonly children?: ReactNode;
  readonly headingLevel?: 2 | 3;
}) {
  const Heading = headingLevel === 2 ? 'h2' : 'h3';
  return (
    <div className="state">
      <Heading>{title}</Heading>
      {children}
    </div>
  );
}
