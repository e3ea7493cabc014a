import type { ActionState } from './useAction';
import { ErrorState } from './States';

/** Where an action's progress and outcome are announced (a polite live region). */
export function ActionStatus({ state }: { readonly state: ActionState }) {
  return (
    <>
      <p role="status" className="small" aria-live="polite">
        {state.status === 'pending' && (
          <>
            <span className="spinner" aria-hidden="true" /> {state.label}
          </>
        )}
        {state.status === 'done' && state.message}
      </p>
      {state.status === 'error' && <ErrorState error={state.error} context={state.context} />}
    </>
  );
}
