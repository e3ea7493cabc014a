/** pocketsphinx adapter: the SpeechRecognizer port over the Debian pocketsphinx CLI. */
export {
  PocketsphinxRecognizer,
  DEFAULT_MODEL_DIR,
  parseTimedWords,
  toPcm16,
  type PocketsphinxOptions,
} from './pocketsphinx-recognizer.js';
