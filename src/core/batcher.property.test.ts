/**
 * Property tests: random arrival schedules, sizes, priorities, deadlines, cancellations, instance
 * counts and executor durations, simulated on a ManualClock one millisecond at a time. Each run
 * records a trace; each property below checks one rule of the contract in batcher.ts against it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DynamicBatcher } from './batcher.js';
import type { BatcherConfig, QueuedItem } from './batcher.js';
import { ManualClock } from './clock.js';
import { KaleidoError } from './errors.js';
import type { ErrorCode } from './errors.js';

const RUNS = 200;

interface Arrival {
  /** Ms after the previous arrival. */
  readonly gap: number;
  readonly rows: number;
  readonly priority: number | undefined;
  readonly timeoutMs: number | undefined;
  /** Ms after submit at which the caller aborts; undefined: never. */
  readonly cancelAfter: number | undefined;
  /** AbortController (listened to) or a plain flag object (seen only at batch formation). */
  readonly controller: boolean;
}

interface Scenario {
  readonly config: BatcherConfig;
  readonly arrivals: readonly Arrival[];
  /** Executor duration per batch, cycled; 0 resolves without a timer. */
  readonly durations: readonly number[];
  /** Batches whose index (mod length) is marked fail reject with ERR_UNAVAILABLE. */
  readonly failures: readonly boolean[];
  readonly end: { readonly kind: 'none' | 'drain' | 'close'; readonly at: number };
}

const scenarioArb: fc.Arbitrary<Scenario> = fc
  .record({
    dynamic: fc.integer({ min: 0, max: 4 }).map((n) => n > 0),
    maxBatchSize: fc.integer({ min: 1, max: 8 }),
    preferred: fc.array(fc.integer({ min: 1, max: 8 }), { maxLength: 3 }),
    maxQueueDelayMs: fc.integer({ min: 0, max: 6 }),
    maxQueueSize: fc.integer({ min: 1, max: 12 }),
    priorityLevels: fc.integer({ min: 1, max: 3 }),
    defaultPriority: fc.integer({ min: 1, max: 3 }),
    defaultTimeoutMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 20 })),
    maxConcurrentBatches: fc.integer({ min: 1, max: 3 }),
    arrivals: fc.array(
      fc.record({
        // Bursts (gap 0) make batches; longer gaps let the batching delay run out.
        gap: fc.oneof(
          { arbitrary: fc.constant(0), weight: 3 },
          { arbitrary: fc.integer({ min: 1, max: 6 }), weight: 2 },
        ),
        // Mostly small requests; now and then one over maxBatchSize (0 stands for "too large").
        rows: fc.oneof(
          { arbitrary: fc.integer({ min: 1, max: 3 }), weight: 12 },
          { arbitrary: fc.constant(0), weight: 1 },
        ),
        priority: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
        timeoutMs: fc.option(fc.integer({ min: 0, max: 25 }), { nil: undefined, freq: 3 }),
        cancelAfter: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined, freq: 4 }),
        controller: fc.boolean(),
      }),
      { maxLength: 40, size: 'medium' },
    ),
    durations: fc.array(fc.integer({ min: 0, max: 8 }), { minLength: 1, maxLength: 8 }),
    failures: fc.array(
      fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
      { minLength: 1, maxLength: 8 },
    ),
    endKind: fc.constantFrom<'none' | 'drain' | 'close'>('none', 'none', 'none', 'drain', 'close'),
    endAt: fc.integer({ min: 0, max: 80 }),
  })
  .map((r) => {
    const levels = r.priorityLevels;
    const config: BatcherConfig = {
      mode: r.dynamic ? 'dynamic' : 'none',
      maxBatchSize: r.maxBatchSize,
      preferredBatchSizes: r.preferred.filter((p) => p <= r.maxBatchSize),
      maxQueueDelayMs: r.maxQueueDelayMs,
      maxQueueSize: r.maxQueueSize,
      priorityLevels: levels,
      defaultPriorityLevel: ((r.defaultPriority - 1) % levels) + 1,
      defaultTimeoutMs: r.defaultTimeoutMs,
      maxConcurrentBatches: r.maxConcurrentBatches,
    };
    const arrivals = r.arrivals.map((a) => ({
      ...a,
      rows: a.rows === 0 ? r.maxBatchSize + 1 : Math.min(a.rows, r.maxBatchSize),
      priority: a.priority === undefined ? undefined : ((a.priority - 1) % levels) + 1,
    }));
    return {
      config,
      arrivals,
      durations: r.durations,
      failures: r.failures,
      end: { kind: r.endKind, at: r.endAt },
    };
  });

interface Payload {
  readonly id: number;
}

interface Request {
  readonly id: number;
  readonly payload: Payload;
  readonly priority: number;
  readonly submittedAt: number;
  readonly deadline: number | undefined;
  accepted: boolean;
  aborted: boolean;
  started: boolean;
  settleCount: number;
  value?: { echo: Payload };
  error?: KaleidoError;
}

