/**
 * `kaleido admin rewrap`: re-wraps every data key of the encrypted artifacts under the active
 * key-encryption key (POST /v1/admin/encryption/rewrap; system administrators). Waits for the run
 * and prints its counts unless --no-wait; afterwards the retired key can be removed from the
 * configuration. `kaleido admin rewrap --status` shows the last run.
 */
import { Command } from 'commander';
import { apiKeyOf, fetchFor, urlOption } from './common.js';

interface RewrapReport {
  state: string;
  activeKeyId: string;
  scanned: number;
  rewrapped: number;
  encrypted: number;
  current: number;
  skipped: number;
  failed: number;
  failures: Array<{ key: string; code: string; message: string }>;
  error?: string;
}

export function adminCommand(): Command {
  const admin = new Command('admin').description('platform administration (system administrators)');
  admin
    .command('rewrap')
    .description('re-wrap the data keys of encrypted artifacts under the active encryption key')
    .addOption(urlOption())
    .option('--no-wait', 'start the run in the background and return at once')
    .option('--status', 'show the state and counts of the last run instead of starting one')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { wait: boolean; status?: boolean; json?: boolean }, cmd: Command) => {
      const base = String(cmd.optsWithGlobals().url).replace(/\/+$/, '');
      const apiKey = apiKeyOf(cmd);
      const path = `/v1/admin/encryption/rewrap${opts.status === true ? '' : opts.wait ? '?wait=true' : ''}`;
      const res = await fetchFor(cmd)(`${base}${path}`, {
        method: opts.status === true ? 'GET' : 'POST',
        headers: apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` },
        // A large store takes a while; the server keeps going if this client gives up.
        signal: AbortSignal.timeout(3_600_000),
      });
      const text = await res.text();
      let body: { rewrap?: RewrapReport; error?: { code?: string; message?: string } };
      try {
        body = JSON.parse(text) as typeof body;
      } catch {
        throw new Error(`HTTP ${res.status}, not JSON: ${text.slice(0, 200)}`);
      }
      if (!res.ok || body.rewrap === undefined) {
        throw new Error(
          `${body.error?.code ?? `HTTP ${res.status}`}: ${body.error?.message ?? text.slice(0, 200)}`,
        );
      }
      const r = body.rewrap;
      if (opts.json === true) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      } else {
        process.stdout.write(
          `rewrap ${r.state} (active key ${r.activeKeyId}): scanned ${r.scanned}, rewrapped ${r.rewrapped}, ` +
            `encrypted ${r.encrypted}, already current ${r.current}, skipped ${r.skipped}, failed ${r.failed}\n`,
        );
        for (const f of r.failures) process.stdout.write(`  failed: ${f.key}: ${f.code}: ${f.message}\n`);
        if (r.error !== undefined) process.stdout.write(`  error: ${r.error}\n`);
      }
      if (r.state === 'failed' || r.failed > 0) process.exitCode = 1;
    });
  return admin;
}
