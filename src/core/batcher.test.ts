import { describe, expect, it } from 'vitest';
import { DynamicBatcher, validateBatcherConfig } from './batcher.js';
import type { BatchDoneEvent, BatchEvent, BatcherConfig, BatcherHooks, QueuedItem } from './batcher.js';
import { ManualClock } from './clock.js';
import { KaleidoError } from './errors.js';
import type { ErrorCode } from './errors.js';

const base: BatcherConfig = {
  mode: 'dynamic',
  maxBatchSize: 8,
  preferredBatchSizes: [],
  maxQueueDelayMs: 10,
  maxQueueSize: 100,
  priorityLevels: 2,
  defaultPriorityLevel: 2,
  defaultTimeoutMs: 0,
  maxConcurrentBatches: 1,
};

/** Lets promise chains (executor results, batcher bookkeeping, caller callbacks) run to the end. */
async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

interface Call {
  readonly items: readonly QueuedItem<string>[];
  readonly at: number;
  resolve(results: readonly string[]): void;
  reject(e: unknown): void;
}

/** A batcher whose executor waits until the test settles each call. */
function setup(overrides: Partial<BatcherConfig> = {}, hooks: BatcherHooks = {}) {
  const clock = new ManualClock();
  const calls: Call[] = [];
  const batcher = new DynamicBatcher<string, string>(
    { ...base, ...overrides },
    clock,
    (items) =>
      new Promise<readonly string[]>((resolve, reject) => {
        calls.push({ items, at: clock.now(), resolve, reject });
      }),
    hooks,
  );
  const payloads = (i: number): string[] => (calls[i]?.items ?? []).map((it) => it.payload);
  /** Completes call i with an echo of its payloads. */
  const finish = async (i: number): Promise<void> => {
    const call = calls[i];
    if (!call) throw new Error(`no call ${i}`);
    call.resolve(call.items.map((it) => `r:${it.payload}`));
    await flush();
  };
  const advance = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await flush();
  };
  return { clock, calls, batcher, payloads, finish, advance };
}

/** Records how a promise settled, so the test never leaves a rejection unhandled. */
function track<T>(p: Promise<T>): { value?: T; error?: KaleidoError; settled: boolean } {
  const out: { value?: T; error?: KaleidoError; settled: boolean } = { settled: false };
  p.then(
    (v) => {
      out.value = v;
      out.settled = true;
    },
    (e: KaleidoError) => {
      out.error = e;
      out.settled = true;
    },
  );
  return out;
}

describe('DynamicBatcher configuration', () => {
  it('accepts a valid config', () => {
    expect(() => validateBatcherConfig(base)).not.toThrow();
  });

  it.each<[Partial<BatcherConfig>, string]>([
    [{ mode: 'sometimes' as 'none' }, 'mode'],
    [{ maxBatchSize: 0 }, 'maxBatchSize'],
    [{ maxBatchSize: 2.5 }, 'maxBatchSize'],
    [{ preferredBatchSizes: 'x' as unknown as number[] }, 'preferredBatchSizes'],
    [{ preferredBatchSizes: [9] }, 'preferredBatchSizes'],
    [{ preferredBatchSizes: [0] }, 'preferredBatchSizes'],
    [{ maxQueueDelayMs: -1 }, 'maxQueueDelayMs'],
    [{ maxQueueDelayMs: Infinity }, 'maxQueueDelayMs'],
    [{ maxQueueSize: 0 }, 'maxQueueSize'],
    [{ priorityLevels: 0 }, 'priorityLevels'],
    [{ defaultPriorityLevel: 3 }, 'defaultPriorityLevel'],
    [{ defaultTimeoutMs: Number.NaN }, 'defaultTimeoutMs'],
    [{ maxConcurrentBatches: 0 }, 'maxConcurrentBatches'],
  ])('rejects %o with ERR_BAD_CONFIG naming %s', (override, field) => {
    const make = () => new DynamicBatcher({ ...base, ...override }, new ManualClock(), async () => []);
    expect(make).toThrow(KaleidoError);
    try {
      make();
    } catch (e) {
      expect((e as KaleidoError).code).toBe('ERR_BAD_CONFIG');
      expect((e as KaleidoError).details?.field).toBe(field);
    }
  });
});

