/**
 * The top bar's session slot: "Sign in" with an API key, or "Sign out". The form opens on request
 * or by itself when any call answers 401, checks the key against the server (`GET /v2`) before
 * storing it, and says so in text when the server refuses it. Focus goes to the key field when the
 * form opens and back to the slot's button when it closes.
 */
import { KaleidoApiError } from '@kaleido/client';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { requestJson } from '../api/http';
import { signIn, signOut, useSession } from '../api/session';

export function SessionSlot() {
  const { apiKey, signInRequired } = useSession();
  const [requested, setRequested] = useState(false);
  const toggleRef = useRef<HTMLButtonElement>(null);
  const open = requested || signInRequired;

  const close = () => {
    setRequested(false);
    // After the render that swaps the slot's button, so focus lands on the one now shown.
    queueMicrotask(() => toggleRef.current?.focus());
  };

  return (
    <div className="tenant session">
      {apiKey === undefined ? (
        <>
          <span>
            Tenant <strong>default</strong>
          </span>
          <button ref={toggleRef} type="button" aria-expanded={open} onClick={() => setRequested(!requested)}>
            Sign in
          </button>
        </>
      ) : (
        <>
          <span>Signed in</span>
          <button
            ref={toggleRef}
            type="button"
            onClick={() => {
              signOut();
              setRequested(false);
            }}
          >
            Sign out
          </button>
        </>
      )}
      {open && (
        <SignInForm
          refused={signInRequired}
          onDone={close}
          // The server insists on a key: the form stays until one is accepted.
          onCancel={signInRequired ? undefined : close}
        />
      )}
    </div>
  );
}

interface SignInFormProps {
  /** A call answered 401: say so before the user types anything. */
  readonly refused: boolean;
  readonly onDone: () => void;
  readonly onCancel: (() => void) | undefined;
}

function SignInForm({ refused, onDone, onCancel }: SignInFormProps) {
  const inputId = useId();
  const errorId = useId();
  const headingId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const message = error ?? (refused ? 'The server asked for an API key (401 Unauthenticated).' : undefined);

  useEffect(() => inputRef.current?.focus(), []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const candidate = key.trim();
    if (candidate === '') {
      setError('Enter an API key.');
      inputRef.current?.focus();
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      // Any authenticated route proves the key; server metadata is the cheapest one.
      await requestJson('GET', '/v2', undefined, { apiKey: candidate });
      signIn(candidate);
      onDone();
    } catch (cause) {
      setError(
        cause instanceof KaleidoApiError && cause.status === 401
          ? 'The server did not accept this API key.'
          : `Could not check the key: ${cause instanceof Error ? cause.message : String(cause)}`,
      );
      inputRef.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="signin"
      aria-labelledby={headingId}
      onSubmit={(e) => void submit(e)}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && onCancel) onCancel();
      }}
    >
      <h2 id={headingId} className="signin-title">
        Sign in
      </h2>
      <label htmlFor={inputId}>API key</label>
      <input
        ref={inputRef}
        id={inputId}
        type="password"
        autoComplete="off"
        spellCheck={false}
        placeholder="kal_…"
        value={key}
        onChange={(e) => setKey(e.target.value)}
        aria-invalid={error !== undefined}
        aria-describedby={message === undefined ? undefined : errorId}
      />
      {message !== undefined && (
        <p id={errorId} className="signin-error" role="alert">
          {message}
        </p>
      )}
      <div className="row">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
