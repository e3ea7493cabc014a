/** A button's action: pending while it runs, then a message or an error for the page to show. */
import { useCallback, useState } from 'react';

export type ActionState =
  | { readonly status: 'idle' }
  | { readonly status: 'pending'; readonly label: string }
  | { readonly status: 'done'; readonly message: string }
  | { readonly status: 'error'; readonly error: unknown; readonly context: string };

export function useAction(): {
  state: ActionState;
  run: (label: string, action: () => Promise<string>, failure: string) => Promise<void>;
  clear: () => void;
} {
  const [state, setState] = useState<ActionState>({ status: 'idle' });
  const run = useCallback(async (label: string, action: () => Promise<string>, failure: string) => {
    setState({ status: 'pending', label });
    try {
      setState({ status: 'done', message: await action() });
    } catch (error) {
      setState({ status: 'error', error, context: failure });
    }
  }, []);
  const clear = useCallback(() => setState({ status: 'idle' }), []);
  return { state, run, clear };
}
