/**
 * Dynamic batcher, Triton-style: requests for one model version queue here and leave as batches
 * executed by the model's instances. Pure: time only through the injected Clock, no I/O.
 *
 * The contract (tests in batcher.test.ts and batcher.property.test.ts hold it):
 *
 * Admission (`submit`), in this order:
 * - after `drain()` or `close()`: reject ERR_SHUTTING_DOWN;
 * - `rows` not an integer ≥ 1, `priority` not an integer in 1..priorityLevels, `timeoutMs` not a
 *   finite number ≥ 0: reject ERR_VALIDATION (details name the field);
 * - `rows` > maxBatchSize: reject ERR_BATCH_TOO_LARGE (a request is never split across batches);
 * - `signal.aborted` already true: reject ERR_CANCELLED, nothing is queued;
 * - maxQueueSize requests already waiting: reject ERR_QUEUE_FULL with `retryAfterSeconds` (≥ 1, an
 *   estimate from recent batch durations and the queue ahead). A higher-priority request does not
 *   evict a queued lower-priority one: evicting would turn an accepted request into a failure the
 *   caller already waited for, and the newcomer can retry just as well. Queued requests whose
 *   signal was aborted are swept out first, so a dead request never causes a refusal.
 *   Every refusal is reported to `hooks.onReject(code)` and returned as a rejected promise (submit
 *   never throws).
 *
 * Order: priority 1 is the highest; batches are filled from the highest level down, FIFO within a
 * level. A batch is a prefix of that order: a request that does not fit the rows left ends the
 * batch (nothing behind it overtakes it), which keeps FIFO per level and per-caller fairness.
 *
 * Deadlines: `timeoutMs` (absent or 0: `defaultTimeoutMs`; 0 there too: none, as Triton treats a
 * zero request timeout as "not set"). A request still queued when its deadline arrives rejects
 * ERR_TIMEOUT and is never executed. A deadline does not interrupt a batch already executing.
 *
 * Cancellation: a request whose `signal.aborted` is true when a batch is formed is dropped with
 * ERR_CANCELLED before execution. Signals that are event targets (AbortSignal) are also listened
 * to, so an aborted request leaves the queue at once and frees its slot; the listener is removed
 * when the request leaves the queue. Once executing, a request is no longer cancellable here.
 *
 * Batch formation (whenever an instance is free, i.e. fewer than maxConcurrentBatches execute):
 * - mode 'none': the first request in priority order runs alone, immediately.
 * - mode 'dynamic', with `rows` the rows of the largest prefix that fits maxBatchSize:
 *   1. rows = maxBatchSize → execute it now;
 *   2. some prefix sums to a preferred batch size → execute the largest such prefix now;
 *   3. the next request does not fit (the batch cannot grow by waiting) → execute now;
 *   4. the batcher is draining (no more requests will come), or the oldest queued request has
 *      waited maxQueueDelayMs → execute what is there;
 *   5. otherwise arm one timer for the moment the oldest request reaches maxQueueDelayMs.
 *   With no preferred sizes, maxBatchSize is the only preferred size (as in Triton). With
 *   maxQueueDelayMs = 0 requests execute as soon as an instance is free.
 *   While all instances are busy requests keep queueing; when one frees the next batch forms at
 *   once if the oldest request already waited long enough (it may then be larger).
 * - Arrivals are looked at one microtask after `submit`, so requests submitted in the same
 *   synchronous run (a loop over frames, one event-loop turn) can share a batch even with a zero
 *   delay. Clock time does not move in between.
 *
 * Execution: the executor receives the items in batch order and must resolve one result per item,
 * in the same order; item i's caller gets result i. If it rejects (or throws), every caller in the
 * batch rejects with that error (KaleidoError as is, anything else via toKaleidoError). A result
 * that is not an array of exactly the batch length is a bug: every caller rejects ERR_INTERNAL.
 *
 * Shutdown: `drain()` stops admission and resolves once queued and executing requests finished
 * (queued ones are batched without waiting for companions). `close(reason)` stops admission and
 * rejects everything queued with ERR_SHUTTING_DOWN at once; executing batches still complete.
 *
 * Timers: at most one batching timer plus one deadline timer per queued request; each is cleared
 * as soon as it is no longer needed, so an idle batcher holds no timers.
 */
