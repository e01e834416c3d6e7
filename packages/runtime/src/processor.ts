import type { CloudEvent } from 'cloudevents';
import type { Registry } from 'prom-client';
import { EventCutOffError, HandlerTimeoutError, mapError } from './errors.js';
import { createEventLoggerFactory } from './logger.js';
import type { EventLoggerFactory, Logger } from './logger.js';
import type { EventOutcome, FunctionMetrics } from './metrics.js';
import type {
  AnyFunctionDefinition,
  EventGuard,
  GuardVerdict,
  HandlerContext,
  SkipResult,
} from './types.js';

/** How one event ended: the HTTP answer and the metrics outcome. */
export interface EventResult {
  status: number;
  outcome: EventOutcome;
  body?: unknown;
  /** `Retry-After` seconds for a 503 from `DependencyUnavailableError`. */
  retryAfterSeconds?: number | undefined;
  /** The failure, handed to guards' `onFailure`. */
  error?: unknown;
}

const PROCESSED_204: EventResult = Object.freeze({ status: 204, outcome: 'processed' });

/**
 * The per-event context. The logger, the AbortController and the set of waits are created only
 * when used; the deadline timer only when the event awaits something (a synchronous handler pays
 * for none of them).
 */
class EventContext implements HandlerContext<unknown, Record<string, unknown>> {
  outOfOrder = false;
  private childLogger: Logger | undefined;
  private controller: AbortController | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Why the event was interrupted (deadline or drain cut-off), once it was. */
  private interruption: Error | undefined;
  /** Rejects the work the event is waiting for, when it is interrupted. */
  private waiting: Set<(error: Error) => void> | undefined;

  constructor(
    readonly state: unknown,
    readonly config: Record<string, unknown>,
    readonly metrics: Registry,
    /** performance.now() + timeout: the deadline on the monotonic clock, without a Date.now() per event. */
    private readonly deadlineMono: number,
    private readonly timeoutMs: number,
    readonly delivery: CloudEvent<unknown>,
    private readonly eventLogger: EventLoggerFactory,
  ) {}

  get deadline(): number {
    return Math.round(performance.timeOrigin + this.deadlineMono);
  }

