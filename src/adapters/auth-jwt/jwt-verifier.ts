/**
 * The JwtVerifier port over `jose`: bearer JWTs from an OIDC/OAuth issuer, checked against the
 * issuer's JWKS (remote URL with timeout, caching and a cooldown on unknown `kid`; a JWKS file;
 * or keys given inline) or, for HS* algorithms only, a configured shared secret.
 *
 * Checked: signature with an allow-listed algorithm (never `none`; HS* only with a secret), `iss`,
 * `aud`, `exp` and `nbf` with the configured clock tolerance, a `sub`. The principal is built from
 * claims: tenant (a claim, or a default tenant), role (the most powerful known role among the role
 * claim's values), scopes (the Kaleido scopes — "model:infer" — among the scope claim's values;
 * none = the role's full rights). A token whose tenant is unknown or disabled does not
 * authenticate; a valid token without a known role authenticates nobody and answers 403.
 *
 * Every failure is ERR_UNAUTHENTICATED with the reason in `details.reason` (logged by the edge,
 * never told to the caller); an unreachable or broken JWKS endpoint is ERR_UNAVAILABLE.
 */
import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { KaleidoError } from '../../core/errors.js';
import type { JwtVerifier, TenantStore } from '../../core/ports/security.js';
import { isScope, ROLES, type Principal, type Role, type Scope } from '../../core/security/principal.js';

export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
] as const;
export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
export const DEFAULT_JWT_ALGORITHMS: readonly string[] = ['RS256', 'PS256', 'ES256', 'EdDSA'];

export interface JoseJwtVerifierOptions {
  readonly issuer: string;
  /** One or more accepted `aud` values; at least one. */
  readonly audience: readonly string[];
  /** Exactly one key source among jwksUrl, jwksFile, keys — or none when `secret` is given. */
  readonly jwksUrl?: string;
  readonly jwksFile?: string;
  readonly keys?: readonly JWK[];
  /** Shared secret for HS256/384/512 (at least 32 bytes); HS* is refused without one. */
  readonly secret?: string;
  readonly algorithms?: readonly string[];
  /** Allowed clock skew for exp/nbf/iat (default 30 s). */
  readonly clockToleranceSec?: number;
  /** Claim with the tenant id (default "tenant"); its absence falls back to `defaultTenant`. */
  readonly tenantClaim?: string;
  /** Tenant of tokens without the tenant claim; empty/undefined = such tokens are refused. */
  readonly defaultTenant?: string;
  /** Claim with the role(s): a string or an array (default "roles"). */
  readonly roleClaim?: string;
  /** Claim with scopes: a space-separated string or an array (default "scope"). */
  readonly scopeClaim?: string;
  /** Remote JWKS: request timeout (default 5000 ms), cache age (default 10 min), cooldown (default 30 s). */
  readonly jwksTimeoutMs?: number;
  readonly jwksCacheMaxAgeMs?: number;
  readonly jwksCooldownMs?: number;
  /** Unknown or disabled tenants do not authenticate (when given). */
  readonly tenants?: TenantStore;
}

const badConfig = (field: string, message: string): KaleidoError =>
  new KaleidoError('ERR_BAD_CONFIG', `auth.jwt.${field} ${message}`, {
    details: { field: `auth.jwt.${field}` },
  });

const unauthenticated = (reason: string): KaleidoError =>
  new KaleidoError('ERR_UNAUTHENTICATED', 'invalid or expired token', { details: { reason } });

/** The most powerful role first: ROLES is ordered that way. */
function pickRole(claim: unknown): Role | undefined {
  const values = typeof claim === 'string' ? claim.split(/[\s,]+/) : Array.isArray(claim) ? claim : [];
  return ROLES.find((r) => values.includes(r));
}

function pickScopes(claim: unknown): Scope[] {
  const values = typeof claim === 'string' ? claim.split(/\s+/) : Array.isArray(claim) ? claim : [];
  return [...new Set(values.filter(isScope))];
}

export class JoseJwtVerifier implements JwtVerifier {
  private readonly options: JoseJwtVerifierOptions;
  private readonly jwks: JWTVerifyGetKey | undefined;
  private readonly secret: Uint8Array | undefined;
  private readonly algorithms: string[];

