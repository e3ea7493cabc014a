/** soundswallower adapter: the CommandRecognizer port (grammar-constrained, wasm, worker thread). */
export {
  SoundswallowerCommands,
  DEFAULT_COMMANDS,
  commandsGrammar,
  type SoundswallowerOptions,
} from './soundswallower-commands.js';