  get logger(): Logger {
    this.childLogger ??= this.eventLogger(
      this.delivery.id,
      this.delivery.type,
      this.delivery.source,
    );
    return this.childLogger;
  }

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    return this.controller.signal;
  }

  /**
   * Waits for `work`, or rejects as soon as the event is interrupted: at its deadline
   * (HandlerTimeoutError) or when the drain cuts it off (EventCutOffError). The work itself is
   * told through `signal`.
   */
  race<T>(work: PromiseLike<T>): Promise<T> {
    if (this.interruption !== undefined) return Promise.reject(this.interruption);
    this.timer ??= setTimeout(
      () => this.interrupt(new HandlerTimeoutError(this.timeoutMs)),
      Math.max(0, this.deadlineMono - performance.now()),
    );
    const waiting = (this.waiting ??= new Set());
    return new Promise<T>((resolve, reject) => {
      const cancel = (error: Error): void => reject(error);
      waiting.add(cancel);
      work.then(
        (value) => {
          waiting.delete(cancel);
          resolve(value);
        },
        (error: unknown) => {
          waiting.delete(cancel);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  interrupt(error: Error): void {
    if (this.interruption !== undefined) return;
    this.interruption = error;
    this.controller ??= new AbortController();
    this.controller.abort(error);
    if (this.waiting === undefined) return;
    for (const cancel of this.waiting) cancel(error);
    this.waiting.clear();
  }

  done(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

function isSkip(value: unknown): value is SkipResult {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as Partial<SkipResult>).skipped === 'string'
  );
}

/** Options of {@link createProcessor}. */
export interface ProcessorOptions {
  definition: AnyFunctionDefinition;
  state: unknown;
  config: Record<string, unknown>;
  logger: Logger;
  metrics: FunctionMetrics;
  timeoutMs: number;
  /** Scrubs secret values from reasons sent back to the sender. */
  scrub: (text: string) => string;
}

/** Parses, runs guards and the handler for one event, and maps the outcome to a status. */
export interface Processor {
  process(event: CloudEvent<unknown>): EventResult | Promise<EventResult>;
  /**
   * The drain deadline passed: every in-flight event answers 503 (its guards' `onFailure` release
   * its claims first) and events arriving later (the rest of a batch) answer 503 at once.
   */
  cutOff(): void;
}

export function createProcessor(options: ProcessorOptions): Processor {
  const { definition, state, config, logger, metrics, timeoutMs, scrub } = options;
  const guards: ReadonlyArray<EventGuard<unknown>> = definition.guards ?? [];
  const parse = definition.parse?.bind(definition) as
    ((event: CloudEvent<unknown>) => unknown) | undefined;
  const functionName = definition.name;
  const registry = metrics.registry;
  const active = new Set<EventContext>();
  const debug = logger.isLevelEnabled('debug');
  const eventLogger = createEventLoggerFactory(logger);
  let cutOff: EventCutOffError | undefined;

  function finish(ctx: EventContext, result: EventResult, started: number): EventResult {
    ctx.done();
    const type = ctx.delivery.type;
    const seconds = (performance.now() - started) / 1000;
    metrics.observe(type, seconds);
    metrics.count(type, result.outcome);
    if (debug)
      ctx.logger.debug({ status: result.status, outcome: result.outcome, seconds }, 'event done');
    return result;
  }

  function skipResult(ctx: EventContext, reason: string): EventResult {
    ctx.logger.info({ reason }, 'event skipped');
    return { status: 200, outcome: 'ignored', body: { skipped: reason } };
  }

  function successResult(ctx: EventContext, value: unknown): EventResult {
    if (value === undefined || value === null) return PROCESSED_204;
    if (isSkip(value)) return skipResult(ctx, value.skipped);
    const result = value as Partial<{ status: unknown; body: unknown }>;
    const status =
      typeof result.status === 'number' ? result.status : result.body === undefined ? 204 : 200;
    return { status, outcome: 'processed', body: status === 204 ? undefined : result.body };
  }

  function errorResult(ctx: EventContext, error: unknown): EventResult {
    const mapping = mapError(error);
    const message = error instanceof Error ? error.message : String(error);
    if (mapping.status === 500) {
      ctx.logger.error({ err: error }, 'handler failed');
      return { status: 500, outcome: 'failed', body: { error: mapping.code }, error };
    }
    const reason = scrub(message);
    ctx.logger.warn(
      { reason, status: mapping.status, err: mapping.status === 400 ? undefined : error },
      mapping.status === 400 ? 'event rejected' : 'event not processed',
    );
    const retryAfterSeconds =
      mapping.status === 503
        ? (error as { retryAfterSeconds?: number }).retryAfterSeconds
        : undefined;
    return {
      status: mapping.status,
      outcome: mapping.outcome,
      body: { error: mapping.code, reason },
      retryAfterSeconds,
      error,
    };
  }

  /** Calls the handler; a synchronous handler never pays for a timer or a promise. */
  function runHandler(model: unknown, ctx: EventContext): EventResult | Promise<EventResult> {
    let returned: unknown;
    try {
      returned = definition.handle(model, ctx);
    } catch (error) {
      return errorResult(ctx, error);
    }
    if (!isThenable(returned)) return successResult(ctx, returned);
    return ctx.race(returned).then(
      (value) => successResult(ctx, value),
      (error: unknown) => errorResult(ctx, error),
    );
  }

  async function runGuarded(model: unknown, ctx: EventContext): Promise<EventResult> {
    const proceeded: Array<Extract<GuardVerdict, { action: 'proceed' }>> = [];
    let result: EventResult | undefined;
    try {
      const enterContext = {
        functionName,
        logger: ctx.logger,
        deadline: ctx.deadline,
        delivery: ctx.delivery,
      };
      for (const guard of guards) {
        // A guard's store that hangs must not hold the request past the event's deadline.
        const verdict = await ctx.race(guard.enter(model, enterContext));
        if (verdict.action === 'skip') {
          ctx.logger.info(
            { reason: verdict.reason, guard: guard.name, outcome: verdict.outcome },
            'event skipped',
          );
          result = { status: 200, outcome: verdict.outcome, body: { skipped: verdict.reason } };
          break;
        }
        proceeded.push(verdict);
        if (verdict.outOfOrder === true) ctx.outOfOrder = true;
      }
      result ??= await runHandler(model, ctx);
    } catch (error) {
      result = errorResult(ctx, error);
    }
    const succeeded = result.status < 300;
    for (let i = proceeded.length - 1; i >= 0; i--) {
      const verdict = proceeded[i]!;
      try {
        if (succeeded) await verdict.onSuccess?.();
        else await verdict.onFailure?.(result.error);
      } catch (error) {
        // The handler's outcome stands: its side effects happened (or failed) either way.
        ctx.logger.error(
          { err: error },
          succeeded ? 'guard onSuccess failed' : 'guard onFailure failed',
        );
      }
    }
    return result;
  }

  /** The event model: the CloudEvent, or what the definition's `parse` makes of it. */
  function parsed(ctx: EventContext): { model: unknown } | { result: EventResult } {
    if (parse === undefined) return { model: ctx.delivery };
    try {
      const model = parse(ctx.delivery);
      return isSkip(model) ? { result: skipResult(ctx, model.skipped) } : { model };
    } catch (error) {
      return { result: errorResult(ctx, error) };
    }
  }

  return {
    process(event) {
      const started = performance.now();
      const ctx = new EventContext(
        state,
        config,
        registry,
        started + timeoutMs,
        timeoutMs,
        event,
        eventLogger,
      );
      if (cutOff !== undefined) return finish(ctx, errorResult(ctx, cutOff), started);
      const step = parsed(ctx);
      if ('result' in step) return finish(ctx, step.result, started);
      const pending =
        guards.length === 0 ? runHandler(step.model, ctx) : runGuarded(step.model, ctx);
      if (!isThenable(pending)) return finish(ctx, pending, started);
      active.add(ctx);
      return pending.then((result) => {
        active.delete(ctx);
        return finish(ctx, result, started);
      });
    },
    cutOff() {
      cutOff ??= new EventCutOffError();
      for (const ctx of active) ctx.interrupt(cutOff);
    },
  };
}
