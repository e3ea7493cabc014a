/** `kaleido models list|load|unload|info` over the model_repository and metadata APIs. */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { clientFor, printTable, urlOption } from './common.js';

export function modelsCommand(): Command {
  const models = new Command('models').description(
    'List, load, unload and inspect models on a running server.',
  );
  models
    .command('list')
    .description('Every model in the repositories with its state.')
    .addOption(urlOption())
    .option('--ready', 'only ready models')
    .option('--json', 'print JSON')
    .action(async (opts: { ready?: boolean; json?: boolean }, cmd: Command) => {
      const index = await clientFor(cmd).repositoryIndex({ ready: opts.ready === true });
      if (opts.json) return void process.stdout.write(`${JSON.stringify(index, null, 2)}\n`);
      printTable(
        index.map((e) => ({
          MODEL: e.name,
          VERSION: e.version ?? '-',
          STATE: e.state ?? '',
          REASON: e.reason ?? '',
        })),
      );
    });
  models
    .command('load <model>')
    .description('Load or reload a model (atomic swap: in-flight requests finish on the old version).')
    .addOption(urlOption())
    .option('--config <file>', 'JSON model config to use instead of the one in the repository')
    .action(async (model: string, opts: { config?: string }, cmd: Command) => {
      const config = opts.config ? (JSON.parse(readFileSync(opts.config, 'utf8')) as object) : undefined;
      await clientFor(cmd).loadModel(model, config ? { config } : {});
      process.stdout.write(`loaded ${model}\n`);
    });
  models
    .command('unload <model>')
    .description('Unload a model (queued requests finish first).')
    .addOption(urlOption())
    .action(async (model: string, _opts: unknown, cmd: Command) => {
      await clientFor(cmd).unloadModel(model);
      process.stdout.write(`unloaded ${model}\n`);
    });
  models
    .command('info <model>')
    .description('Metadata, config and statistics of a model.')
    .addOption(urlOption())
    .option('--version <version>', 'model version')
    .action(async (model: string, opts: { version?: string }, cmd: Command) => {
      const client = clientFor(cmd);
      const [metadata, config, stats] = await Promise.all([
        client.modelMetadata(model, opts.version),
        client.modelConfig(model, opts.version),
        client.modelStatistics(model, opts.version),
      ]);
      process.stdout.write(`${JSON.stringify({ metadata, config, stats }, null, 2)}\n`);
    });
  return models;
}
