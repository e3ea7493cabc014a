/**
 * The top bar's tenant switcher: system-tenant admins pick the tenant whose API keys, users and
 * audit log the admin lists show (the `tenant` parameter of those routes). Everyone else acts in
 * their own tenant only, which the session slot already names, so nothing is shown for them.
 */
import { useId } from 'react';
import { useAuth } from './AuthContext';

export function TenantSwitcher() {
  const auth = useAuth();
  const id = useId();
  if (auth.info.mode !== 'signed-in' || auth.tenants.length < 2) return null;
  const own = auth.info.principal.tenantId;
  return (
    <span className="row small tenant-switcher">
      <label htmlFor={id}>Administer tenant</label>
      <select id={id} value={auth.tenant ?? own} onChange={(e) => auth.setTenant(e.target.value)}>
        {auth.tenants.map((t) => (
          <option key={t.id} value={t.id}>
            {t.name === t.id ? t.id : `${t.name} (${t.id})`}
            {t.id === own ? ' — yours' : ''}
            {t.disabledAt ? ' — disabled' : ''}
          </option>
        ))}
      </select>
    </span>
  );
}

/**
 * The sentence under a control the role may not use, tied to it with aria-describedby: a tooltip
 * alone would be out of reach for keyboard and touch users.
 */
export function DeniedNote({ id, reason }: { readonly id: string; readonly reason: string | undefined }) {
  if (reason === undefined) return null;
  return (
    <p id={id} className="small muted denied">
      {reason}
    </p>
  );
}
