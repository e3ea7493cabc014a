/**
 * Console users: a username and a password, a role and a tenant, managed by administrators
 * (/v1/users, `kaleido users …`). Passwords are stored only as scrypt hashes (the same
 * self-describing format as API keys) with parameters at OWASP's recommended cost for passwords.
 *
 * Verification spends the same scrypt work whether or not the username exists (a dummy hash is
 * checked for unknown or disabled users), so the answer time does not tell which usernames exist.
 */
import { randomUUID } from 'node:crypto';
import { KaleidoError } from '../core/errors.js';
import type { UserRecord, UserStore } from '../core/ports/security.js';
import { isRole, type Principal, type Role } from '../core/security/principal.js';
import { assertTenantId } from '../core/security/tenancy.js';
import { hashSecret, verifySecret, type ScryptParams } from './api-keys.js';

/**
 * N=2^15, r=8, p=3 (32 MiB, ~3 × the API-key cost): one of OWASP's equivalent scrypt settings
 * for passwords (the same work as N=2^17, p=1 at a quarter of the memory).
 */
export const PASSWORD_SCRYPT: ScryptParams = { N: 2 ** 15, r: 8, p: 3 };
export const USERNAME = /^[a-z0-9][a-z0-9._@-]{1,127}$/;
export const MIN_PASSWORD_LENGTH = 12;
export const MAX_PASSWORD_LENGTH = 1024;

/** A user as shown to administrators: everything but the hash. */
export type UserView = Omit<UserRecord, 'passwordHash'>;
export const toUserView = ({ passwordHash: _hash, ...view }: UserRecord): UserView => view;

export interface CreateUserInput {
  readonly tenantId: string;
  readonly username: string;
  readonly password: string;
  readonly role: Role;
  readonly createdBy: string;
}

export interface UserServiceOptions {
  readonly store: UserStore;
  readonly now?: () => number;
  readonly scrypt?: ScryptParams;
  /** Called after a password change or a disable, to end the user's sessions. */
  readonly onCredentialsChanged?: (user: UserRecord) => Promise<void>;
}

function checkPassword(password: unknown): asserts password is string {
  if (typeof password !== 'string') {
    throw new KaleidoError('ERR_VALIDATION', 'password must be a string', { details: { field: 'password' } });
  }
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH) {
    throw new KaleidoError(
      'ERR_VALIDATION',
      `password must be ${MIN_PASSWORD_LENGTH}–${MAX_PASSWORD_LENGTH} characters`,
      { details: { field: 'password' } },
    );
  }
}

/** Lower-cased and trimmed: "Alice@Example.com " and "alice@example.com" are one user. */
export const normalizeUsername = (username: string): string => username.trim().toLowerCase();

export class UserService {
  private readonly store: UserStore;
  private readonly now: () => number;
  private readonly params: ScryptParams;
  private readonly onChanged: ((user: UserRecord) => Promise<void>) | undefined;
  private dummyHash: Promise<string> | undefined;

  constructor(options: UserServiceOptions) {
    this.store = options.store;
    this.now = options.now ?? Date.now;
    this.params = options.scrypt ?? PASSWORD_SCRYPT;
    this.onChanged = options.onCredentialsChanged;
  }

  async create(input: CreateUserInput): Promise<UserView> {
    assertTenantId(input.tenantId);
    const username = typeof input.username === 'string' ? normalizeUsername(input.username) : '';
    if (!USERNAME.test(username)) {
      throw new KaleidoError(
        'ERR_VALIDATION',
        'username must be 2–128 characters: lowercase letters, digits and . _ @ -',
        { details: { field: 'username' } },
      );
    }
    if (!isRole(input.role)) {
      throw new KaleidoError('ERR_VALIDATION', `unknown role "${String(input.role).slice(0, 64)}"`, {
        details: { field: 'role' },
      });
    }
    checkPassword(input.password);
    const at = this.now();
    const record: UserRecord = {
      id: randomUUID(),
      tenantId: input.tenantId,
      username,
      passwordHash: await hashSecret(input.password, this.params),
      role: input.role,
      createdAt: at,
      createdBy: input.createdBy,
      passwordChangedAt: at,
      disabledAt: null,
    };
    await this.store.insertUser(record);
    return toUserView(record);
  }

  async list(tenantId: string): Promise<UserView[]> {
    return (await this.store.listUsers(tenantId)).map(toUserView);
  }

  async get(tenantId: string, id: string): Promise<UserView | undefined> {
    const u = await this.store.getUser(tenantId, id);
    return u === undefined ? undefined : toUserView(u);
  }

  /** The live user behind a session, or undefined when it was disabled or removed. */
  async active(tenantId: string, id: string): Promise<UserRecord | undefined> {
    const u = await this.store.getUser(tenantId, id);
    return u === undefined || u.disabledAt !== null ? undefined : u;
  }

  async setDisabled(tenantId: string, id: string, disabled: boolean): Promise<UserView> {
    if (!(await this.store.setUserDisabled(tenantId, id, disabled ? this.now() : null))) throw notFound(id);
    const u = await this.store.getUser(tenantId, id);
    if (u === undefined) throw notFound(id);
    if (disabled) await this.onChanged?.(u);
    return toUserView(u);
  }

  /**
   * A new role. The user's sessions end (as on disable or a password reset), so a demotion takes
   * effect at once rather than when a session happens to expire.
   */
  async setRole(tenantId: string, id: string, role: unknown): Promise<UserView> {
    if (!isRole(role)) {
      throw new KaleidoError('ERR_VALIDATION', `unknown role "${String(role).slice(0, 64)}"`, {
        details: { field: 'role' },
      });
    }
    if (!(await this.store.setUserRole(tenantId, id, role))) throw notFound(id);
    const u = await this.store.getUser(tenantId, id);
    if (u === undefined) throw notFound(id);
    await this.onChanged?.(u);
    return toUserView(u);
  }

  async setPassword(tenantId: string, id: string, password: unknown): Promise<UserView> {
    checkPassword(password);
    const hash = await hashSecret(password, this.params);
    if (!(await this.store.setUserPassword(tenantId, id, hash, this.now()))) throw notFound(id);
    const u = await this.store.getUser(tenantId, id);
    if (u === undefined) throw notFound(id);
    await this.onChanged?.(u);
    return toUserView(u);
  }

  /**
   * The user for a username and password, or undefined for any failure (unknown user, wrong
   * password, disabled user): always one scrypt evaluation at the stored parameters.
   */
  async verifyPassword(username: unknown, password: unknown): Promise<UserRecord | undefined> {
    const name = typeof username === 'string' ? normalizeUsername(username) : '';
    const secret = typeof password === 'string' && password.length <= MAX_PASSWORD_LENGTH ? password : '';
    const user = USERNAME.test(name) ? await this.store.findUserByUsername(name) : undefined;
    const ok = await verifySecret(secret, user?.passwordHash ?? (await this.dummy()));
    if (!ok || user === undefined || user.disabledAt !== null) return undefined;
    return user;
  }

  private dummy(): Promise<string> {
    this.dummyHash ??= hashSecret('not a password of anybody', this.params);
    return this.dummyHash;
  }
}

export const userPrincipal = (u: UserRecord): Principal => ({
  kind: 'user',
  subject: u.id,
  tenantId: u.tenantId,
  role: u.role,
  scopes: [],
});

const notFound = (id: string): KaleidoError =>
  new KaleidoError('ERR_NOT_FOUND', `user "${id.slice(0, 64)}" not found`, {
    details: { resource: 'user', id: id.slice(0, 64) },
  });
