/**
 * Administration: API keys (list, create — the secret shown once —, revoke), console users (list,
 * create, disable / enable) and the audit log (filtered, paged), for the tenant the top bar's
 * switcher names (system admins) or the caller's own. Each section is shown only to roles the
 * server lets read it (the session's permission list); its controls only to roles that may act.
 * The server decides every call on its own (src/server/routes/security-admin.ts, auth-sessions.ts).
 */
import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from 'react';
import { requestJson } from '../api/http';
import { useSession } from '../api/session';
import { adminTenantQuery, useAuth } from '../auth/AuthContext';
import { ROLES } from '../auth/permissions';
import { DeniedNote } from '../auth/TenantSwitcher';
import { ActionStatus } from '../components/ActionStatus';
import { Badge } from '../components/Badge';
import { ErrorSummary, Field } from '../components/Field';
import { PageTitle } from '../components/PageTitle';
import { ScrollTable } from '../components/ScrollTable';
import { EmptyState, ErrorState, Loading } from '../components/States';
import { useAction } from '../components/useAction';
import { useAsync } from '../components/useAsync';
import {
  currentCursor,
  distinct,
  filterAudit,
  firstPage,
  keyRequest,
  keyStatus,
  newerPage,
  olderPage,
  STATUS_TONE,
  userErrors,
  type ApiKeyView,
  type AuditEntryView,
  type AuditPaging,
  type KeyForm,
  type UserView,
} from '../lib/admin';
import { formatDate } from '../lib/format';
import { Link } from '../router';
import { pathTo } from '../routes';

type Section = 'keys' | 'users' | 'audit';

const SECTIONS: ReadonlyArray<{ key: Section; title: string; resource: 'api_key' | 'user' | 'audit_log' }> = [
  { key: 'keys', title: 'API keys', resource: 'api_key' },
  { key: 'users', title: 'Users', resource: 'user' },
  { key: 'audit', title: 'Audit log', resource: 'audit_log' },
];

export function Admin({ rest }: { readonly rest: readonly string[] }) {
  const auth = useAuth();
  const { authDisabled } = useSession();
  const visible = SECTIONS.filter((s) => auth.can(s.resource, 'read'));
  const section = visible.find((s) => s.key === rest[0]) ?? visible[0];
  const tenant = auth.tenant ?? (auth.info.mode === 'signed-in' ? auth.info.principal.tenantId : undefined);

  return (
    <>
      <div className="page-header">
        <PageTitle>Administration</PageTitle>
        <p>
          API keys, console users and the audit log of tenant <strong>{tenant ?? '—'}</strong>
          {auth.tenants.length > 1 ? ' (change it with “Administer tenant” in the top bar)' : ''}.
        </p>
      </div>
      {authDisabled === true ? (
        <EmptyState title="Nothing to administer">
          <p>
            This server runs with <code>auth.mode=disabled</code>: it has no API keys, users or audit log.
            Start it with authentication (the default) to manage them here.
          </p>
        </EmptyState>
      ) : auth.info.mode !== 'signed-in' ? (
        <EmptyState title="Sign in to administer">
          <p>Sign in (top bar) as an administrator to manage API keys, users and the audit log.</p>
        </EmptyState>
      ) : section === undefined ? (
        <EmptyState title="Not available to your role">
          <p>
            Your role ({auth.info.principal.role}) may not read API keys, users or the audit log. Ask an
            administrator of tenant {auth.info.principal.tenantId}.
          </p>
        </EmptyState>
      ) : (
        <>
          <nav aria-label="Administration sections" className="row section-nav">
            {visible.map((s) => (
              <Link
                key={s.key}
                to={pathTo('admin', s.key)}
                aria-current={s.key === section.key ? 'page' : undefined}
                className="button"
              >
                {s.title}
              </Link>
            ))}
          </nav>
          {section.key === 'keys' && <KeysSection key={tenant} />}
          {section.key === 'users' && <UsersSection key={tenant} />}
          {section.key === 'audit' && <AuditSection key={tenant} />}
        </>
      )}
    </>
  );
}

// ---- API keys ----

const NO_KEY_FORM: KeyForm = { name: '', role: 'service', scopes: '', expiresInDays: '' };
const KEY_LABELS = { name: 'Name', role: 'Role', scopes: 'Scopes', expiresInDays: 'Expires in (days)' };