interface BatchRecord {
  readonly ids: number[];
  readonly rows: number;
  readonly startedAt: number;
  readonly failed: boolean;
  /** Ids of requests queued, alive and left out when this batch started. */
  readonly leftOut: number[];
}

interface Trace {
  readonly scenario: Scenario;
  readonly requests: Request[];
  readonly batches: BatchRecord[];
  /** Human-readable breaches of the delay rule, observed while an instance was free. */
  readonly delayBreaches: string[];
  readonly maxQueueDepth: number;
  readonly finished: boolean;
  readonly pendingTimers: number;
}

/** One macrotask turn: every queued microtask (executor results, bookkeeping, callbacks) runs. */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function simulate(scenario: Scenario): Promise<Trace> {
  const { config } = scenario;
  const clock = new ManualClock();
  const requests: Request[] = [];
  const batches: BatchRecord[] = [];
  const delayBreaches: string[] = [];
  let maxQueueDepth = 0;

  const isQueued = (r: Request): boolean => r.accepted && !r.started && r.settleCount === 0;
  const isAlive = (r: Request, now: number): boolean =>
    isQueued(r) && !r.aborted && (r.deadline === undefined || now < r.deadline);

  // Cancelled requests that a submit sweeps out of a full queue (to tell acceptance from depth).
  let swept = 0;
  const hooks = { onReject: (code: ErrorCode) => void (code === 'ERR_CANCELLED' && (swept += 1)) };
  const batcher = new DynamicBatcher<Payload, { echo: Payload }>(
    config,
    clock,
    (items: readonly QueuedItem<Payload>[]) => {
      const index = batches.length;
      const now = clock.now();
      const ids = items.map((it) => it.payload.id);
      for (const id of ids) (requests[id] as Request).started = true;
      const failed = scenario.failures[index % scenario.failures.length] === true;
      batches.push({
        ids,
        rows: items.reduce((sum, it) => sum + it.rows, 0),
        startedAt: now,
        failed,
        leftOut: requests.filter((r) => isAlive(r, now)).map((r) => r.id),
      });
      maxQueueDepth = Math.max(maxQueueDepth, batcher.queueDepth);
      const answer = (): readonly { echo: Payload }[] => {
        if (failed) throw new KaleidoError('ERR_UNAVAILABLE', `batch ${index} failed`);
        return items.map((it) => ({ echo: it.payload }));
      };
      const duration = scenario.durations[index % scenario.durations.length] as number;
      if (duration === 0) return Promise.resolve().then(answer);
      return new Promise((resolve, reject) => {
        clock.setTimer(duration, () => {
          try {
            resolve(answer());
          } catch (e) {
            reject(e);
          }
        });
      });
    },
    hooks,
  );

  const observe = (): void => {
    const now = clock.now();
    maxQueueDepth = Math.max(maxQueueDepth, batcher.queueDepth);
    if (batcher.inFlightBatches >= config.maxConcurrentBatches) return;
    for (const r of requests) {
      // Time moves in whole milliseconds: still waiting once the delay is reached means it waits past it.
      if (isQueued(r) && now - r.submittedAt >= config.maxQueueDelayMs) {
        delayBreaches.push(`t=${now}: request ${r.id} queued since ${r.submittedAt} with an instance free`);
      }
    }
  };

  // Arrival times and cancellation times on the integer timeline.
  let t = 0;
  const schedule = scenario.arrivals.map((a) => (t += a.gap));
  const signals: { abort(): void }[] = [];
  const cancelAt = new Map<number, number[]>();
  let next = 0;
  let ended = false;

  const submitDue = (): void => {
    const now = clock.now();
    while (next < scenario.arrivals.length && (schedule[next] as number) <= now) {
      const arrival = scenario.arrivals[next] as Arrival;
      const id = next++;
      const payload: Payload = { id };
      const timeoutMs = arrival.timeoutMs || config.defaultTimeoutMs;
      const request: Request = {
        id,
        payload,
        priority: arrival.priority ?? config.defaultPriorityLevel,
        submittedAt: now,
        deadline: timeoutMs > 0 ? now + timeoutMs : undefined,
        accepted: false,
        aborted: false,
        started: false,
        settleCount: 0,
      };
      requests.push(request);
      let signal: { readonly aborted: boolean } | undefined;
      if (arrival.cancelAfter !== undefined) {
        if (arrival.controller) {
          const controller = new AbortController();
          signal = controller.signal;
          signals[id] = {
            abort: () => {
              request.aborted = true;
              controller.abort();
            },
          };
        } else {
          const flag = { aborted: false };
          signal = flag;
          signals[id] = {
            abort: () => {
              request.aborted = true;
              flag.aborted = true;
            },
          };
        }
        const at = now + arrival.cancelAfter;
        cancelAt.set(at, [...(cancelAt.get(at) ?? []), id]);
      }
      const before = batcher.queueDepth;
      swept = 0;
      // Every submit must be answered, accepted or not: both outcomes are counted.
      batcher
        .submit(payload, {
          rows: arrival.rows,
          ...(arrival.priority !== undefined ? { priority: arrival.priority } : {}),
          ...(arrival.timeoutMs !== undefined ? { timeoutMs: arrival.timeoutMs } : {}),
          ...(signal ? { signal } : {}),
        })
        .then(
          (value) => {
            request.settleCount += 1;
            request.value = value;
          },
          (error: KaleidoError) => {
            request.settleCount += 1;
            request.error = error;
          },
        );
      request.accepted = batcher.queueDepth === before - swept + 1;
      maxQueueDepth = Math.max(maxQueueDepth, batcher.queueDepth);
    }
  };

  const step = async (): Promise<void> => {
    const now = clock.now();
    if (!ended && scenario.end.kind !== 'none' && now >= scenario.end.at) {
      ended = true;
      if (scenario.end.kind === 'drain') void batcher.drain();
      else batcher.close('test');
    }
    submitDue();
    // After submitting, so that cancelAfter = 0 aborts in the same millisecond as the submit.
    for (const id of cancelAt.get(now) ?? []) signals[id]?.abort();
    cancelAt.delete(now);
    await flush();
    observe();
  };

  await step();
  const limit = (schedule.at(-1) ?? 0) + 400;
  let finished = false;
  while (clock.now() < limit) {
    clock.advance(1);
    await flush();
    await step();
    const allAnswered = next === scenario.arrivals.length && requests.every((r) => r.settleCount > 0);
    if (allAnswered && batcher.inFlightBatches === 0 && batcher.queueDepth === 0 && cancelAt.size === 0) {
      finished = true;
      break;
    }
  }
  return {
    scenario,
    requests,
    batches,
    delayBreaches,
    maxQueueDepth,
    finished,
    pendingTimers: clock.pending,
  };
}