describe('DynamicBatcher admission', () => {
  it('rejects bad options with ERR_VALIDATION and too many rows with ERR_BATCH_TOO_LARGE', async () => {
    const rejects: ErrorCode[] = [];
    const { batcher, clock } = setup({}, { onReject: (c) => rejects.push(c) });
    const cases: [unknown, ErrorCode, string | undefined][] = [
      [{ rows: 0 }, 'ERR_VALIDATION', 'rows'],
      [{ rows: 1.5 }, 'ERR_VALIDATION', 'rows'],
      [{ rows: 1, priority: 0 }, 'ERR_VALIDATION', 'priority'],
      [{ rows: 1, priority: 3 }, 'ERR_VALIDATION', 'priority'],
      [{ rows: 1, timeoutMs: -5 }, 'ERR_VALIDATION', 'timeoutMs'],
      [null, 'ERR_VALIDATION', 'options'],
      [{ rows: 9 }, 'ERR_BATCH_TOO_LARGE', undefined],
    ];
    for (const [options, code, field] of cases) {
      const err = await batcher.submit('x', options as { rows: number }).catch((e: KaleidoError) => e);
      expect(err).toBeInstanceOf(KaleidoError);
      expect((err as KaleidoError).code).toBe(code);
      if (field) expect((err as KaleidoError).details?.field).toBe(field);
    }
    expect(rejects).toEqual(cases.map((c) => c[1]));
    expect(batcher.queueDepth).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('rejects ERR_QUEUE_FULL with retryAfterSeconds once maxQueueSize requests wait', async () => {
    const { batcher, calls, finish, advance } = setup({
      maxQueueSize: 3,
      maxBatchSize: 2,
      maxQueueDelayMs: 0,
    });
    // Learn a batch duration of 4 s so the Retry-After estimate has something to go on.
    const first = track(batcher.submit('warm', { rows: 2 }));
    await flush();
    await advance(4000);
    await finish(0);
    expect(first.value).toBe('r:warm');

    const busy = track(batcher.submit('busy', { rows: 2 })); // occupies the only instance
    await flush();
    expect(calls).toHaveLength(2);
    const queued = ['a', 'b', 'c'].map((p) => track(batcher.submit(p, { rows: 2 })));
    await flush();
    expect(batcher.queueDepth).toBe(3);
    expect(batcher.queuedRows).toBe(6);
    const err = await batcher.submit('d', { rows: 1, priority: 1 }).catch((e: KaleidoError) => e);
    expect(err).toBeInstanceOf(KaleidoError);
    expect((err as KaleidoError).code).toBe('ERR_QUEUE_FULL');
    // 3 batches queued + 1 executing on 1 instance at ~4 s each → 16 s.
    expect((err as KaleidoError).retryAfterSeconds).toBe(16);
    expect(batcher.queueDepth).toBe(3);
    // A full queue never evicts: the queued requests still complete.
    await finish(1);
    await finish(2);
    await finish(3);
    await finish(4);
    expect(busy.value).toBe('r:busy');
    expect(queued.map((q) => q.value)).toEqual(['r:a', 'r:b', 'r:c']);
  });

  it('estimates retryAfterSeconds as at least 1 and at most 60', async () => {
    const { batcher, finish, advance } = setup({ maxQueueSize: 1, maxBatchSize: 1, maxQueueDelayMs: 0 });
    const noHistory = track(batcher.submit('a', { rows: 1 }));
    track(batcher.submit('b', { rows: 1 }));
    const early = await batcher.submit('c', { rows: 1 }).catch((e: KaleidoError) => e);
    expect((early as KaleidoError).retryAfterSeconds).toBe(1);
    await flush();
    await advance(500_000);
    await finish(0);
    expect(noHistory.value).toBe('r:a');
    track(batcher.submit('running', { rows: 1 }));
    await flush();
    track(batcher.submit('waiting', { rows: 1 }));
    const late = await batcher.submit('d', { rows: 1 }).catch((e: KaleidoError) => e);
    expect((late as KaleidoError).code).toBe('ERR_QUEUE_FULL');
    expect((late as KaleidoError).retryAfterSeconds).toBe(60);
  });

  it('sweeps aborted requests out of a full queue before refusing', async () => {
    const { batcher, calls } = setup({ maxQueueSize: 2 });
    const signal = { aborted: false };
    const dead = track(batcher.submit('dead', { rows: 1, signal }));
    const alive = track(batcher.submit('alive', { rows: 1 }));
    signal.aborted = true;
    const next = track(batcher.submit('next', { rows: 1 }));
    await flush();
    expect(dead.error?.code).toBe('ERR_CANCELLED');
    expect(next.error).toBeUndefined();
    expect(batcher.queueDepth).toBe(2);
    expect(alive.settled).toBe(false);
    expect(calls).toHaveLength(0);
  });

  it('rejects a request whose signal is already aborted without queueing it', async () => {
    const { batcher, clock } = setup({ defaultTimeoutMs: 100 });
    const err = await batcher
      .submit('x', { rows: 1, signal: { aborted: true } })
      .catch((e: KaleidoError) => e);
    expect((err as KaleidoError).code).toBe('ERR_CANCELLED');
    expect(batcher.queueDepth).toBe(0);
    expect(clock.pending).toBe(0);
  });
});

describe('DynamicBatcher batch formation (dynamic)', () => {
  it('waits maxQueueDelayMs from the oldest request, then executes what is queued', async () => {
    const { batcher, calls, payloads, advance, clock } = setup({ maxQueueDelayMs: 10 });
    track(batcher.submit('a', { rows: 1 }));
    await advance(4);
    track(batcher.submit('b', { rows: 2 }));
    await advance(5);
    expect(calls).toHaveLength(0);
    expect(clock.pending).toBe(1); // one batching timer, nothing else
    await advance(1);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.at).toBe(10);
    expect(payloads(0)).toEqual(['a', 'b']);
    expect(clock.pending).toBe(0);
  });

  it('executes immediately when the queue reaches maxBatchSize rows', async () => {
    const { batcher, calls, payloads } = setup({ maxBatchSize: 4, maxQueueDelayMs: 1000 });
    track(batcher.submit('a', { rows: 3 }));
    await flush();
    expect(calls).toHaveLength(0);
    track(batcher.submit('b', { rows: 1 }));
    await flush();
    expect(payloads(0)).toEqual(['a', 'b']);
  });

  it('executes immediately when the next request cannot fit, never splitting it', async () => {
    const { batcher, calls, payloads, advance } = setup({ maxBatchSize: 4, maxQueueDelayMs: 1000 });
    track(batcher.submit('a', { rows: 3 }));
    track(batcher.submit('b', { rows: 3 }));
    await flush();
    expect(payloads(0)).toEqual(['a']);
    expect(calls[0]?.items.map((i) => i.rows)).toEqual([3]);
    // 'b' is alone now; it waits its own delay for companions.
    await advance(999);
    expect(calls).toHaveLength(1);
  });

  it('executes the largest achievable preferred batch size at once', async () => {
    const { batcher, calls, payloads, finish } = setup({
      maxBatchSize: 8,
      preferredBatchSizes: [2, 4],
      maxQueueDelayMs: 1000,
      maxConcurrentBatches: 1,
    });
    // Occupy the instance so several requests pile up.
    track(batcher.submit('x', { rows: 2 }));
    await flush();
    expect(payloads(0)).toEqual(['x']); // 2 is preferred: no waiting
    for (const p of ['a', 'b', 'c', 'd', 'e']) track(batcher.submit(p, { rows: 1 }));
    await flush();
    expect(calls).toHaveLength(1);
    await finish(0);
    // 5 rows queued: prefixes of 2 and 4 are preferred; 4 wins, 'e' stays.
    expect(payloads(1)).toEqual(['a', 'b', 'c', 'd']);
    expect(batcher.queueDepth).toBe(1);
  });

  it('executes at once with maxQueueDelayMs = 0, batching same-turn arrivals', async () => {
    const { batcher, payloads, clock } = setup({ maxQueueDelayMs: 0 });
    track(batcher.submit('a', { rows: 1 }));
    track(batcher.submit('b', { rows: 1 }));
    await flush();
    expect(payloads(0)).toEqual(['a', 'b']);
    expect(clock.now()).toBe(0);
  });

  it('keeps queueing while instances are busy and forms a larger batch when one frees', async () => {
    const { batcher, calls, payloads, finish, advance } = setup({
      maxQueueDelayMs: 5,
      maxConcurrentBatches: 2,
    });
    track(batcher.submit('a', { rows: 1 }));
    await advance(5);
    track(batcher.submit('b', { rows: 1 }));
    await advance(5);
    expect(calls).toHaveLength(2);
    expect(batcher.inFlightBatches).toBe(2);
    for (const p of ['c', 'd', 'e']) track(batcher.submit(p, { rows: 1 }));
    await advance(20); // long past the delay, but no instance is free
    expect(calls).toHaveLength(2);
    expect(batcher.queueDepth).toBe(3);
    await finish(1);
    expect(payloads(2)).toEqual(['c', 'd', 'e']);
    expect(calls[2]?.at).toBe(30);
  });

  it('orders by priority, FIFO within a level', async () => {
    const { batcher, payloads, finish } = setup({ maxBatchSize: 3, maxQueueDelayMs: 0, priorityLevels: 3 });
    track(batcher.submit('first', { rows: 3 }));
    await flush();
    track(batcher.submit('low1', { rows: 1, priority: 3 }));
    track(batcher.submit('mid1', { rows: 1, priority: 2 }));
    track(batcher.submit('high1', { rows: 1, priority: 1 }));
    track(batcher.submit('low2', { rows: 1, priority: 3 }));
    track(batcher.submit('high2', { rows: 1, priority: 1 }));
    await finish(0);
    expect(payloads(1)).toEqual(['high1', 'high2', 'mid1']);
    await finish(1);
    expect(payloads(2)).toEqual(['low1', 'low2']);
  });

  it('passes items with rows, priority and enqueue time and reports batch events', async () => {
    const events: BatchEvent[] = [];
    const done: BatchDoneEvent[] = [];
    const { batcher, calls, finish, advance } = setup(
      { maxQueueDelayMs: 10 },
      { onBatch: (e) => events.push(e), onBatchDone: (e) => done.push(e) },
    );
    track(batcher.submit('a', { rows: 2 }));
    await advance(3);
    track(batcher.submit('b', { rows: 3, priority: 1 }));
    await advance(7);
    expect(calls[0]?.items).toEqual([
      { payload: 'b', rows: 3, priority: 1, enqueuedAt: 3 },
      { payload: 'a', rows: 2, priority: 2, enqueuedAt: 0 },
    ]);
    expect(events).toEqual([{ size: 2, rows: 5, startedAt: 10, queueWaitsMs: [7, 10] }]);
    await advance(6);
    await finish(0);
    expect(done).toEqual([{ size: 2, rows: 5, startedAt: 10, durationMs: 6, ok: true }]);
  });
});

describe('DynamicBatcher mode none', () => {
  it('runs each request alone as soon as an instance is free', async () => {
    const { batcher, calls, payloads, finish, clock } = setup({
      mode: 'none',
      maxQueueDelayMs: 1000,
      maxConcurrentBatches: 2,
    });
    const results = ['a', 'b', 'c'].map((p) => track(batcher.submit(p, { rows: 2 })));
    track(batcher.submit('urgent', { rows: 1, priority: 1 }));
    await flush();
    expect(calls.map((_, i) => payloads(i))).toEqual([['urgent'], ['a']]);
    expect(clock.pending).toBe(0); // no batching delay in this mode
    await finish(1);
    expect(payloads(2)).toEqual(['b']);
    await finish(0);
    await finish(2);
    await finish(3);
    expect(results.map((r) => r.value)).toEqual(['r:a', 'r:b', 'r:c']);
  });

  it('skips cancelled and expired requests', async () => {
    const { batcher, payloads, finish, advance } = setup({ mode: 'none' });
    track(batcher.submit('busy', { rows: 1 }));
    await flush();
    const signal = { aborted: false };
    const cancelled = track(batcher.submit('c', { rows: 1, signal }));
    const expired = track(batcher.submit('e', { rows: 1, timeoutMs: 5 }));
    track(batcher.submit('ok', { rows: 1 }));
    signal.aborted = true;
    await advance(5);
    await finish(0);
    expect(payloads(1)).toEqual(['ok']);
    expect(cancelled.error?.code).toBe('ERR_CANCELLED');
    expect(expired.error?.code).toBe('ERR_TIMEOUT');
  });
});

describe('DynamicBatcher deadlines and cancellation', () => {
  it('rejects ERR_TIMEOUT a request whose deadline passes in the queue and never executes it', async () => {
    const rejects: ErrorCode[] = [];
    const { batcher, calls, payloads, finish, advance, clock } = setup(
      { maxQueueDelayMs: 0 },
      { onReject: (c) => rejects.push(c) },
    );
    track(batcher.submit('busy', { rows: 1 }));
    await flush();
    const late = track(batcher.submit('late', { rows: 1, timeoutMs: 10 }));
    const patient = track(batcher.submit('patient', { rows: 1 }));
    await advance(9);
    expect(late.settled).toBe(false);
    expect(clock.pending).toBe(1);
    await advance(1);
    expect(late.error?.code).toBe('ERR_TIMEOUT');
    expect(late.error?.details).toEqual({ timeoutMs: 10 });
    expect(rejects).toEqual(['ERR_TIMEOUT']);
    expect(clock.pending).toBe(0);
    await finish(0);
    expect(payloads(1)).toEqual(['patient']);
    await finish(1);
    expect(patient.value).toBe('r:patient');
    expect(calls.flatMap((c) => c.items.map((i) => i.payload))).not.toContain('late');
  });

  it('applies defaultTimeoutMs when a request has none (or 0) and clears the timer once executing', async () => {
    const { batcher, clock, calls, advance, finish } = setup({ defaultTimeoutMs: 50, maxQueueDelayMs: 10 });
    const a = track(batcher.submit('a', { rows: 1 }));
    const b = track(batcher.submit('b', { rows: 1, timeoutMs: 0 }));
    await flush();
    expect(clock.pending).toBe(3); // two deadlines + the batching delay
    await advance(10);
    expect(calls).toHaveLength(1);
    expect(clock.pending).toBe(0);
    await advance(100); // past the deadline, but already executing: no timeout
    await finish(0);
    expect([a.value, b.value]).toEqual(['r:a', 'r:b']);
  });

  it('times out a request at formation when its deadline coincides with the batch', async () => {
    const { batcher, payloads, advance } = setup({ maxQueueDelayMs: 10 });
    const a = track(batcher.submit('a', { rows: 1, timeoutMs: 10 }));
    track(batcher.submit('b', { rows: 1 }));
    await advance(10);
    expect(a.error?.code).toBe('ERR_TIMEOUT');
    expect(payloads(0)).toEqual(['b']);
  });

  it('drops a request whose signal is aborted when its batch forms', async () => {
    const { batcher, payloads, advance } = setup({ maxQueueDelayMs: 10 });
    const signal = { aborted: false };
    const a = track(batcher.submit('a', { rows: 1, signal }));
    const b = track(batcher.submit('b', { rows: 1 }));
    await advance(5);
    signal.aborted = true;
    await advance(5);
    expect(a.error?.code).toBe('ERR_CANCELLED');
    expect(payloads(0)).toEqual(['b']);
    expect(b.settled).toBe(false);
  });

  it('removes an AbortSignal request from the queue as soon as it aborts', async () => {
    const { batcher, clock, calls, advance } = setup({ maxQueueDelayMs: 10, defaultTimeoutMs: 100 });
    const controller = new AbortController();
    const a = track(batcher.submit('a', { rows: 1, signal: controller.signal }));
    await flush();
    expect(batcher.queueDepth).toBe(1);
    controller.abort();
    await flush();
    expect(a.error?.code).toBe('ERR_CANCELLED');
    expect(batcher.queueDepth).toBe(0);
    expect(clock.pending).toBe(0); // deadline and batching timers released
    await advance(100);
    expect(calls).toHaveLength(0);
  });

  it('ignores an abort after execution started', async () => {
    const { batcher, finish, advance } = setup({ maxQueueDelayMs: 0 });
    const controller = new AbortController();
    const a = track(batcher.submit('a', { rows: 1, signal: controller.signal }));
    await advance(0);
    controller.abort();
    await finish(0);
    expect(a.value).toBe('r:a');
  });
});

describe('DynamicBatcher execution results', () => {
  it('splits results back exactly, item i gets result i', async () => {
    const { batcher, calls } = setup({ maxQueueDelayMs: 0 });
    const out = ['a', 'b', 'c'].map((p, i) => track(batcher.submit(p, { rows: i + 1 })));
    await flush();
    calls[0]?.resolve(['one', 'two', 'three']);
    await flush();
    expect(out.map((o) => o.value)).toEqual(['one', 'two', 'three']);
  });

  it('rejects every item with a KaleidoError from the executor as is', async () => {
    const { batcher, calls } = setup({ maxQueueDelayMs: 0 });
    const out = ['a', 'b'].map((p) => track(batcher.submit(p, { rows: 1 })));
    await flush();
    const error = new KaleidoError('ERR_UNAVAILABLE', 'runtime down');
    calls[0]?.reject(error);
    await flush();
    expect(out.map((o) => o.error)).toEqual([error, error]);
  });

  it('wraps other executor errors, rejected or thrown, as ERR_INTERNAL', async () => {
    const clock = new ManualClock();
    const done: BatchDoneEvent[] = [];
    const thrower = new DynamicBatcher<string, string>(
      { ...base, maxQueueDelayMs: 0 },
      clock,
      () => {
        throw new TypeError('boom');
      },
      { onBatchDone: (e) => done.push(e) },
    );
    const out = track(thrower.submit('a', { rows: 1 }));
    await flush();
    expect(out.error?.code).toBe('ERR_INTERNAL');
    expect(out.error?.cause).toBeInstanceOf(TypeError);
    expect(done[0]?.ok).toBe(false);

    const { batcher, calls } = setup({ maxQueueDelayMs: 0 });
    const r = track(batcher.submit('b', { rows: 1 }));
    await flush();
    calls[0]?.reject('a string');
    await flush();
    expect(r.error?.code).toBe('ERR_INTERNAL');
  });

  it('rejects every item ERR_INTERNAL when the executor returns the wrong number of results', async () => {
    const { batcher, calls, payloads } = setup({ maxQueueDelayMs: 0 });
    const out = ['a', 'b'].map((p) => track(batcher.submit(p, { rows: 1 })));
    await flush();
    calls[0]?.resolve(['only one']);
    await flush();
    expect(out.map((o) => o.error?.code)).toEqual(['ERR_INTERNAL', 'ERR_INTERNAL']);
    expect(out[0]?.error?.details).toEqual({ expected: 2, received: 1 });
    // The instance is free again: the next request runs.
    const next = track(batcher.submit('c', { rows: 1 }));
    await flush();
    expect(payloads(1)).toEqual(['c']);
    calls[1]?.resolve(null as unknown as string[]);
    await flush();
    expect(next.error?.details).toEqual({ expected: 1, received: 'object' });
  });

  it('survives hooks that throw', async () => {
    const throwing = () => {
      throw new Error('observer bug');
    };
    const { batcher, finish } = setup(
      { maxQueueDelayMs: 0 },
      { onBatch: throwing, onBatchDone: throwing, onReject: throwing },
    );
    const bad = track(batcher.submit('x', { rows: 0 }));
    const ok = track(batcher.submit('a', { rows: 1 }));
    await flush();
    await finish(0);
    expect(bad.error?.code).toBe('ERR_VALIDATION');
    expect(ok.value).toBe('r:a');
  });
});

describe('DynamicBatcher shutdown', () => {
  it('drain() refuses new work, flushes the queue without delay and resolves when idle', async () => {
    const { batcher, calls, payloads, finish, clock } = setup({ maxQueueDelayMs: 1000, maxBatchSize: 2 });
    const queued = ['a', 'b', 'c'].map((p) => track(batcher.submit(p, { rows: 1 })));
    await flush();
    expect(calls).toHaveLength(1); // 'c' cannot fit behind a full batch of 2
    let drained = false;
    void batcher.drain().then(() => (drained = true));
    expect(batcher.state).toBe('draining');
    const refused = await batcher.submit('late', { rows: 1 }).catch((e: KaleidoError) => e);
    expect((refused as KaleidoError).code).toBe('ERR_SHUTTING_DOWN');
    await finish(0);
    expect(payloads(1)).toEqual(['c']); // no 1000 ms wait for companions
    expect(drained).toBe(false);
    await finish(1);
    expect(drained).toBe(true);
    expect(queued.map((q) => q.value)).toEqual(['r:a', 'r:b', 'r:c']);
    expect(clock.pending).toBe(0);
    await expect(batcher.drain()).resolves.toBeUndefined();
  });

  it('close() rejects queued requests ERR_SHUTTING_DOWN at once and lets executing ones finish', async () => {
    const { batcher, finish, clock } = setup({ maxQueueDelayMs: 0, maxBatchSize: 1, defaultTimeoutMs: 500 });
    const running = track(batcher.submit('a', { rows: 1 }));
    await flush();
    const waiting = ['b', 'c'].map((p) => track(batcher.submit(p, { rows: 1 })));
    let drained = false;
    void batcher.drain().then(() => (drained = true));
    batcher.close('maintenance');
    await flush();
    expect(batcher.state).toBe('closed');
    expect(waiting.map((w) => w.error?.code)).toEqual(['ERR_SHUTTING_DOWN', 'ERR_SHUTTING_DOWN']);
    expect(waiting[0]?.error?.message).toContain('maintenance');
    expect(batcher.queueDepth).toBe(0);
    expect(clock.pending).toBe(0);
    expect(drained).toBe(false);
    await finish(0);
    expect(running.value).toBe('r:a');
    expect(drained).toBe(true);
    const refused = await batcher.submit('d', { rows: 1 }).catch((e: KaleidoError) => e);
    expect((refused as KaleidoError).code).toBe('ERR_SHUTTING_DOWN');
  });

  it('drain() on an idle batcher resolves at once', async () => {
    const { batcher } = setup();
    await expect(batcher.drain()).resolves.toBeUndefined();
    batcher.close();
    expect(batcher.state).toBe('closed');
  });
});