function KeysSection() {
  const auth = useAuth();
  const query = adminTenantQuery(auth);
  const [showRevoked, setShowRevoked] = useState(false);
  const list = useAsync(
    (signal) =>
      requestJson<{ apiKeys: ApiKeyView[] }>('GET', '/v1/keys', undefined, {
        signal,
        query: { ...query, includeRevoked: String(showRevoked) },
      }),
    [query.tenant, showRevoked],
  );
  const action = useAction();
  const [confirming, setConfirming] = useState<string | undefined>();
  const [created, setCreated] = useState<{ key: string; name: string } | undefined>();
  const now = Date.now();
  const keys = list.state.data?.apiKeys ?? [];
  const canCreate = auth.can('api_key', 'create');
  const canRevoke = auth.can('api_key', 'delete');
  const deniedId = useId();

  const revoke = (k: ApiKeyView) =>
    action.run(
      `Revoking ${k.name}…`,
      async () => {
        await requestJson('DELETE', `/v1/keys/${encodeURIComponent(k.id)}`, undefined, { query });
        setConfirming(undefined);
        list.reload();
        return `${k.name} is revoked: the next request with it is refused.`;
      },
      `Revoking ${k.name} failed.`,
    );

  return (
    <>
      {created && <NewSecret created={created} onDone={() => setCreated(undefined)} />}
      <section className="card" aria-labelledby="keys-heading">
        <h2 id="keys-heading">API keys</h2>
        <label className="row small">
          <input type="checkbox" checked={showRevoked} onChange={(e) => setShowRevoked(e.target.checked)} />
          Show revoked keys
        </label>
        <ActionStatus state={action.state} />
        {list.state.status === 'loading' && !list.state.data && <Loading label="Loading the API keys…" />}
        {list.state.status === 'error' && (
          <ErrorState error={list.state.error} context="Loading the API keys failed." onRetry={list.reload} />
        )}
        {list.state.data &&
          (keys.length === 0 ? (
            <p>No API keys{showRevoked ? '' : ' in use'}. Create one below.</p>
          ) : (
            <ScrollTable label="API keys">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Role</th>
                    <th scope="col">Scopes</th>
                    <th scope="col">Key starts</th>
                    <th scope="col">Created</th>
                    <th scope="col">Last used</th>
                    <th scope="col">Expires</th>
                    <th scope="col">State</th>
                    {canRevoke && <th scope="col">Action</th>}
                  </tr>
                </thead>
                <tbody>
                  {keys.map((k) => {
                    const status = keyStatus(k, now);
                    return (
                      <tr key={k.id}>
                        <th scope="row">{k.name}</th>
                        <td>{k.role}</td>
                        <td className={k.scopes.length === 0 ? undefined : 'mono'}>
                          {k.scopes.length === 0 ? 'all of the role' : k.scopes.join(' ')}
                        </td>
                        <td className="mono nowrap">kal_{k.prefix}_…</td>
                        <td className="nowrap">{formatDate(k.createdAt)}</td>
                        <td className="nowrap">
                          {k.lastUsedAt === null ? 'never' : formatDate(k.lastUsedAt)}
                        </td>
                        <td className="nowrap">{k.expiresAt === null ? 'never' : formatDate(k.expiresAt)}</td>
                        <td>
                          <Badge tone={STATUS_TONE[status] ?? 'neutral'}>{status}</Badge>
                        </td>
                        {canRevoke && (
                          <td>
                            {status === 'revoked' ? (
                              '—'
                            ) : confirming === k.id ? (
                              <ConfirmRevoke
                                name={k.name}
                                onYes={() => void revoke(k)}
                                onNo={() => setConfirming(undefined)}
                              />
                            ) : (
                              <button type="button" onClick={() => setConfirming(k.id)}>
                                Revoke {k.name}
                              </button>
                            )}
                          </td>
                        )}
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </ScrollTable>
          ))}
      </section>
      <section className="card" aria-labelledby="new-key-heading">
        <h2 id="new-key-heading">Create an API key</h2>
        {canCreate ? (
          <CreateKeyForm
            onCreated={(key, name) => {
              setCreated({ key, name });
              list.reload();
            }}
          />
        ) : (
          <DeniedNote id={deniedId} reason={auth.reason('api_key', 'create')} />
        )}
      </section>
    </>
  );
}

/** The second step of a revoke: takes focus, so keyboard users land on the question. */
function ConfirmRevoke({
  name,
  onYes,
  onNo,
}: {
  readonly name: string;
  readonly onYes: () => void;
  readonly onNo: () => void;
}) {
  const yes = useRef<HTMLButtonElement>(null);
  useEffect(() => yes.current?.focus(), []);
  return (
    <span className="row">
      <button ref={yes} type="button" className="danger" onClick={onYes}>
        Yes, revoke {name}
      </button>
      <button type="button" onClick={onNo}>
        Keep it
      </button>
    </span>
  );
}

/** The new key's secret, shown once: the server keeps only its hash. */
function NewSecret({
  created,
  onDone,
}: {
  readonly created: { key: string; name: string };
  readonly onDone: () => void;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  const [copied, setCopied] = useState(false);
  useEffect(() => heading.current?.focus(), []);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(created.key);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <section className="card secret" aria-labelledby="secret-heading">
      <h2 id="secret-heading" ref={heading} tabIndex={-1}>
        The key for {created.name}
      </h2>
      <p>
        <strong>Copy it now: it is shown only this once.</strong> The server stores only a hash and cannot
        show it again; if it is lost, revoke it and create another.
      </p>
      <Field label="API key">
        <input
          type="text"
          className="mono"
          readOnly
          value={created.key}
          onFocus={(e) => e.currentTarget.select()}
        />
      </Field>
      <p className="row">
        <button type="button" onClick={() => void copy()}>
          Copy the key
        </button>
        <button type="button" onClick={onDone}>
          I have stored it
        </button>
        <span role="status" className="small">
          {copied ? 'Copied.' : ''}
        </span>
      </p>
    </section>
  );
}

function CreateKeyForm({ onCreated }: { readonly onCreated: (key: string, name: string) => void }) {
  const auth = useAuth();
  const [form, setForm] = useState<KeyForm>(NO_KEY_FORM);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const action = useAction();
  const set = (field: keyof KeyForm) => (e: { target: { value: string } }) =>
    setForm({ ...form, [field]: e.target.value });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const built = keyRequest(form, Date.now(), adminTenantQuery(auth).tenant);
    if (!built.ok) {
      setErrors(built.errors);
      return;
    }
    setErrors({});
    void action.run(
      'Creating the key…',
      async () => {
        const r = await requestJson<{ key: string; apiKey: ApiKeyView }>('POST', '/v1/keys', built.body);
        setForm(NO_KEY_FORM);
        onCreated(r.key, r.apiKey.name);
        return `Key ${r.apiKey.name} created.`;
      },
      'Creating the key failed.',
    );
  };

  return (
    <form onSubmit={submit} aria-label="Create an API key" noValidate>
      <ErrorSummary errors={errors} labels={KEY_LABELS} />
      <div className="form-grid">
        <Field label="Name" hint="Who or what uses it, e.g. “ci-deploy”." error={errors['name']}>
          <input type="text" value={form.name} onChange={set('name')} autoComplete="off" />
        </Field>
        <Field label="Role" error={errors['role']}>
          <select value={form.role} onChange={set('role')}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </Field>
        <Field
          label="Scopes"
          hint="Optional: narrow the role, e.g. “model:infer dataset:read”. Empty = all the role allows."
          error={errors['scopes']}
        >
          <input type="text" value={form.scopes} onChange={set('scopes')} autoComplete="off" />
        </Field>
        <Field label="Expires in (days)" hint="Optional: empty = never." error={errors['expiresInDays']}>
          <input type="text" value={form.expiresInDays} onChange={set('expiresInDays')} inputMode="numeric" />
        </Field>
      </div>
      <button type="submit" className="primary" disabled={action.state.status === 'pending'}>
        Create key
      </button>
      <ActionStatus state={action.state} />
    </form>
  );
}

// ---- users ----

const NO_USER = { username: '', password: '', role: 'analyst' };
const USER_LABELS = { username: 'Username', password: 'Password', role: 'Role' };

function UsersSection() {
  const auth = useAuth();
  const query = adminTenantQuery(auth);
  const list = useAsync(
    (signal) => requestJson<{ users: UserView[] }>('GET', '/v1/users', undefined, { signal, query }),
    [query.tenant],
  );
  const action = useAction();
  const canCreate = auth.can('user', 'create');
  const canUpdate = auth.can('user', 'update');
  const deniedId = useId();
  const users = list.state.data?.users ?? [];

  const setDisabled = (u: UserView, disabled: boolean) =>
    action.run(
      `${disabled ? 'Disabling' : 'Enabling'} ${u.username}…`,
      async () => {
        await requestJson('PATCH', `/v1/users/${encodeURIComponent(u.id)}`, { disabled }, { query });
        list.reload();
        return disabled
          ? `${u.username} is disabled: their sessions have ended and sign-in is refused.`
          : `${u.username} may sign in again.`;
      },
      `Changing ${u.username} failed.`,
    );

  const setRole = (u: UserView, role: string) =>
    action.run(
      `Making ${u.username} ${role}…`,
      async () => {
        await requestJson('PATCH', `/v1/users/${encodeURIComponent(u.id)}`, { role }, { query });
        list.reload();
        return `${u.username} is now ${role}: their sessions have ended, the new role applies at the next sign-in.`;
      },
      `Changing the role of ${u.username} failed.`,
    );

  return (
    <>
      <section className="card" aria-labelledby="users-heading">
        <h2 id="users-heading">Console users</h2>
        <p className="small muted">
          Changing a role or disabling a user ends their sessions at once; the audit log records who did it.
        </p>
        <ActionStatus state={action.state} />
        {list.state.status === 'loading' && !list.state.data && <Loading label="Loading the users…" />}
        {list.state.status === 'error' && (
          <ErrorState error={list.state.error} context="Loading the users failed." onRetry={list.reload} />
        )}
        {list.state.data &&
          (users.length === 0 ? (
            <p>No console users in this tenant yet.</p>
          ) : (
            <ScrollTable label="Users">
              <table>
                <thead>
                  <tr>
                    <th scope="col">Username</th>
                    <th scope="col">Role</th>
                    <th scope="col">Created</th>
                    <th scope="col">Password changed</th>
                    <th scope="col">State</th>
                    {canUpdate && <th scope="col">Action</th>}
                  </tr>
                </thead>
                <tbody>
                  {users.map((u) => (
                    <tr key={u.id}>
                      <th scope="row">{u.username}</th>
                      <td>
                        {canUpdate ? (
                          <select
                            aria-label={`Role of ${u.username}`}
                            value={u.role}
                            onChange={(e) => void setRole(u, e.target.value)}
                          >
                            {ROLES.map((r) => (
                              <option key={r} value={r}>
                                {r}
                              </option>
                            ))}
                          </select>
                        ) : (
                          u.role
                        )}
                      </td>
                      <td className="nowrap">{formatDate(u.createdAt)}</td>
                      <td className="nowrap">{formatDate(u.passwordChangedAt)}</td>
                      <td>
                        <Badge tone={u.disabledAt === null ? 'allow' : 'block'}>
                          {u.disabledAt === null ? 'active' : 'disabled'}
                        </Badge>
                      </td>
                      {canUpdate && (
                        <td>
                          <button type="button" onClick={() => void setDisabled(u, u.disabledAt === null)}>
                            {u.disabledAt === null ? `Disable ${u.username}` : `Enable ${u.username}`}
                          </button>
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            </ScrollTable>
          ))}
      </section>
      <section className="card" aria-labelledby="new-user-heading">
        <h2 id="new-user-heading">Create a user</h2>
        {canCreate ? (
          <CreateUserForm onCreated={list.reload} />
        ) : (
          <DeniedNote id={deniedId} reason={auth.reason('user', 'create')} />
        )}
      </section>
    </>
  );
}

function CreateUserForm({ onCreated }: { readonly onCreated: () => void }) {
  const auth = useAuth();
  const [form, setForm] = useState(NO_USER);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const action = useAction();
  const set = (field: keyof typeof NO_USER) => (e: { target: { value: string } }) =>
    setForm({ ...form, [field]: e.target.value });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const found = userErrors(form);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    const tenant = adminTenantQuery(auth).tenant;
    void action.run(
      'Creating the user…',
      async () => {
        const r = await requestJson<{ user: UserView }>('POST', '/v1/users', {
          username: form.username.trim(),
          password: form.password,
          role: form.role,
          ...(tenant === undefined ? {} : { tenant }),
        });
        setForm(NO_USER);
        onCreated();
        return `${r.user.username} can now sign in.`;
      },
      'Creating the user failed.',
    );
  };
  return (
    <form onSubmit={submit} aria-label="Create a user" noValidate>
      <ErrorSummary errors={errors} labels={USER_LABELS} />
      <div className="form-grid">
        <Field label="Username" error={errors['username']}>
          <input type="text" value={form.username} onChange={set('username')} autoComplete="off" />
        </Field>
        <Field label="Password" hint="At least 12 characters." error={errors['password']}>
          <input
            type="password"
            value={form.password}
            onChange={set('password')}
            autoComplete="new-password"
          />
        </Field>
        <Field label="Role" error={errors['role']}>
          <select value={form.role} onChange={set('role')}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </Field>
      </div>
      <button type="submit" className="primary" disabled={action.state.status === 'pending'}>
        Create user
      </button>
      <ActionStatus state={action.state} />
    </form>
  );
}

// ---- audit log ----

const PAGE_SIZE = 50;

function AuditSection() {
  const auth = useAuth();
  const query = adminTenantQuery(auth);
  const [paging, setPaging] = useState<AuditPaging>(firstPage);
  const before = currentCursor(paging);
  const list = useAsync(
    (signal) =>
      requestJson<{ entries: AuditEntryView[] }>('GET', '/v1/audit', undefined, {
        signal,
        query: { ...query, limit: PAGE_SIZE, ...(before === undefined ? {} : { before }) },
      }),
    [query.tenant, before],
  );
  const [filter, setFilter] = useState({ text: '', outcome: '', action: '' });
  const entries = list.state.data?.entries ?? [];
  const shown = useMemo(() => filterAudit(entries, filter), [entries, filter]);
  const older = olderPage(paging, entries, PAGE_SIZE);
  const newer = newerPage(paging);
  const pageNo = paging.cursors.length;

  return (
    <section className="card" aria-labelledby="audit-heading">
      <h2 id="audit-heading">Audit log</h2>
      <p className="small muted">
        Every change, sign-in and refusal, newest first, {PAGE_SIZE} to a page. The filters apply to the page
        shown.
      </p>
      <div className="form-grid" role="search" aria-label="Filter the audit log">
        <Field label="Contains" hint="Actor, resource, request id or address.">
          <input
            type="text"
            value={filter.text}
            onChange={(e) => setFilter({ ...filter, text: e.target.value })}
          />
        </Field>
        <Field label="Action">
          <select value={filter.action} onChange={(e) => setFilter({ ...filter, action: e.target.value })}>
            <option value="">Any</option>
            {distinct(entries, 'action').map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Outcome">
          <select value={filter.outcome} onChange={(e) => setFilter({ ...filter, outcome: e.target.value })}>
            <option value="">Any</option>
            {distinct(entries, 'outcome').map((o) => (
              <option key={o} value={o}>
                {o}
              </option>
            ))}
          </select>
        </Field>
      </div>
      {list.state.status === 'loading' && <Loading label="Loading the audit log…" />}
      {list.state.status === 'error' && (
        <ErrorState error={list.state.error} context="Loading the audit log failed." onRetry={list.reload} />
      )}
      <p role="status" className="small">
        {list.state.status === 'ok' &&
          `Page ${pageNo}: ${shown.length === entries.length ? `${entries.length} entries` : `${shown.length} of ${entries.length} entries match`}.`}
      </p>
      {list.state.data && shown.length > 0 && (
        <ScrollTable label="Audit log entries">
          <table>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Resource</th>
                <th scope="col">Outcome</th>
                <th scope="col" className="num">
                  Status
                </th>
                <th scope="col">From</th>
                <th scope="col">Request id</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((e) => (
                <tr key={e.seq}>
                  <td className="nowrap">{formatDate(e.at)}</td>
                  <td className="break">
                    {e.actor}
                    {e.actorKind !== e.actor && <span className="muted small"> ({e.actorKind})</span>}
                  </td>
                  <td>{e.action}</td>
                  <td className="break mono">
                    {e.resourceType}
                    {e.resourceId ? ` ${e.resourceId}` : ''}
                  </td>
                  <td>
                    <Badge tone={e.outcome === 'success' ? 'allow' : 'block'}>{e.outcome}</Badge>
                  </td>
                  <td className="num">{e.statusCode}</td>
                  <td className="mono nowrap">{e.sourceIp ?? '—'}</td>
                  <td className="mono break">{e.requestId ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </ScrollTable>
      )}
      <nav className="row pager" aria-label="Audit log pages">
        <button type="button" disabled={newer === undefined} onClick={() => newer && setPaging(newer)}>
          Newer entries
        </button>
        <button type="button" disabled={older === undefined} onClick={() => older && setPaging(older)}>
          Older entries
        </button>
      </nav>
    </section>
  );
}