  constructor(options: JoseJwtVerifierOptions) {
    this.options = options;
    if (options.issuer === '') throw badConfig('issuer', 'is required');
    if (options.audience.length === 0 || options.audience.some((a) => a === '')) {
      throw badConfig('audience', 'needs at least one non-empty value');
    }
    const sources = [options.jwksUrl, options.jwksFile, options.keys].filter(
      (s) => s !== undefined && s !== '' && !(Array.isArray(s) && s.length === 0),
    );
    if (sources.length > 1) throw badConfig('jwksUrl', 'jwksUrl, jwksFile and keys are exclusive: give one');
    const secret = options.secret ?? '';
    if (secret !== '' && Buffer.byteLength(secret, 'utf8') < 32) {
      throw badConfig('secret', 'must be at least 32 bytes');
    }
    this.secret = secret === '' ? undefined : new TextEncoder().encode(secret);
    if (sources.length === 0 && this.secret === undefined) {
      throw badConfig('jwksUrl', 'a key source is required (jwksUrl, jwksFile, keys or secret)');
    }

    const algorithms = [...(options.algorithms ?? DEFAULT_JWT_ALGORITHMS)];
    if (algorithms.length === 0) throw badConfig('algorithms', 'must not be empty');
    for (const alg of algorithms) {
      if ((HMAC_ALGORITHMS as readonly string[]).includes(alg)) {
        if (this.secret === undefined) throw badConfig('algorithms', `${alg} needs auth.jwt.secret`);
      } else if (!(ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg)) {
        // "none" included: unsigned tokens are never accepted.
        throw badConfig('algorithms', `"${alg}" is not an allowed algorithm`);
      }
    }
    if (
      sources.length > 0 &&
      !algorithms.some((a) => (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(a))
    ) {
      throw badConfig('algorithms', 'allows no algorithm for the JWKS keys');
    }
    this.algorithms = algorithms;

    const tolerance = options.clockToleranceSec ?? 30;
    if (!(Number.isFinite(tolerance) && tolerance >= 0 && tolerance <= 600)) {
      throw badConfig('clockToleranceSec', 'must be between 0 and 600');
    }

    if (options.jwksUrl !== undefined && options.jwksUrl !== '') {
      let url: URL;
      try {
        url = new URL(options.jwksUrl);
      } catch {
        throw badConfig('jwksUrl', 'is not a URL');
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:')
        throw badConfig('jwksUrl', 'must be http(s)');
      this.jwks = createRemoteJWKSet(url, {
        timeoutDuration: options.jwksTimeoutMs ?? 5000,
        cacheMaxAge: options.jwksCacheMaxAgeMs ?? 600_000,
        cooldownDuration: options.jwksCooldownMs ?? 30_000,
      });
    } else if (options.jwksFile !== undefined && options.jwksFile !== '') {
      let set: JSONWebKeySet;
      try {
        set = JSON.parse(readFileSync(options.jwksFile, 'utf8')) as JSONWebKeySet;
      } catch (cause) {
        throw new KaleidoError(
          'ERR_BAD_CONFIG',
          `auth.jwt.jwksFile cannot be read as a JWKS: ${options.jwksFile}`,
          {
            cause,
            details: { field: 'auth.jwt.jwksFile' },
          },
        );
      }
      this.jwks = localSet(set, 'jwksFile');
    } else if (options.keys !== undefined && options.keys.length > 0) {
      this.jwks = localSet({ keys: [...options.keys] }, 'keys');
    }
  }

  async verify(token: string): Promise<Principal> {
    const o = this.options;
    let payload: JWTPayload;
    try {
      const result = await jwtVerify(
        token,
        async (header, input) => {
          if (header.alg.startsWith('HS')) {
            if (this.secret === undefined) throw unauthenticated('hmac algorithm without a secret');
            return this.secret;
          }
          if (this.jwks === undefined) throw unauthenticated('no JWKS for an asymmetric algorithm');
          try {
            return await this.jwks(header, input);
          } catch (e) {
            // fetch() failing to reach the JWKS endpoint: the issuer's problem, not the token's.
            if (e instanceof errors.JOSEError) throw e;
            throw unavailable(e);
          }
        },
        {
          issuer: o.issuer,
          audience: [...o.audience],
          algorithms: this.algorithms,
          clockTolerance: o.clockToleranceSec ?? 30,
          requiredClaims: ['sub', 'exp'],
        },
      );
      payload = result.payload;
    } catch (e) {
      throw mapError(e);
    }

    const sub = payload.sub;
    if (typeof sub !== 'string' || sub === '' || sub.length > 256) throw unauthenticated('bad sub');
    const tenantValue = payload[o.tenantClaim ?? 'tenant'];
    const tenantId =
      typeof tenantValue === 'string' && tenantValue !== ''
        ? tenantValue
        : tenantValue === undefined && (o.defaultTenant ?? '') !== ''
          ? (o.defaultTenant as string)
          : undefined;
    if (tenantId === undefined) throw unauthenticated('no tenant claim');
    if (o.tenants !== undefined) {
      const tenant = await o.tenants.getTenant(tenantId);
      if (tenant === undefined || tenant.disabledAt !== null)
        throw unauthenticated('unknown or disabled tenant');
    }
    const role = pickRole(payload[o.roleClaim ?? 'roles']);
    if (role === undefined) {
      // Who the caller is, is proven; they just may do nothing here.
      throw new KaleidoError('ERR_PERMISSION_DENIED', 'the token grants no Kaleido role', {
        details: { reason: 'role' },
      });
    }
    return {
      kind: 'jwt',
      subject: sub,
      tenantId,
      role,
      scopes: pickScopes(payload[o.scopeClaim ?? 'scope']),
    };
  }
}

function localSet(set: JSONWebKeySet, field: string): JWTVerifyGetKey {
  if (set === null || typeof set !== 'object' || !Array.isArray(set.keys) || set.keys.length === 0) {
    throw badConfig(field, 'must hold at least one key ({"keys": [...]})');
  }
  for (const key of set.keys) {
    // A private key in a verification set is a leaked secret waiting to happen.
    if ('d' in key || key.kty === 'oct') throw badConfig(field, 'must hold public keys only');
  }
  return createLocalJWKSet(set);
}

const unavailable = (cause: unknown): KaleidoError =>
  new KaleidoError('ERR_UNAVAILABLE', "the token issuer's key set is unavailable", {
    cause,
    retryAfterSeconds: 5,
  });

function mapError(e: unknown): KaleidoError {
  if (e instanceof KaleidoError) return e;
  if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid) return unavailable(e);
  if (e instanceof errors.JOSEError) return unauthenticated(e.code);
  return unauthenticated(e instanceof Error ? e.name : 'invalid');
}
