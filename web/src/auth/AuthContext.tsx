/**
 * The session as the console's pages see it: who is signed in (the session store of
 * api/session.ts, filled from GET /v1/auth/session and sign-in), what they may do, and — for
 * system-tenant admins — which tenant the tenant-scoped admin lists (API keys, users, audit log)
 * show. Pages ask `useAuth().can(resource, action)` to hide or disable what the role may not do,
 * and `reason(…)` for the sentence that says why.
 *
 * No session and no 401 yet means "open": the server checks no credentials (auth disabled: the
 * session route answers `{auth: "disabled"}`) or has not been asked; every action is offered and
 * the server's answers decide. The server decides every request on its own in any case.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { requestJson } from '../api/http';
import { useSession } from '../api/session';
import {
  can,
  deniedReason,
  isSystemAdmin,
  parseSession,
  type Action,
  type AuthInfo,
  type Resource,
} from './permissions';

export interface Tenant {
  readonly id: string;
  readonly name: string;
  readonly disabledAt?: number | null;
}

export interface AuthValue {
  readonly info: AuthInfo;
  readonly can: (resource: Resource, action: Action) => boolean;
  /** Why an action is not offered (undefined when it is). */
  readonly reason: (resource: Resource, action: Action) => string | undefined;
  /** Tenants a system admin may switch between (empty for everyone else). */
  readonly tenants: readonly Tenant[];
  /** The tenant whose keys, users and audit log the admin lists show (the caller's own by default). */
  readonly tenant: string | undefined;
  readonly setTenant: (tenant: string) => void;
}

const OPEN: AuthInfo = { mode: 'open' };
const TENANT_KEY = 'kaleido.adminTenant';

/** AuthValue for an AuthInfo (exported for tests and for pages rendered outside the provider). */
export function authValue(
  info: AuthInfo,
  extra: Partial<Pick<AuthValue, 'tenants' | 'tenant' | 'setTenant'>> = {},
): AuthValue {
  return {
    info,
    can: (r, a) => can(info, r, a),
    reason: (r, a) => deniedReason(info, r, a),
    tenants: extra.tenants ?? [],
    tenant: extra.tenant ?? (info.mode === 'signed-in' ? info.principal.tenantId : undefined),
    setTenant: extra.setTenant ?? (() => undefined),
  };
}

export const AuthContext = createContext<AuthValue>(authValue(OPEN));

function storedTenant(): string | undefined {
  try {
    return window.sessionStorage.getItem(TENANT_KEY) ?? undefined;
  } catch {
    return undefined;
  }
}

export function AuthProvider({ children }: { readonly children: ReactNode }) {
  const { session, signInRequired } = useSession();
  const info = useMemo<AuthInfo>(
    () => (session !== undefined ? parseSession(session) : signInRequired ? { mode: 'signed-out' } : OPEN),
    [session, signInRequired],
  );
  const [tenants, setTenants] = useState<readonly Tenant[]>([]);
  const [chosen, setChosen] = useState<string | undefined>(storedTenant);

  const systemAdmin = isSystemAdmin(info);
  const subject = info.mode === 'signed-in' ? info.principal.subject : undefined;
  useEffect(() => {
    if (!systemAdmin) {
      setTenants([]);
      return;
    }
    const controller = new AbortController();
    requestJson<{ tenants?: Tenant[] }>('GET', '/v1/tenants', undefined, { signal: controller.signal }).then(
      (r) => setTenants(r.tenants ?? []),
      () => setTenants([]),
    );
    return () => controller.abort();
  }, [systemAdmin, subject]);

  const setTenant = useCallback((tenant: string) => {
    setChosen(tenant);
    try {
      window.sessionStorage.setItem(TENANT_KEY, tenant);
    } catch {
      // Kept for this page load only.
    }
  }, []);

  const value = useMemo<AuthValue>(() => {
    const own = info.mode === 'signed-in' ? info.principal.tenantId : undefined;
    const tenant = systemAdmin && chosen !== undefined && tenants.some((t) => t.id === chosen) ? chosen : own;
    return authValue(info, { tenants, setTenant, ...(tenant === undefined ? {} : { tenant }) });
  }, [info, tenants, chosen, systemAdmin, setTenant]);

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

/** The session and its permissions; outside a provider, everything is open. */
export const useAuth = (): AuthValue => useContext(AuthContext);

/**
 * The `tenant` query parameter for tenant-scoped admin lists (GET /v1/keys, /v1/users, /v1/audit):
 * set only when a system admin picked another tenant than their own.
 */
export function adminTenantQuery(auth: AuthValue): { tenant?: string } {
  const own = auth.info.mode === 'signed-in' ? auth.info.principal.tenantId : undefined;
  return auth.tenant !== undefined && auth.tenant !== own ? { tenant: auth.tenant } : {};
}
