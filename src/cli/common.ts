/** Shared CLI plumbing: the --url option, the client, and printing errors from the server. */
import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { KaleidoClient } from '@kaleido/client';
import { Agent, fetch as undiciFetch } from 'undici';

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

// ---- TLS options ----
/** `--ca`, on every command that talks to a server: trust this CA (PEM) for https URLs. */
export const caOption = () =>
  new Option(
    '--ca <file>',
    'CA certificate (PEM) to trust for an https --url, e.g. <data.dir>/tls/selfsigned-cert.pem (default: $KALEIDO_CA_FILE)',
  );

/** `--client-cert`/`--client-key`: the certificate a server with mutual TLS (server.tls.clientCaFile) asks for. */
export const clientCertOptions = () => [
  new Option(
    '--client-cert <file>',
    'client certificate (PEM) for mutual TLS (default: $KALEIDO_CLIENT_CERT)',
  ),
  new Option('--client-key <file>', 'private key (PEM) of --client-cert (default: $KALEIDO_CLIENT_KEY)'),
];

/** A file option of this command: the flag, else the environment variable, else none. */
function fileOf(cmd: Command, option: string, envName: string): string | undefined {
  const flag = cmd.optsWithGlobals()[option] as unknown;
  if (typeof flag === 'string' && flag !== '') return flag;
  const env = process.env[envName];
  return env === undefined || env === '' ? undefined : env;
}

/** The CA file for this command: --ca, else KALEIDO_CA_FILE, else none (the system's CAs). */
export const caFileOf = (cmd: Command): string | undefined => fileOf(cmd, 'ca', 'KALEIDO_CA_FILE');

function readOption(flag: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new Error(`${flag} ${file}: ${(e as Error).message}`);
  }
}

/**
 * fetch for this command: the global one, or with --ca undici's fetch through an Agent that
 * trusts that CA (certificates are still verified, hostnames included: never "insecure").
 */
export function fetchFor(cmd: Command): typeof fetch {
  const caFile = caFileOf(cmd);
  const certFile = fileOf(cmd, 'clientCert', 'KALEIDO_CLIENT_CERT');
  const keyFile = fileOf(cmd, 'clientKey', 'KALEIDO_CLIENT_KEY');
  if ((certFile === undefined) !== (keyFile === undefined)) {
    throw new Error('--client-cert and --client-key go together (mutual TLS)');
  }
  if (caFile === undefined && certFile === undefined) return globalThis.fetch;
  const dispatcher = new Agent({
    connect: {
      ...(caFile === undefined ? {} : { ca: readOption('--ca', caFile) }),
      ...(certFile === undefined || keyFile === undefined
        ? {}
        : { cert: readOption('--client-cert', certFile), key: readOption('--client-key', keyFile) }),
    },
  });
  return ((input: Parameters<typeof fetch>[0], init?: RequestInit) =>
    undiciFetch(input as never, { ...(init as object), dispatcher } as never)) as unknown as typeof fetch;
}

export const clientFor = (cmd: Command): KaleidoClient => {
  const apiKey = apiKeyOf(cmd);
  return new KaleidoClient({
    baseUrl: String(cmd.optsWithGlobals().url),
    timeoutMs: 120_000,
    ...(apiKey === undefined ? {} : { apiKey }),
    fetch: fetchFor(cmd), // TLS: --ca
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
