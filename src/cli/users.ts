/**
 * `kaleido users create|list|disable|enable|passwd` over /v1/users: console users (username and
 * password) of a tenant, for signing in to the web console. They need an admin key (--api-key or
 * KALEIDO_API_KEY). A password is never taken as a command-line argument (it would show in `ps`
 * and shell history): it is read from the first line of stdin with --password-stdin, or from the
 * KALEIDO_USER_PASSWORD environment variable.
 */
import { Command } from 'commander';
import { printTable, urlOption } from './common.js';
import { call, query, when } from './keys.js';

interface UserJson {
  id: string;
  tenantId: string;
  username: string;
  role: string;
  createdAt: number;
  passwordChangedAt: number;
  disabledAt: number | null;
}

async function readPassword(opts: { passwordStdin?: boolean }): Promise<string> {
  if (opts.passwordStdin === true) {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
    const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
    if (line === '') throw new Error('--password-stdin: stdin held no password');
    return line;
  }
  const env = process.env['KALEIDO_USER_PASSWORD'];
  if (env !== undefined && env !== '') return env;
  throw new Error('give the password with --password-stdin or KALEIDO_USER_PASSWORD (never as an argument)');
}

const printUser = (u: UserJson): void => {
  process.stdout.write(
    `${u.username} (id ${u.id}, tenant ${u.tenantId}, role ${u.role}${u.disabledAt === null ? '' : ', disabled'})\n`,
  );
};

export function usersCommand(): Command {
  const users = new Command('users').description(
    'Create, list, disable and reset console users (needs an admin key).',
  );
  users
    .command('create <username>')
    .description('Create a console user (password from --password-stdin or KALEIDO_USER_PASSWORD).')
    .addOption(urlOption())
    .requiredOption('--role <role>', 'admin | maintainer | operator | analyst | service')
    .option('--tenant <id>', 'tenant of the user (system administrators only; default: yours)')
    .option('--password-stdin', 'read the password from the first line of stdin')
    .option('--json', 'print JSON')
    .action(
      async (
        username: string,
        opts: { role: string; tenant?: string; passwordStdin?: boolean; json?: boolean },
        cmd: Command,
      ) => {
        const password = await readPassword(opts);
        const out = (await call(cmd, 'POST', '/v1/users', {
          username,
          password,
          role: opts.role,
          ...(opts.tenant ? { tenant: opts.tenant } : {}),
        })) as { user: UserJson };
        if (opts.json) return void process.stdout.write(`${JSON.stringify(out.user, null, 2)}\n`);
        printUser(out.user);
      },
    );
  users
    .command('list')
    .description('Console users of a tenant (never their password hashes).')
    .addOption(urlOption())
    .option('--tenant <id>', 'tenant (system administrators only; default: yours)')
    .option('--json', 'print JSON')
    .action(async (opts: { tenant?: string; json?: boolean }, cmd: Command) => {
      const out = (await call(cmd, 'GET', `/v1/users${query({ tenant: opts.tenant })}`)) as {
        users: UserJson[];
      };
      if (opts.json) return void process.stdout.write(`${JSON.stringify(out.users, null, 2)}\n`);
      printTable(
        out.users.map((u) => ({
          ID: u.id,
          USERNAME: u.username,
          ROLE: u.role,
          CREATED: when(u.createdAt),
          PASSWORD_CHANGED: when(u.passwordChangedAt),
          DISABLED: when(u.disabledAt),
        })),
      );
    });
  for (const [name, disabled, text] of [
    ['disable', true, 'Disable a user: sign-in refused, their sessions end at once.'],
    ['enable', false, 'Enable a disabled user again.'],
  ] as const) {
    users
      .command(`${name} <id>`)
      .description(text)
      .addOption(urlOption())
      .option('--tenant <id>', 'tenant of the user (system administrators only; default: yours)')
      .action(async (id: string, opts: { tenant?: string }, cmd: Command) => {
        const out = (await call(
          cmd,
          'PATCH',
          `/v1/users/${encodeURIComponent(id)}${query({ tenant: opts.tenant })}`,
          {
            disabled,
          },
        )) as { user: UserJson };
        printUser(out.user);
      });
  }
  users
    .command('role <id> <role>')
    .description("Change a user's role (admin, maintainer, operator, analyst, service); ends their sessions.")
    .addOption(urlOption())
    .option('--tenant <id>', 'tenant of the user (system administrators only; default: yours)')
    .action(async (id: string, role: string, opts: { tenant?: string }, cmd: Command) => {
      const out = (await call(
        cmd,
        'PATCH',
        `/v1/users/${encodeURIComponent(id)}${query({ tenant: opts.tenant })}`,
        { role },
      )) as { user: UserJson };
      printUser(out.user);
    });
  users
    .command('passwd <id>')
    .description(
      "Reset a user's password (from --password-stdin or KALEIDO_USER_PASSWORD); ends their sessions.",
    )
    .addOption(urlOption())
    .option('--tenant <id>', 'tenant of the user (system administrators only; default: yours)')
    .option('--password-stdin', 'read the password from the first line of stdin')
    .action(async (id: string, opts: { tenant?: string; passwordStdin?: boolean }, cmd: Command) => {
      const password = await readPassword(opts);
      const out = (await call(
        cmd,
        'POST',
        `/v1/users/${encodeURIComponent(id)}/password${query({ tenant: opts.tenant })}`,
        { password },
      )) as { user: UserJson };
      process.stdout.write(`password changed for ${out.user.username}; their sessions were ended\n`);
    });
  return users;
}
