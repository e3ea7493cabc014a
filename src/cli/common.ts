/** Shared CLI plumbing: the --url option, the client, and printing errors from the server. */
import { Option, type Command } from 'commander';
import { KaleidoClient } from '@kaleido/client';

export const urlOption = () =>
  new Option('--url <url>', 'base URL of the Kaleido server').default(
    process.env.KALEIDO_URL ?? 'http://127.0.0.1:8080',
  );

// ---- auth options ----
/**
 * `--api-key`, on every command that talks to a server. The KALEIDO_API_KEY fallback is read when
 * the command runs, not put in the option's default, so `--help` never prints a secret.
 */
export const apiKeyOption = () =>
  new Option('--api-key <key>', 'API key, sent as "Authorization: Bearer <key>" (default: $KALEIDO_API_KEY)');

/** The API key for this command: --api-key, else KALEIDO_API_KEY, else none. */
export function apiKeyOf(cmd: Command): string | undefined {
  const flag = cmd.optsWithGlobals().apiKey as unknown;
  if (typeof flag === 'string' && flag !== '') return flag;
  const env = process.env.KALEIDO_API_KEY;
  return env === undefined || env === '' ? undefined : env;
}

export const clientFor = (cmd: Command): KaleidoClient => {
  const apiKey = apiKeyOf(cmd);
  return new KaleidoClient({
    baseUrl: String(cmd.optsWithGlobals().url),
    timeoutMs: 120_000,
    ...(apiKey === undefined ? {} : { apiKey }),
  });
};

export function printTable(rows: ReadonlyArray<Record<string, string | number>>): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0] as object);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((s, i) => s.padEnd(width[i] as number))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${line(cols)}\n`);
  for (const r of rows) process.stdout.write(`${line(cols.map((c) => String(r[c] ?? '')))}\n`);
}
