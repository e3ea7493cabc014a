/**
 * Versioned policy storage and lookup.
 *
 * Every stored policy carries its declared version and a content hash (SHA-256 of its canonical
 * JSON), and both travel into every decision, so a statement of reasons names exactly the policy
 * text that produced it. Old versions stay retrievable for audits; lookups use the latest.
 * A declared version can be stored once: the same id and version with different content is
 * rejected, because two different texts under one version would make statements ambiguous.
 *
 * The interface is synchronous on purpose: policies are few and small, loaded at start and on
 * reload, and read on every request. A database-backed store would load into this one.
 */
import { createHash } from 'node:crypto';
import { KaleidoError } from '../core/errors.js';
import type { Policy } from '../core/safety/policy/index.js';

/** Where content is being moderated. */
export interface PolicyScope {
  readonly tenant?: string;
  readonly route?: string;
  readonly pipeline?: string;
}

export interface PolicyStore {
  /** Stores a validated policy (its content hash is computed here) and returns the stored copy. */
  put(policy: Policy): Policy;
  /** A policy by id: the given version, or the latest. */
  get(id: string, version?: string): Policy | undefined;
  /** Every stored version of `id`, oldest first. */
  versions(id: string): readonly Policy[];
  /** The latest version of every policy, by id. */
  list(): readonly Policy[];
  /**
   * The policy for a scope, most specific first: the tenant's policy for the pipeline, for the
   * route, the tenant's default; then the same three among tenant-less policies. Throws
   * ERR_BAD_CONFIG when nothing applies (there is no default policy): unmoderated is never implicit.
   */
  resolve(scope: PolicyScope): Policy;
}

/** JSON with object keys sorted at every level, so equal content hashes equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** `sha256:<hex>` of the policy's canonical JSON, ignoring any hash already on it. */
export function policyContentHash(policy: Policy): string {
  const { contentHash: _ignored, ...content } = policy;
  return `sha256:${createHash('sha256').update(canonicalJson(content)).digest('hex')}`;
}

/** Numeric comparison of dotted versions: 1.10 > 1.9, 2 = 2.0.0. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

const isDefaultScope = (p: Policy): boolean =>
  (p.appliesTo.routes ?? []).length === 0 && (p.appliesTo.pipelines ?? []).length === 0;

export class InMemoryPolicyStore implements PolicyStore {
  private readonly byId = new Map<string, Policy[]>();

  constructor(policies: readonly Policy[] = []) {
    for (const p of policies) this.put(p);
  }

  put(policy: Policy): Policy {
    const stored = deepFreeze({ ...structuredClone(policy), contentHash: policyContentHash(policy) });
    const history = this.byId.get(policy.id) ?? [];
    const same = history.find((p) => compareVersions(p.version, policy.version) === 0);
    if (same !== undefined) {
      if (same.contentHash === stored.contentHash) return same;
      throw new KaleidoError(
        'ERR_ALREADY_EXISTS',
        `policy ${policy.id} version ${policy.version} already exists with different content; bump the version`,
        { details: { field: 'version', id: policy.id, version: policy.version } },
      );
    }
    this.checkConflicts(stored);
    this.byId.set(
      policy.id,
      [...history, stored].sort((a, b) => compareVersions(a.version, b.version)),
    );
    return stored;
  }

  get(id: string, version?: string): Policy | undefined {
    const history = this.byId.get(id) ?? [];
    if (version === undefined) return history[history.length - 1];
    return history.find((p) => compareVersions(p.version, version) === 0);
  }

  versions(id: string): readonly Policy[] {
    return [...(this.byId.get(id) ?? [])];
  }

  list(): readonly Policy[] {
    return [...this.byId.keys()].sort().map((id) => this.get(id) as Policy);
  }

  resolve(scope: PolicyScope): Policy {
    const latest = this.list();
    const tiers: Array<(p: Policy) => boolean> = [];
    for (const tenant of scope.tenant !== undefined ? [scope.tenant, undefined] : [undefined]) {
      const ofTenant = (p: Policy): boolean => p.tenant === tenant;
      if (scope.pipeline !== undefined) {
        const pipeline = scope.pipeline;
        tiers.push((p) => ofTenant(p) && (p.appliesTo.pipelines ?? []).includes(pipeline));
      }
      if (scope.route !== undefined) {
        const route = scope.route;
        tiers.push((p) => ofTenant(p) && (p.appliesTo.routes ?? []).includes(route));
      }
      tiers.push((p) => ofTenant(p) && isDefaultScope(p));
    }
    for (const tier of tiers) {
      // checkConflicts guarantees at most one policy per tier.
      const found = latest.find(tier);
      if (found !== undefined) return found;
    }
    throw new KaleidoError(
      'ERR_BAD_CONFIG',
      'no moderation policy applies here and no default policy is loaded',
      {
        details: { field: 'policies', ...scope },
      },
    );
  }

  /**
   * Two different policies may not claim the same scope (same tenant and a shared route or
   * pipeline, or both the tenant's default): lookups must never depend on load order.
   */
  private checkConflicts(candidate: Policy): void {
    for (const other of this.list()) {
      if (other.id === candidate.id || other.tenant !== candidate.tenant) continue;
      const shared = (
        a: readonly string[] | undefined,
        b: readonly string[] | undefined,
      ): string | undefined => (a ?? []).find((x) => (b ?? []).includes(x));
      const clash =
        isDefaultScope(candidate) && isDefaultScope(other)
          ? 'the default scope'
          : (((r) => (r !== undefined ? `route ${r}` : undefined))(
              shared(candidate.appliesTo.routes, other.appliesTo.routes),
            ) ??
            ((q) => (q !== undefined ? `pipeline ${q}` : undefined))(
              shared(candidate.appliesTo.pipelines, other.appliesTo.pipelines),
            ));
      if (clash !== undefined) {
        throw new KaleidoError(
          'ERR_BAD_CONFIG',
          `appliesTo: policy ${candidate.id} and policy ${other.id} both claim ${clash}${
            candidate.tenant !== undefined ? ` for tenant ${candidate.tenant}` : ''
          }`,
          { details: { field: 'appliesTo', id: candidate.id, conflictsWith: other.id } },
        );
      }
    }
  }
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
