/**
 * `kaleido keys create|list|revoke`, `kaleido tenants create|list` and `kaleido audit` over the
 * security administration API (/v1/keys, /v1/tenants, /v1/audit). They need an admin key
 * (--api-key or KALEIDO_API_KEY). @kaleido/client has no calls for these routes yet, so this file
 * speaks the small JSON API itself.
 */
import { Command } from 'commander';
import { apiKeyOf, fetchFor, printTable, urlOption } from './common.js';

interface ApiKeyJson {
  id: string;
  tenantId: string;
  prefix: string;
  name: string;
  role: string;
  scopes: string[];
  createdAt: number;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** One JSON call; an error answer becomes an Error carrying the server's code and message. */
export async function call(cmd: Command, method: string, path: string, body?: unknown): Promise<unknown> {
  const base = String(cmd.optsWithGlobals().url).replace(/\/+$/, '');
  const apiKey = apiKeyOf(cmd);
  const res = await fetchFor(cmd)(`${base}${path}`, {
    method,
    headers: {
      ...(apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(60_000),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new Error(`${method} ${path}: HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
  }
  if (!res.ok) {
    const e = (parsed as { error?: { code?: string; message?: string } }).error;
    throw new Error(`${e?.code ?? `HTTP ${res.status}`}: ${e?.message ?? text.slice(0, 200)}`);
  }
  return parsed;
}

export const when = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());
export const query = (params: Record<string, string | undefined>): string => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
  const s = q.toString();
  return s === '' ? '' : `?${s}`;
};
const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `--expires-in <duration>`: 30d, 12h, 90m. */
export function parseDuration(text: string): number {
  const m = /^(\d{1,6})([dhm])$/.exec(text.trim());
  if (m === null) throw new Error(`--expires-in: expected a duration like 30d, 12h or 90m, got "${text}"`);
  const unit = { d: 86_400_000, h: 3_600_000, m: 60_000 }[m[2] as 'd' | 'h' | 'm'];
  return Number(m[1]) * unit;
}

export function keysCommand(): Command {
  const keys = new Command('keys').description('Create, list and revoke API keys (needs an admin key).');
  keys
    .command('create')
    .description('Create an API key. The key is printed once: it cannot be shown again.')
    .addOption(urlOption())
    .requiredOption('--name <name>', 'what the key is for')
    .requiredOption('--role <role>', 'admin | maintainer | operator | analyst | service')
    .option('--scope <resource:action>', 'narrow the key, e.g. model:infer; repeatable', collect)
    .option('--expires-in <duration>', 'lifetime, e.g. 90d, 12h')
    .option('--tenant <id>', 'tenant of the key (system administrators only; default: yours)')
    .option('--json', 'print JSON')
    .action(
      async (
        opts: {
          name: string;
          role: string;
          scope?: string[];
          expiresIn?: string;
          tenant?: string;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        const out = (await call(cmd, 'POST', '/v1/keys', {
          name: opts.name,
          role: opts.role,
          ...(opts.scope ? { scopes: opts.scope } : {}),
          ...(opts.expiresIn ? { expiresAt: Date.now() + parseDuration(opts.expiresIn) } : {}),
          ...(opts.tenant ? { tenant: opts.tenant } : {}),
        })) as { key: string; apiKey: ApiKeyJson };
        if (opts.json) return void process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
        process.stdout.write(
          `${out.key}\n` +
            `(id ${out.apiKey.id}, tenant ${out.apiKey.tenantId}, role ${out.apiKey.role}; shown once: store it now)\n`,
        );
      },
    );
  keys
    .command('list')
    .description('API keys of a tenant (never their secrets).')
    .addOption(urlOption())
    .option('--tenant <id>', 'tenant (system administrators only; default: yours)')
    .option('--all', 'include revoked keys')
    .option('--json', 'print JSON')
    .action(async (opts: { tenant?: string; all?: boolean; json?: boolean }, cmd: Command) => {
      const out = (await call(
        cmd,
        'GET',
        `/v1/keys${query({ tenant: opts.tenant, includeRevoked: opts.all ? 'true' : undefined })}`,
      )) as { apiKeys: ApiKeyJson[] };
      if (opts.json) return void process.stdout.write(`${JSON.stringify(out.apiKeys, null, 2)}\n`);
      printTable(
        out.apiKeys.map((k) => ({
          ID: k.id,
          PREFIX: `kal_${k.prefix}_…`,
          NAME: k.name,
          ROLE: k.role,
          SCOPES: k.scopes.join(',') || '*',
          EXPIRES: when(k.expiresAt),
          LAST_USED: when(k.lastUsedAt),
          REVOKED: when(k.revokedAt),
        })),
      );
    });
  keys
    .command('revoke <id>')
    .description('Revoke a key: the next request with it is refused.')
    .addOption(urlOption())
    .option('--tenant <id>', 'tenant of the key (system administrators only; default: yours)')
    .action(async (id: string, opts: { tenant?: string }, cmd: Command) => {
      await call(cmd, 'DELETE', `/v1/keys/${encodeURIComponent(id)}${query({ tenant: opts.tenant })}`);
      process.stdout.write(`revoked ${id}\n`);
    });
  return keys;
}

export function tenantsCommand(): Command {
  const tenants = new Command('tenants').description('Create and list tenants (system administrators).');
  tenants
    .command('create <id>')
    .description('Create a tenant; then give it an admin with `kaleido keys create --tenant <id>`.')
    .addOption(urlOption())
    .option('--name <name>', 'display name (default: the id)')
    .action(async (id: string, opts: { name?: string }, cmd: Command) => {
      await call(cmd, 'POST', '/v1/tenants', { id, name: opts.name ?? id });
      process.stdout.write(`created tenant ${id}\n`);
    });
  tenants
    .command('list')
    .description('Tenants visible to the caller.')
    .addOption(urlOption())
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const out = (await call(cmd, 'GET', '/v1/tenants')) as {
        tenants: { id: string; name: string; createdAt: number; disabledAt: number | null }[];
      };
      if (opts.json) return void process.stdout.write(`${JSON.stringify(out.tenants, null, 2)}\n`);
      printTable(
        out.tenants.map((t) => ({
          ID: t.id,
          NAME: t.name,
          CREATED: when(t.createdAt),
          DISABLED: when(t.disabledAt),
        })),
      );
    });
  return tenants;
}

export function auditCommand(): Command {
  return new Command('audit')
    .description('The audit log of administrative actions, newest first (admins).')
    .addOption(urlOption())
    .option('--tenant <id>', 'tenant (system administrators only; default: yours)')
    .option('--limit <n>', 'entries (1–1000)', '50')
    .option('--before <seq>', 'entries older than this sequence number')
    .option('--json', 'print JSON')
    .action(
      async (opts: { tenant?: string; limit: string; before?: string; json?: boolean }, cmd: Command) => {
        const out = (await call(
          cmd,
          'GET',
          `/v1/audit${query({ tenant: opts.tenant, limit: opts.limit, before: opts.before })}`,
        )) as {
          entries: {
            seq: number;
            at: number;
            actor: string;
            action: string;
            resourceType: string;
            resourceId: string | null;
            outcome: string;
            statusCode: number;
          }[];
        };
        if (opts.json) return void process.stdout.write(`${JSON.stringify(out.entries, null, 2)}\n`);
        printTable(
          out.entries.map((e) => ({
            SEQ: e.seq,
            AT: when(e.at),
            ACTOR: e.actor,
            ACTION: e.action,
            RESOURCE: `${e.resourceType}${e.resourceId === null ? '' : `/${e.resourceId}`}`,
            OUTCOME: e.outcome,
            STATUS: e.statusCode,
          })),
        );
      },
    );
}