import type { Clock, TimerHandle } from './clock.js';
import { KaleidoError, toKaleidoError } from './errors.js';
import type { ErrorCode } from './errors.js';
import type { CancelSignal } from './ports/inference.js';

export interface BatcherConfig {
  /** 'dynamic': merge requests; 'none': each request is its own batch, executed as soon as an instance is free. */
  readonly mode: 'dynamic' | 'none';
  /** In rows (sum of request rows in one batch); ≥ 1. */
  readonly maxBatchSize: number;
  /** Batch sizes (rows) worth executing at once; each in 1..maxBatchSize. */
  readonly preferredBatchSizes: readonly number[];
  /** Longest a request waits for companions when capacity is free. */
  readonly maxQueueDelayMs: number;
  /** Queued requests (not rows) beyond which submit rejects ERR_QUEUE_FULL; ≥ 1. */
  readonly maxQueueSize: number;
  /** ≥ 1; priority 1 is the highest. */
  readonly priorityLevels: number;
  /** Priority of requests that do not ask for one; in 1..priorityLevels. */
  readonly defaultPriorityLevel: number;
  /** Deadline of requests that carry none; 0 = none. */
  readonly defaultTimeoutMs: number;
  /** Batches executing at once (the model instance count); ≥ 1. */
  readonly maxConcurrentBatches: number;
}

export interface SubmitOptions {
  /** Rows this request contributes to a batch (its batch dimension); ≥ 1. */
  readonly rows: number;
  /** 1..priorityLevels; absent: defaultPriorityLevel. */
  readonly priority?: number;
  /** Queue deadline in ms; absent or 0: defaultTimeoutMs. */
  readonly timeoutMs?: number;
  readonly signal?: CancelSignal;
}

export interface QueuedItem<P> {
  readonly payload: P;
  readonly rows: number;
  readonly priority: number;
  /** Clock time of submit. */
  readonly enqueuedAt: number;
}

/** Executes one batch; resolves one result per item, in the same order. */
export type BatchExecutor<P, R> = (batch: readonly QueuedItem<P>[]) => Promise<readonly R[]>;

/** Reported when a batch starts executing. */
export interface BatchEvent {
  /** Requests in the batch. */
  readonly size: number;
  /** Rows in the batch. */
  readonly rows: number;
  readonly startedAt: number;
  /** Per request, in batch order: how long it queued. */
  readonly queueWaitsMs: number[];
}

/** Reported when a batch's executor settled. */
export interface BatchDoneEvent {
  readonly size: number;
  readonly rows: number;
  readonly startedAt: number;
  readonly durationMs: number;
  /** False when the executor failed or returned a malformed result. */
  readonly ok: boolean;
}

/** Observers (metrics). A hook that throws is ignored: observing must not break scheduling. */
export interface BatcherHooks {
  onBatch?(e: BatchEvent): void;
  onBatchDone?(e: BatchDoneEvent): void;
  /** Every rejection the batcher itself decides (not executor failures). */
  onReject?(code: ErrorCode): void;
}

export type BatcherState = 'open' | 'draining' | 'closed';

/** Retry-After is an estimate; past a minute it stops being useful advice. */
const MAX_RETRY_AFTER_SECONDS = 60;
/** Weight of the newest batch duration in the moving average behind Retry-After. */
const DURATION_EWMA_ALPHA = 0.2;

