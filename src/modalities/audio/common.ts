/** Small helpers shared by the audio analyzers. */
import { KaleidoError } from '../../core/errors.js';
import type { AnalyzeContext } from '../../core/ports/analyzer.js';

/** Throws ERR_CANCELLED when the caller has gone away. */
export function checkCancelled(ctx: AnalyzeContext | undefined, analyzer: string): void {
  if (ctx?.signal?.aborted === true) {
    throw new KaleidoError('ERR_CANCELLED', `audio analysis cancelled during ${analyzer}`, {
      details: { analyzer },
    });
  }
}

export const notInitialised = (analyzer: string): KaleidoError =>
  new KaleidoError('ERR_UNAVAILABLE', `audio analyzer ${analyzer} is not initialised`, {
    details: { analyzer },
  });
