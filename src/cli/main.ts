#!/usr/bin/env node
/**
 * `kaleido` — the command line. Thin over the services: `serve` starts the server in this process;
 * every other command talks to a running server through @kaleido/client.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { loadConfig, ENV_VARIABLES } from '../config/load.js';
import { KaleidoError } from '../core/errors.js';
import { packageVersion } from '../config/paths.js';
import { startKaleido } from '../main.js';
import { benchCommand } from './bench.js';
import { inferCommand } from './infer.js';
import { classifyCommand } from './classify.js';
import { lifecycleCommands } from './lifecycle.js';
import { modelsCommand } from './models.js';
// ---- auth options ----
import { apiKeyOption, caOption, clientCertOptions } from './common.js';
import { adminCommand } from './admin.js'; // encryption at rest: kaleido admin rewrap
import { auditCommand, keysCommand, tenantsCommand } from './keys.js';
import { usersCommand } from './users.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function buildCli(): Command {
  const program = new Command()
    .name('kaleido')
    .description('Kaleido: multi-modal inference server (Open Inference Protocol v2 over REST and gRPC).')
    .version(packageVersion())
    .showHelpAfterError();

  program
    .command('serve')
    .description('Start the server (HTTP and gRPC) with the models of the repositories.')
    .option('-c, --config <file>', 'YAML config file (also KALEIDO_CONFIG)')
    .option('--host <host>', 'interface to listen on (server.host)')
    .option('--http-port <port>', 'HTTP port (server.httpPort)')
    .option('--grpc-port <port>', 'gRPC port (server.grpcPort)')
    .option('--no-grpc', 'do not start the gRPC server')
    .option(
      '--model-repository <dir>',
      'model repository directory; repeat for several (models.repositories)',
      collect,
    )
    .option(
      '--startup-models <names>',
      'comma-separated models to load at start, "*" for all (models.startup)',
    )
    .option('--data-dir <dir>', 'data directory for the embedded stores (data.dir)')
    .option('--metadata-url <url>', 'metadata store: sqlite:<file> or postgres://… (metadata.url)')
    .addOption(
      new Option('--log-level <level>', 'log level (log.level)').choices([
        'fatal',
        'error',
        'warn',
        'info',
        'debug',
        'trace',
        'silent',
      ]),
    )
    .option(
      '--set <path=value>',
      'set any config field, e.g. --set server.maxJsonDepth=32; repeatable',
      collect,
    )
    .addHelpText(
      'after',
      `\nEnvironment variables (override the file, overridden by flags):\n${ENV_VARIABLES.map((v) => `  ${v.env.padEnd(36)} ${v.path}`).join('\n')}`,
    )
    .action(async (opts: Record<string, unknown>) => {
      const overrides: Record<string, string> = {};
      const flag = (name: string, path: string) => {
        if (typeof opts[name] === 'string') overrides[path] = opts[name] as string;
      };
      flag('host', 'server.host');
      flag('httpPort', 'server.httpPort');
      flag('grpcPort', 'server.grpcPort');
      flag('startupModels', 'models.startup');
      flag('dataDir', 'data.dir');
      flag('metadataUrl', 'metadata.url');
      flag('logLevel', 'log.level');
      if (opts.grpc === false) overrides['server.grpcEnabled'] = 'false';
      if (Array.isArray(opts.modelRepository))
        overrides['models.repositories'] = (opts.modelRepository as string[]).join(',');
      for (const kv of (opts.set as string[] | undefined) ?? []) {
        const i = kv.indexOf('=');
        if (i <= 0) throw new KaleidoError('ERR_BAD_CONFIG', `--set expects path=value, got "${kv}"`);
        overrides[kv.slice(0, i)] = kv.slice(i + 1);
      }
      const config = loadConfig({
        ...(typeof opts.config === 'string' ? { file: opts.config } : {}),
        env: process.env,
        overrides,
      });
      const running = await startKaleido(config);
      let signals = 0;
      const stop = (signal: string) => {
        signals += 1;
        if (signals > 1) {
          running.logger.warn({ signal }, 'second signal: exiting now');
          process.exit(1);
        }
        running.logger.info({ signal }, 'signal received');
        const timer = setTimeout(
          () => {
            running.logger.error({ graceMs: config.server.shutdownGraceMs }, 'graceful shutdown timed out');
            process.exit(1);
          },
          config.server.shutdownDrainDelayMs + config.server.shutdownGraceMs + 5_000,
        );
        timer.unref();
        running.close({ drainDelayMs: config.server.shutdownDrainDelayMs }).then(
          () => process.exit(0),
          (err: unknown) => {
            running.logger.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });

  program.addCommand(modelsCommand());
  program.addCommand(inferCommand());
  program.addCommand(classifyCommand());
  program.addCommand(benchCommand());
  // ---- auth options ----
  program.addCommand(keysCommand());
  program.addCommand(usersCommand());
  program.addCommand(tenantsCommand());
  program.addCommand(auditCommand());
  for (const c of lifecycleCommands()) program.addCommand(c);
  program.addCommand(adminCommand()); // encryption at rest
  addApiKeyOptions(program);
  return program;
}

// ---- auth options ----
/** Every command that talks to a server (it has --url) also takes --api-key. */
function addApiKeyOptions(command: Command): void {
  const options = command.options as ReadonlyArray<{ long?: string }>;
  if (options.some((o) => o.long === '--url') && !options.some((o) => o.long === '--api-key')) {
    command.addOption(apiKeyOption());
  }
  // TLS: the same commands take --ca (a private or self-signed CA for https URLs).
  if (options.some((o) => o.long === '--url') && !options.some((o) => o.long === '--ca')) {
    command.addOption(caOption());
    for (const option of clientCertOptions()) command.addOption(option); // mutual TLS
  }
  for (const sub of command.commands) addApiKeyOptions(sub);
}

/** True when this file is the program (directly, or through the npm bin symlink). */
function isMainModule(): boolean {
  try {
    return (
      process.argv[1] !== undefined &&
      realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))
    );
  } catch {
    return false;
  }
}

if (isMainModule()) {
  buildCli()
    .parseAsync(process.argv)
    .catch((err: unknown) => {
      const message =
        err instanceof KaleidoError
          ? `${err.code}: ${err.message}`
          : err instanceof Error
            ? err.message
            : String(err);
      process.stderr.write(`kaleido: ${message}\n`);
      process.exit(err instanceof KaleidoError && err.code === 'ERR_BAD_CONFIG' ? 2 : 1);
    });
}