interface AbortEventTarget {
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

const isAbortEventTarget = (s: CancelSignal): s is CancelSignal & AbortEventTarget =>
  typeof (s as Partial<AbortEventTarget>).addEventListener === 'function' &&
  typeof (s as Partial<AbortEventTarget>).removeEventListener === 'function';

interface Entry<P, R> {
  readonly item: QueuedItem<P>;
  /** Absolute clock time of the deadline, or undefined for none. */
  readonly deadline: number | undefined;
  readonly signal: CancelSignal | undefined;
  readonly resolve: (value: R) => void;
  readonly reject: (error: KaleidoError) => void;
  deadlineTimer: TimerHandle | undefined;
  detachAbort: (() => void) | undefined;
}

const isPositiveInt = (n: unknown): n is number => Number.isInteger(n) && (n as number) >= 1;
const isNonNegativeFinite = (n: unknown): n is number =>
  typeof n === 'number' && Number.isFinite(n) && n >= 0;

/** Throws ERR_BAD_CONFIG naming the first invalid field. */
export function validateBatcherConfig(config: BatcherConfig): void {
  const bad = (field: string, value: unknown, rule: string): never => {
    throw new KaleidoError('ERR_BAD_CONFIG', `batcher config: ${field} ${rule}`, {
      details: { field, value },
    });
  };
  if (config.mode !== 'dynamic' && config.mode !== 'none')
    bad('mode', config.mode, "must be 'dynamic' or 'none'");
  if (!isPositiveInt(config.maxBatchSize)) bad('maxBatchSize', config.maxBatchSize, 'must be an integer ≥ 1');
  if (!Array.isArray(config.preferredBatchSizes)) {
    bad('preferredBatchSizes', config.preferredBatchSizes, 'must be an array');
  }
  for (const size of config.preferredBatchSizes) {
    if (!isPositiveInt(size) || size > config.maxBatchSize) {
      bad('preferredBatchSizes', size, `must hold integers in 1..maxBatchSize (${config.maxBatchSize})`);
    }
  }
  if (!isNonNegativeFinite(config.maxQueueDelayMs)) {
    bad('maxQueueDelayMs', config.maxQueueDelayMs, 'must be a finite number ≥ 0');
  }
  if (!isPositiveInt(config.maxQueueSize)) bad('maxQueueSize', config.maxQueueSize, 'must be an integer ≥ 1');
  if (!isPositiveInt(config.priorityLevels)) {
    bad('priorityLevels', config.priorityLevels, 'must be an integer ≥ 1');
  }
  if (!isPositiveInt(config.defaultPriorityLevel) || config.defaultPriorityLevel > config.priorityLevels) {
    bad('defaultPriorityLevel', config.defaultPriorityLevel, 'must be an integer in 1..priorityLevels');
  }
  if (!isNonNegativeFinite(config.defaultTimeoutMs)) {
    bad('defaultTimeoutMs', config.defaultTimeoutMs, 'must be a finite number ≥ 0');
  }
  if (!isPositiveInt(config.maxConcurrentBatches)) {
    bad('maxConcurrentBatches', config.maxConcurrentBatches, 'must be an integer ≥ 1');
  }
}

export class DynamicBatcher<P, R> {
  private readonly config: BatcherConfig;
  private readonly preferred: ReadonlySet<number>;
  /** One FIFO per priority level; index 0 is priority 1. */
  private readonly levels: Entry<P, R>[][];
  private queuedCount = 0;
  private rowsQueued = 0;
  private inFlight = 0;
  private lifecycle: BatcherState = 'open';
  private delayTimer: TimerHandle | undefined;
  private kickPending = false;
  private avgBatchMs: number | undefined;
  private idleWaiters: (() => void)[] = [];

  constructor(
    config: BatcherConfig,
    private readonly clock: Clock,
    private readonly executor: BatchExecutor<P, R>,
    private readonly hooks: BatcherHooks = {},
  ) {
    validateBatcherConfig(config);
    this.config = { ...config, preferredBatchSizes: [...config.preferredBatchSizes] };
    this.preferred = new Set(config.preferredBatchSizes);
    this.levels = Array.from({ length: config.priorityLevels }, () => []);
  }

  /** Requests waiting (not executing). */
  get queueDepth(): number {
    return this.queuedCount;
  }

  /** Rows of the requests waiting. */
  get queuedRows(): number {
    return this.rowsQueued;
  }

  /** Batches executing now. */
  get inFlightBatches(): number {
    return this.inFlight;
  }

  get state(): BatcherState {
    return this.lifecycle;
  }

