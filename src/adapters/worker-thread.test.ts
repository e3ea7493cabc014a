import type { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { KaleidoError } from '../core/errors.js';
import { fromWireError, PendingCalls, toWireError } from './worker-thread.js';

// startSiblingWorker is exercised by the worker tests of runtime-onnx, runtime-tfjs, image-tfjs and
// hf-transformers, which start real entries from sources.
describe('PendingCalls', () => {
  it('settles each call by id and keeps the worker ref’d only while a call is in flight', async () => {
    const refs: string[] = [];
    const worker = { ref: () => refs.push('ref'), unref: () => refs.push('unref') } as unknown as Worker;
    const calls = new PendingCalls<string>(() => worker);
    const a = calls.open();
    const b = calls.open();
    expect(a.id).not.toBe(b.id);
    calls.resolve(b.id, 'second');
    expect(refs).toEqual(['ref', 'ref']); // a is still pending: no unref yet
    calls.reject(a.id, new Error('boom'));
    expect(refs.at(-1)).toBe('unref');
    expect(await b.result).toBe('second');
    await expect(a.result).rejects.toThrow('boom');
    calls.resolve(a.id, 'late'); // an answer for a settled call is ignored
    const c = calls.open();
    calls.rejectAll(new KaleidoError('ERR_UNAVAILABLE', 'closed'));
    await expect(c.result).rejects.toMatchObject({ code: 'ERR_UNAVAILABLE' });
  });
});

describe('errors across a thread', () => {
  it('keep code, details, retry-after and cause; an unknown code becomes ERR_INTERNAL', () => {
    const original = new KaleidoError('ERR_RATE_LIMITED', 'slow down', {
      details: { scope: 'x' },
      retryAfterSeconds: 3,
      cause: new TypeError('inner'),
    });
    const back = fromWireError(structuredClone(toWireError(original)));
    expect(back).toMatchObject({ code: 'ERR_RATE_LIMITED', message: 'slow down', details: { scope: 'x' } });
    expect(back.retryAfterSeconds).toBe(3);
    expect((back.cause as Error).message).toBe('inner');
    // A detail that cannot be cloned is dropped rather than failing the answer.
    const odd = toWireError(new KaleidoError('ERR_INTERNAL', 'x', { details: { fn: () => 1 } }));
    expect(odd.details).toBeUndefined();
    expect(fromWireError({ code: 'ERR_FROM_THE_FUTURE', message: 'm' }).code).toBe('ERR_INTERNAL');
    expect(toWireError(new Error('plain')).code).toBe('ERR_INTERNAL');
  });
});
