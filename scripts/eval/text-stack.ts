/**
 * The text analyzers wired with their real adapters and a real serving stack (filesystem model
 * repository, onnxruntime, model manager, inference service) that serves the bundled
 * spam_classifier — the same wiring main.ts does, for the evaluation and the integration test.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSystemClock } from '../../src/adapters/clock-system/system-clock.js';
import { LibphonenumberPhoneValidator } from '../../src/adapters/pii-phone-libphonenumber/index.js';
import { createFsModelSource } from '../../src/adapters/repository-fs/fs-model-source.js';
import { OnnxRuntime } from '../../src/adapters/runtime-onnx/onnx-runtime.js';
import { Cld3LanguageIdentifier } from '../../src/adapters/text-cld3/index.js';
import { CompromiseEntities } from '../../src/adapters/text-compromise/index.js';
import { ObscenityProfanity } from '../../src/adapters/text-obscenity/index.js';
import { WinkEntities, WinkNlp, WinkSentiment } from '../../src/adapters/text-wink/index.js';
import { silentLogger } from '../../src/core/ports/logger.js';
import { noopServingMetrics } from '../../src/core/ports/metrics.js';
import { defaultRecognizers, PiiAnalyzer } from '../../src/core/safety/pii/index.js';
import { createTextAnalyzers, type TextAnalyzers } from '../../src/modalities/text/registry.js';
import { SPAM_MODEL } from '../../src/modalities/text/spam.js';
import { KaleidoInferenceService } from '../../src/serving/inference-service.js';
import { ModelManager } from '../../src/serving/model-manager.js';

export const BUNDLED_MODELS = join(fileURLToPath(new URL('../..', import.meta.url)), 'models', 'bundled');

export interface TextStack {
  readonly analyzers: TextAnalyzers;
  readonly inference: KaleidoInferenceService;
  close(): Promise<void>;
}

export async function createTextStack(options: { repository?: string } = {}): Promise<TextStack> {
  const clock = createSystemClock();
  const manager = new ModelManager({
    source: createFsModelSource([options.repository ?? BUNDLED_MODELS]),
    runtime: new OnnxRuntime(),
    clock,
    epochMs: Date.now,
    metrics: noopServingMetrics,
    logger: silentLogger,
    defaultIntraOpThreads: 1,
    defaultInterOpThreads: 1,
  });
  const inference = new KaleidoInferenceService(manager, {
    name: 'kaleido',
    version: 'eval',
    clock,
    epochMs: Date.now,
    metrics: noopServingMetrics,
  });
  await inference.loadModel(SPAM_MODEL);
  inference.markStartupComplete();
  const wink = new WinkNlp();
  const analyzers = createTextAnalyzers({
    language: new Cld3LanguageIdentifier(),
    sentiment: new WinkSentiment(wink),
    entities: [new WinkEntities(wink), new CompromiseEntities()],
    pii: new PiiAnalyzer({
      recognizers: defaultRecognizers({ phoneValidator: new LibphonenumberPhoneValidator() }),
    }),
    profanity: new ObscenityProfanity(),
    inference,
  });
  await analyzers.init();
  return {
    analyzers,
    inference,
    close: async () => {
      await analyzers.close();
      await manager.shutdown();
    },
  };
}