const property = (check: (trace: Trace) => void) =>
  fc.asyncProperty(scenarioArb, async (scenario) => check(await simulate(scenario)));

describe('DynamicBatcher properties', () => {
  it('(1) no batch exceeds maxBatchSize rows; mode none runs one request per batch', async () => {
    await fc.assert(
      property(({ batches, scenario }) => {
        for (const b of batches) {
          expect(b.rows).toBeLessThanOrEqual(scenario.config.maxBatchSize);
          expect(b.ids.length).toBeGreaterThan(0);
          if (scenario.config.mode === 'none') expect(b.ids).toHaveLength(1);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('(2) while an instance is free no queued request waits past maxQueueDelayMs', async () => {
    await fc.assert(
      property(({ delayBreaches }) => {
        expect(delayBreaches).toEqual([]);
      }),
      { numRuns: RUNS },
    );
  });

  it('(3) every request gets exactly one answer; none lost, none executed twice or after rejection', async () => {
    await fc.assert(
      property(({ requests, batches, finished, pendingTimers }) => {
        expect(finished).toBe(true);
        expect(pendingTimers).toBe(0);
        for (const r of requests) expect(r.settleCount).toBe(1);
        const executed = batches.flatMap((b) => b.ids);
        expect(new Set(executed).size).toBe(executed.length);
        for (const id of executed) {
          const r = requests[id] as Request;
          expect(r.accepted).toBe(true);
          // An executed request is answered by its batch, never by a queue-side rejection.
          if (r.error) expect(r.error.code).toBe('ERR_UNAVAILABLE');
        }
        const queueSide: ErrorCode[] = ['ERR_TIMEOUT', 'ERR_CANCELLED', 'ERR_SHUTTING_DOWN'];
        for (const r of requests) {
          if (!r.started) {
            expect(r.value).toBeUndefined();
            expect(
              r.accepted ? queueSide : [...queueSide, 'ERR_BATCH_TOO_LARGE', 'ERR_QUEUE_FULL'],
            ).toContain(r.error?.code);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('(4) each caller receives the result computed for its own payload', async () => {
    await fc.assert(
      property(({ requests, batches }) => {
        for (const b of batches) {
          for (const id of b.ids) {
            const r = requests[id] as Request;
            if (b.failed) {
              expect(r.error?.code).toBe('ERR_UNAVAILABLE');
            } else {
              expect(r.value?.echo).toBe(r.payload);
            }
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('(5) queue depth never exceeds maxQueueSize', async () => {
    await fc.assert(
      property(({ maxQueueDepth, scenario }) => {
        expect(maxQueueDepth).toBeLessThanOrEqual(scenario.config.maxQueueSize);
      }),
      { numRuns: RUNS },
    );
  });

  it('(6) FIFO start order within a priority level, and no lower level ahead of a waiting higher one', async () => {
    await fc.assert(
      property(({ requests, batches }) => {
        const lastStarted = new Map<number, number>();
        for (const b of batches) {
          for (const id of b.ids) {
            const priority = (requests[id] as Request).priority;
            expect(id).toBeGreaterThan(lastStarted.get(priority) ?? -1);
            lastStarted.set(priority, id);
          }
          const lowest = Math.max(...b.ids.map((id) => (requests[id] as Request).priority));
          for (const id of b.leftOut) {
            expect((requests[id] as Request).priority).toBeGreaterThanOrEqual(lowest);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });
});
