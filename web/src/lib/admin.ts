/**
 * The administration pages' logic, kept out of the components so it is tested on its own: API
 * key states, the key and user forms' checks (the server's own rules, said before sending), and
 * the audit log's filters and paging (the server pages by sequence number, newest first).
 */

export interface ApiKeyView {
  readonly id: string;
  readonly tenantId: string;
  readonly prefix: string;
  readonly name: string;
  readonly role: string;
  readonly scopes: readonly string[];
  readonly createdAt: number;
  readonly createdBy: string;
  readonly expiresAt: number | null;
  readonly lastUsedAt: number | null;
  readonly revokedAt: number | null;
  readonly revokedBy?: string | null;
}

export interface UserView {
  readonly id: string;
  readonly tenantId: string;
  readonly username: string;
  readonly role: string;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly passwordChangedAt?: number;
  readonly disabledAt: number | null;
}

export interface AuditEntryView {
  readonly seq: number;
  readonly at: number;
  readonly tenantId: string;
  readonly actor: string;
  readonly actorKind: string;
  readonly action: string;
  readonly resourceType: string;
  readonly resourceId: string | null;
  readonly outcome: string;
  readonly statusCode: number;
  readonly requestId: string | null;
  readonly sourceIp: string | null;
  readonly userAgent?: string | null;
  readonly details?: Readonly<Record<string, unknown>>;
}

export type KeyStatus = 'active' | 'expired' | 'revoked';

export function keyStatus(key: Pick<ApiKeyView, 'expiresAt' | 'revokedAt'>, now: number): KeyStatus {
  if (key.revokedAt !== null) return 'revoked';
  if (key.expiresAt !== null && key.expiresAt <= now) return 'expired';
  return 'active';
}

/** Badge tones of the console's palette for each key/user state. */
export const STATUS_TONE: Readonly<Record<string, string>> = {
  active: 'allow',
  expired: 'flag',
  revoked: 'block',
  disabled: 'block',
};

const SCOPE = /^([a-z_]+|\*):([a-z]+|\*)$/;

/** "model:infer, dataset:read" (commas or spaces) → scopes, or the first malformed one. */
export function parseScopes(text: string): { scopes: string[] } | { error: string } {
  const parts = text
    .split(/[\s,]+/)
    .map((p) => p.trim())
    .filter((p) => p !== '');
  const bad = parts.find((p) => !SCOPE.test(p));
  if (bad !== undefined) return { error: `"${bad}" is not resource:action (e.g. model:infer, dataset:*)` };
  return { scopes: [...new Set(parts)] };
}

export interface KeyForm {
  readonly name: string;
  readonly role: string;
  readonly scopes: string;
  /** Days until it expires; '' = never. */
  readonly expiresInDays: string;
}

const DAY_MS = 86_400_000;

/** The POST /v1/keys body for a form, or the fields' errors. */
export function keyRequest(
  form: KeyForm,
  now: number,
  tenant?: string,
):
  | { ok: true; body: { name: string; role: string; scopes?: string[]; expiresAt?: number; tenant?: string } }
  | { ok: false; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const name = form.name.trim();
  if (name === '') errors['name'] = 'Give the key a name that says who or what uses it.';
  else if (name.length > 128) errors['name'] = 'At most 128 characters.';
  if (form.role === '') errors['role'] = 'Choose a role.';
  const scopes = parseScopes(form.scopes);
  if ('error' in scopes) errors['scopes'] = scopes.error;
  let expiresAt: number | undefined;
  if (form.expiresInDays.trim() !== '') {
    const days = Number(form.expiresInDays);
    if (!Number.isInteger(days) || days < 1 || days > 3650)
      errors['expiresInDays'] = 'Whole days, 1 to 3650.';
    else expiresAt = now + days * DAY_MS;
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    body: {
      name,
      role: form.role,
      ...('scopes' in scopes && scopes.scopes.length > 0 ? { scopes: scopes.scopes } : {}),
      ...(expiresAt === undefined ? {} : { expiresAt }),
      ...(tenant === undefined ? {} : { tenant }),
    },
  };
}

/** The server's password rule (src/security/users.ts). */
export const MIN_PASSWORD_LENGTH = 12;

export interface UserForm {
  readonly username: string;
  readonly password: string;
  readonly role: string;
}

export function userErrors(form: UserForm): Record<string, string> {
  const errors: Record<string, string> = {};
  if (form.username.trim() === '') errors['username'] = 'A username is required.';
  else if (form.username.trim().length > 128) errors['username'] = 'At most 128 characters.';
  if (form.password.length < MIN_PASSWORD_LENGTH)
    errors['password'] = `At least ${MIN_PASSWORD_LENGTH} characters (a passphrase is easiest).`;
  if (form.role === '') errors['role'] = 'Choose a role.';
  return errors;
}

export interface AuditFilter {
  /** Words that must all appear in actor, action, resource, request id or source address. */
  readonly text: string;
  /** '' = any. */
  readonly outcome: string;
  /** '' = any. */
  readonly action: string;
}

export function filterAudit(entries: readonly AuditEntryView[], f: AuditFilter): AuditEntryView[] {
  const words = f.text.toLowerCase().split(/\s+/).filter(Boolean);
  return entries.filter((e) => {
    if (f.outcome !== '' && e.outcome !== f.outcome) return false;
    if (f.action !== '' && e.action !== f.action) return false;
    if (words.length === 0) return true;
    const hay = [e.actor, e.actorKind, e.action, e.resourceType, e.resourceId, e.requestId, e.sourceIp]
      .filter((x): x is string => typeof x === 'string')
      .join(' ')
      .toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}

/** The distinct values of a field, sorted, for a filter's choices. */
export const distinct = (entries: readonly AuditEntryView[], field: 'action' | 'outcome'): string[] =>
  [...new Set(entries.map((e) => e[field]))].sort();

/**
 * Paging backwards through the log: `cursors` is the stack of `before` values of the pages seen
 * (undefined = the newest page). The next (older) page starts below the last entry shown, and
 * exists when the page came back full.
 */
export interface AuditPaging {
  readonly cursors: ReadonlyArray<number | undefined>;
}

export const firstPage: AuditPaging = { cursors: [undefined] };

export const currentCursor = (p: AuditPaging): number | undefined => p.cursors[p.cursors.length - 1];

export function olderPage(
  p: AuditPaging,
  page: readonly AuditEntryView[],
  limit: number,
): AuditPaging | undefined {
  if (page.length < limit || page.length === 0) return undefined;
  return { cursors: [...p.cursors, Math.min(...page.map((e) => e.seq))] };
}

export function newerPage(p: AuditPaging): AuditPaging | undefined {
  return p.cursors.length > 1 ? { cursors: p.cursors.slice(0, -1) } : undefined;
}