  submit(payload: P, options: SubmitOptions): Promise<R> {
    const refusal = this.admissionError(options);
    if (refusal) {
      this.notifyReject(refusal.code);
      return Promise.reject(refusal);
    }
    const now = this.clock.now();
    const timeoutMs = options.timeoutMs || this.config.defaultTimeoutMs;
    const priority = options.priority ?? this.config.defaultPriorityLevel;
    return new Promise<R>((resolve, reject) => {
      const entry: Entry<P, R> = {
        item: Object.freeze({ payload, rows: options.rows, priority, enqueuedAt: now }),
        deadline: timeoutMs > 0 ? now + timeoutMs : undefined,
        signal: options.signal,
        resolve,
        reject,
        deadlineTimer: undefined,
        detachAbort: undefined,
      };
      if (timeoutMs > 0) {
        entry.deadlineTimer = this.clock.setTimer(timeoutMs, () => {
          entry.deadlineTimer = undefined;
          this.expire(entry);
          this.schedule();
        });
      }
      const signal = options.signal;
      if (signal && isAbortEventTarget(signal)) {
        const onAbort = (): void => {
          this.rejectQueued(entry, 'ERR_CANCELLED', 'request cancelled while queued');
          // The abort may come from inside the caller's code: re-plan on a microtask, not here.
          this.kick();
        };
        signal.addEventListener('abort', onAbort);
        entry.detachAbort = () => signal.removeEventListener('abort', onAbort);
      }
      this.levelOf(entry).push(entry);
      this.queuedCount += 1;
      this.rowsQueued += entry.item.rows;
      this.kick();
    });
  }

  /**
   * Stops admission; resolves when every queued and executing request has finished. Queued
   * requests are batched right away, since no companions will arrive any more.
   */
  drain(): Promise<void> {
    if (this.lifecycle === 'open') this.lifecycle = 'draining';
    const done = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.schedule();
    return done;
  }

  /** Stops admission and rejects every queued request with ERR_SHUTTING_DOWN now. */
  close(reason?: string): void {
    this.lifecycle = 'closed';
    this.clearDelayTimer();
    const message = reason ? `shutting down: ${reason}` : 'shutting down';
    for (const level of this.levels) {
      for (const entry of [...level]) this.rejectQueued(entry, 'ERR_SHUTTING_DOWN', message);
    }
    this.maybeIdle();
  }

  private admissionError(options: SubmitOptions): KaleidoError | undefined {
    if (this.lifecycle !== 'open') {
      return new KaleidoError('ERR_SHUTTING_DOWN', 'the batcher no longer accepts requests', {
        retryAfterSeconds: 1,
      });
    }
    const invalid = (field: string, value: unknown, rule: string): KaleidoError =>
      new KaleidoError('ERR_VALIDATION', `${field} ${rule}`, { details: { field, value } });
    if (typeof options !== 'object' || options === null) {
      return invalid('options', options, 'must be an object');
    }
    if (!isPositiveInt(options.rows)) return invalid('rows', options.rows, 'must be an integer ≥ 1');
    if (
      options.priority !== undefined &&
      (!isPositiveInt(options.priority) || options.priority > this.config.priorityLevels)
    ) {
      return invalid('priority', options.priority, `must be an integer in 1..${this.config.priorityLevels}`);
    }
    if (options.timeoutMs !== undefined && !isNonNegativeFinite(options.timeoutMs)) {
      return invalid('timeoutMs', options.timeoutMs, 'must be a finite number ≥ 0');
    }
    if (options.rows > this.config.maxBatchSize) {
      return new KaleidoError(
        'ERR_BATCH_TOO_LARGE',
        `request batch size ${options.rows} exceeds max_batch_size ${this.config.maxBatchSize}`,
        { details: { rows: options.rows, maxBatchSize: this.config.maxBatchSize } },
      );
    }
    if (options.signal?.aborted)
      return new KaleidoError('ERR_CANCELLED', 'request cancelled before queueing');
    if (this.queuedCount >= this.config.maxQueueSize) this.sweepAborted();
    if (this.queuedCount >= this.config.maxQueueSize) {
      return new KaleidoError('ERR_QUEUE_FULL', `queue full (${this.config.maxQueueSize} requests waiting)`, {
        details: { maxQueueSize: this.config.maxQueueSize },
        retryAfterSeconds: this.retryAfterSeconds(),
      });
    }
    return undefined;
  }

