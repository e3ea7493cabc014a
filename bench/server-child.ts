/**
 * The server under test, started in its own process so that the load generator never shares its
 * event loop. Usage (by bench/lib/server-process.ts):
 *
 *   node --import tsx bench/server-child.ts '{"server.httpPort":"0", …}'
 *
 * The one argument is a JSON object of config overrides (dotted path → string, as loadConfig takes
 * them). Once every startup model is loaded, one line `{"ready":true,"httpPort":N,"grpcPort":M}` is
 * written to stdout; everything else goes to stderr. SIGTERM closes the server gracefully, so a
 * `--cpu-prof` profile is written on exit.
 */
import { pino } from 'pino';
import { loadConfig } from '../src/config/load.js';
import { startKaleido } from '../src/main.js';

const overrides = JSON.parse(process.argv[2] ?? '{}') as Record<string, string>;
const config = loadConfig({ overrides });
const running = await startKaleido(config, {
  logger: pino({ level: config.log.level }, pino.destination(2)),
});
process.stdout.write(
  `${JSON.stringify({ ready: true, httpPort: running.httpPort, grpcPort: running.grpcPort ?? null })}\n`,
);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  running.close().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`shutdown failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The parent going away (crash, Ctrl-C) closes our stdin: do not outlive it.
process.stdin.on('end', stop);
process.stdin.resume();
