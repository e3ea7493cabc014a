/**
 * The top bar's session slot: who is signed in (name, role, tenant) with "Sign out", or "Sign in".
 * The form signs in with a username and password, or with an API key (the bootstrap admin key
 * printed at first start works); either way the server answers with an HttpOnly session cookie,
 * so no credential is kept in the page. The form opens on request or by itself when any call
 * answers 401, says in text why the server refused, and moves focus to its first field when it
 * opens and back to the slot's button when it closes.
 */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import {
  knownSession,
  signInWithApiKey,
  signInWithPassword,
  signOut,
  SignInError,
  useSession,
} from '../api/session';

export function SessionSlot() {
  const { session, signInRequired, authDisabled } = useSession();
  const [requested, setRequested] = useState(false);
  const toggleRef = useRef<HTMLButtonElement>(null);
  const open = session === undefined && (requested || signInRequired);

  // After a reload the cookie is all that is left: ask the server who this browser is.
  useEffect(() => {
    void knownSession();
  }, []);

  const close = () => {
    setRequested(false);
    // After the render that swaps the slot's button, so focus lands on the one now shown.
    queueMicrotask(() => toggleRef.current?.focus());
  };

  if (authDisabled === true) {
    // Nothing to sign in to: say so instead of offering a form the server would not use.
    return (
      <div className="tenant session">
        <span data-testid="auth-disabled" className="small">
          Sign-in is off on this server (auth.mode=disabled): every action is allowed.
        </span>
      </div>
    );
  }

  return (
    <div className="tenant session">
      {session === undefined ? (
        <>
          <span>Not signed in</span>
          <button ref={toggleRef} type="button" aria-expanded={open} onClick={() => setRequested(!requested)}>
            Sign in
          </button>
        </>
      ) : (
        <>
          <span data-testid="signed-in-as">
            Signed in as <strong>{session.name ?? session.principal.subject}</strong>{' '}
            <span className="small">
              ({session.principal.role}, tenant {session.principal.tenantId})
            </span>
          </span>
          <button
            ref={toggleRef}
            type="button"
            onClick={() => {
              setRequested(false);
              void signOut();
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
          // The server insists on a credential: the form stays until one is accepted.
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

type Method = 'password' | 'apiKey';

function failureMessage(cause: unknown, method: Method): string {
  if (cause instanceof SignInError) {
    if (cause.status === 401) {
      return method === 'password'
        ? 'Wrong username or password.'
        : 'The server did not accept this API key.';
    }
    if (cause.status === 429) {
      return `Too many failed sign-ins. Try again in ${cause.retryAfterSeconds ?? 'a few'} seconds.`;
    }
    if (cause.status === 404) return 'This server has no sign-in: authentication is switched off.';
  }
  return `Could not sign in: ${cause instanceof Error ? cause.message : String(cause)}`;
}

function SignInForm({ refused, onDone, onCancel }: SignInFormProps) {
  const ids = { user: useId(), password: useId(), key: useId(), error: useId(), heading: useId() };
  const firstRef = useRef<HTMLInputElement>(null);
  const [method, setMethod] = useState<Method>('password');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [key, setKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>();
  const message = error ?? (refused ? 'The server asked you to sign in (401 Unauthenticated).' : undefined);
  const describedBy = message === undefined ? undefined : ids.error;

  useEffect(() => firstRef.current?.focus(), [method]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (method === 'password' ? username.trim() === '' || password === '' : key.trim() === '') {
      setError(method === 'password' ? 'Enter a username and a password.' : 'Enter an API key.');
      firstRef.current?.focus();
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      if (method === 'password') await signInWithPassword(username, password);
      else await signInWithApiKey(key);
      // The page's own calls were refused before sign-in: load it again, now with the session.
      if (refused) window.location.reload();
      else onDone();
    } catch (cause) {
      setError(failureMessage(cause, method));
      setPassword('');
      firstRef.current?.focus();
    } finally {
      setBusy(false);
    }
  };

  return (
    <form
      className="signin"
      aria-labelledby={ids.heading}
      onSubmit={(e) => void submit(e)}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && onCancel) onCancel();
      }}
    >
      <h2 id={ids.heading} className="signin-title">
        Sign in
      </h2>
      <fieldset className="signin-method">
        <legend>Sign in with</legend>
        <label>
          <input
            type="radio"
            name="signin-method"
            checked={method === 'password'}
            onChange={() => {
              setMethod('password');
              setError(undefined);
            }}
          />{' '}
          Username and password
        </label>
        <label>
          <input
            type="radio"
            name="signin-method"
            checked={method === 'apiKey'}
            onChange={() => {
              setMethod('apiKey');
              setError(undefined);
            }}
          />{' '}
          API key
        </label>
      </fieldset>
      {method === 'password' ? (
        <>
          <label htmlFor={ids.user}>Username</label>
          <input
            ref={firstRef}
            id={ids.user}
            type="text"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            value={username}
            onChange={(e) => setUsername(e.target.value)}
            aria-invalid={error !== undefined}
            aria-describedby={describedBy}
          />
          <label htmlFor={ids.password}>Password</label>
          <input
            id={ids.password}
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            aria-invalid={error !== undefined}
            aria-describedby={describedBy}
          />
        </>
      ) : (
        <>
          <label htmlFor={ids.key}>API key</label>
          <input
            ref={firstRef}
            id={ids.key}
            type="password"
            autoComplete="off"
            spellCheck={false}
            placeholder="kal_…"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            aria-invalid={error !== undefined}
            aria-describedby={describedBy}
          />
        </>
      )}
      {message !== undefined && (
        <p id={ids.error} className="signin-error" role="alert">
          {message}
        </p>
      )}
      <div className="row">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
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