  /**
   * Seconds until the queue ahead has probably been worked off: batches ahead, spread over the
   * instances, times the average recent batch duration, plus one batching delay. At least 1.
   */
  private retryAfterSeconds(): number {
    const batchesAhead =
      this.config.mode === 'none' ? this.queuedCount : Math.ceil(this.rowsQueued / this.config.maxBatchSize);
    const rounds = Math.ceil((batchesAhead + this.inFlight) / this.config.maxConcurrentBatches);
    const ms = rounds * (this.avgBatchMs ?? 0) + this.config.maxQueueDelayMs;
    return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(ms / 1000)));
  }

  /** Coalesces re-planning to one microtask, so same-turn arrivals are seen together. */
  private kick(): void {
    if (this.kickPending) return;
    this.kickPending = true;
    void Promise.resolve().then(() => {
      this.kickPending = false;
      this.schedule();
    });
  }

  /** Forms and launches batches while an instance is free; otherwise arms the delay timer. */
  private schedule(): void {
    this.clearDelayTimer();
    while (this.inFlight < this.config.maxConcurrentBatches && this.queuedCount > 0) {
      const now = this.clock.now();
      const plan = this.config.mode === 'none' ? this.planSingle(now) : this.planDynamic(now);
      if (plan.kind === 'wait') {
        this.delayTimer = this.clock.setTimer(plan.ms, () => {
          this.delayTimer = undefined;
          this.schedule();
        });
        break;
      }
      if (plan.batch.length === 0) break;
      this.launch(plan.batch, now);
    }
    this.maybeIdle();
  }

  private planSingle(now: number): { kind: 'run'; batch: Entry<P, R>[] } {
    for (const level of this.levels) {
      while (level.length > 0) {
        const entry = level[0] as Entry<P, R>;
        if (!this.dropIfDead(entry, now)) return { kind: 'run', batch: [entry] };
      }
    }
    return { kind: 'run', batch: [] };
  }

  private planDynamic(now: number): { kind: 'run'; batch: Entry<P, R>[] } | { kind: 'wait'; ms: number } {
    const max = this.config.maxBatchSize;
    const picked: Entry<P, R>[] = [];
    let rows = 0;
    let blocked = false;
    let preferredCount = 0;
    let oldest = Infinity;
    walk: for (const level of this.levels) {
      let i = 0;
      while (i < level.length) {
        const entry = level[i] as Entry<P, R>;
        if (this.dropIfDead(entry, now)) continue; // removed: the next one slid into slot i
        if (rows + entry.item.rows > max) {
          blocked = true;
          break walk;
        }
        picked.push(entry);
        rows += entry.item.rows;
        oldest = Math.min(oldest, entry.item.enqueuedAt);
        i += 1;
        if (this.preferred.has(rows)) preferredCount = picked.length;
        if (rows === max) break walk;
      }
    }
    if (picked.length === 0) return { kind: 'run', batch: [] };
    if (rows === max) return { kind: 'run', batch: picked };
    if (preferredCount > 0) return { kind: 'run', batch: picked.slice(0, preferredCount) };
    if (blocked || this.lifecycle !== 'open') return { kind: 'run', batch: picked };
    // Not blocked: every live queued request is in `picked`, so `oldest` is the queue's oldest.
    const waitMs = oldest + this.config.maxQueueDelayMs - now;
    if (waitMs <= 0) return { kind: 'run', batch: picked };
    return { kind: 'wait', ms: waitMs };
  }

  /** Rejects and removes a queued entry whose deadline passed or whose signal was aborted. */
  private dropIfDead(entry: Entry<P, R>, now: number): boolean {
    if (entry.signal?.aborted) {
      this.rejectQueued(entry, 'ERR_CANCELLED', 'request cancelled while queued');
      return true;
    }
    if (entry.deadline !== undefined && now >= entry.deadline) {
      this.expire(entry);
      return true;
    }
    return false;
  }

  private expire(entry: Entry<P, R>): void {
    this.rejectQueued(entry, 'ERR_TIMEOUT', 'request timed out in the queue before execution', {
      timeoutMs: entry.deadline === undefined ? undefined : entry.deadline - entry.item.enqueuedAt,
    });
  }

  private sweepAborted(): void {
    for (const level of this.levels) {
      for (const entry of [...level]) {
        if (entry.signal?.aborted)
          this.rejectQueued(entry, 'ERR_CANCELLED', 'request cancelled while queued');
      }
    }
  }

  private launch(batch: Entry<P, R>[], now: number): void {
    let rows = 0;
    for (const entry of batch) {
      this.unqueue(entry);
      rows += entry.item.rows;
    }
    this.inFlight += 1;
    const items = batch.map((e) => e.item);
    this.observe(() =>
      this.hooks.onBatch?.({
        size: batch.length,
        rows,
        startedAt: now,
        queueWaitsMs: items.map((item) => now - item.enqueuedAt),
      }),
    );
    let running: Promise<readonly R[]>;
    try {
      running = Promise.resolve(this.executor(items));
    } catch (e) {
      running = Promise.reject(e);
    }
    running.then(
      (results) => {
        if (!Array.isArray(results) || results.length !== batch.length) {
          const error = new KaleidoError('ERR_INTERNAL', 'batch executor returned a malformed result', {
            details: {
              expected: batch.length,
              received: Array.isArray(results) ? results.length : typeof results,
            },
          });
          for (const entry of batch) entry.reject(error);
          this.finishBatch(batch.length, rows, now, false);
          return;
        }
        batch.forEach((entry, i) => entry.resolve(results[i] as R));
        this.finishBatch(batch.length, rows, now, true);
      },
      (error: unknown) => {
        const failure = toKaleidoError(error);
        for (const entry of batch) entry.reject(failure);
        this.finishBatch(batch.length, rows, now, false);
      },
    );
  }

  private finishBatch(size: number, rows: number, startedAt: number, ok: boolean): void {
    const durationMs = this.clock.now() - startedAt;
    this.avgBatchMs =
      this.avgBatchMs === undefined
        ? durationMs
        : this.avgBatchMs + DURATION_EWMA_ALPHA * (durationMs - this.avgBatchMs);
    this.inFlight -= 1;
    this.observe(() => this.hooks.onBatchDone?.({ size, rows, startedAt, durationMs, ok }));
    this.schedule();
  }

  private rejectQueued(
    entry: Entry<P, R>,
    code: ErrorCode,
    message: string,
    details?: Record<string, unknown>,
  ): void {
    if (!this.unqueue(entry)) return;
    entry.reject(new KaleidoError(code, message, details ? { details } : {}));
    this.notifyReject(code);
    this.maybeIdle();
  }

  /** Takes an entry out of its queue and releases its timer and listener; false if it was not queued. */
  private unqueue(entry: Entry<P, R>): boolean {
    const level = this.levelOf(entry);
    const index = level.indexOf(entry);
    if (index < 0) return false;
    level.splice(index, 1);
    this.queuedCount -= 1;
    this.rowsQueued -= entry.item.rows;
    if (entry.deadlineTimer) this.clock.clearTimer(entry.deadlineTimer);
    entry.deadlineTimer = undefined;
    entry.detachAbort?.();
    entry.detachAbort = undefined;
    return true;
  }

  private levelOf(entry: Entry<P, R>): Entry<P, R>[] {
    return this.levels[entry.item.priority - 1] as Entry<P, R>[];
  }

  private clearDelayTimer(): void {
    if (this.delayTimer) this.clock.clearTimer(this.delayTimer);
    this.delayTimer = undefined;
  }

  private maybeIdle(): void {
    if (this.lifecycle === 'open' || this.queuedCount > 0 || this.inFlight > 0) return;
    this.clearDelayTimer();
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private notifyReject(code: ErrorCode): void {
    this.observe(() => this.hooks.onReject?.(code));
  }

  private observe(fn: () => void): void {
    try {
      fn();
    } catch {
      // Hooks are observers (metrics, logs); their failure must not corrupt the queue.
    }
  }
}
