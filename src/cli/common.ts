/** Shared CLI plumbing: the --url option, the client, and printing errors from the server. */
import { Option, type Command } from 'commander';
import { KaleidoClient } from '@kaleido/client';

export const urlOption = () =>
  new Option('--url <url>', 'base URL of the Kaleido server').default(
    process.env.KALEIDO_URL ?? 'http://127.0.0.1:8080',
  );

export const clientFor = (cmd: Command): KaleidoClient =>
  new KaleidoClient({ baseUrl: String(cmd.optsWithGlobals().url), timeoutMs: 120_000 });

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
