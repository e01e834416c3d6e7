import type { CloudEvent } from 'cloudevents';
import type { Registry } from 'prom-client';
import { HandlerTimeoutError, mapError } from './errors.js';
import { createEventLoggerFactory } from './logger.js';
import type { EventLoggerFactory, Logger } from './logger.js';
import type { EventOutcome, FunctionMetrics } from './metrics.js';
import type { AnyFunctionDefinition, EventGuard, GuardVerdict, HandlerContext } from './types.js';

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

/** The per-event context; the logger and the AbortController are created only when used. */
class EventContext implements HandlerContext<unknown, Record<string, unknown>> {
  outOfOrder = false;
  private childLogger: Logger | undefined;
  private controller: AbortController | undefined;

  constructor(
    readonly state: unknown,
    readonly config: Record<string, unknown>,
    readonly metrics: Registry,
    /** performance.now() + timeout: the deadline on the monotonic clock, without a Date.now() per event. */
    private readonly deadlineMono: number,
    private readonly event: CloudEvent<unknown>,
    private readonly eventLogger: EventLoggerFactory,
  ) {}

  get deadline(): number {
    return Math.round(performance.timeOrigin + this.deadlineMono);
  }

  /** Milliseconds left before the deadline. */
  remaining(): number {
    return Math.max(0, this.deadlineMono - performance.now());
  }

  get logger(): Logger {
    this.childLogger ??= this.eventLogger(this.event.id, this.event.type, this.event.source);
    return this.childLogger;
  }

  get signal(): AbortSignal {
    this.controller ??= new AbortController();
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    this.controller ??= new AbortController();
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as PromiseLike<unknown>).then === 'function'
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

/** Runs guards and the handler for one event and maps the outcome to a status. */
export interface Processor {
  process(event: CloudEvent<unknown>): EventResult | Promise<EventResult>;
  /** Aborts every in-flight handler's signal (the drain deadline passed). */
  abortAll(reason: unknown): void;
}

export function createProcessor(options: ProcessorOptions): Processor {
  const { definition, state, config, logger, metrics, timeoutMs, scrub } = options;
  const guards: readonly EventGuard[] = definition.guards ?? [];
  const functionName = definition.name;
  const registry = metrics.registry;
  const active = new Set<EventContext>();
  const debug = logger.isLevelEnabled('debug');
  const eventLogger = createEventLoggerFactory(logger);

  function finish(
    event: CloudEvent<unknown>,
    ctx: EventContext,
    result: EventResult,
    started: number,
  ): EventResult {
    const seconds = (performance.now() - started) / 1000;
    metrics.observe(event.type, seconds);
    metrics.count(event.type, result.outcome);
    if (debug)
      ctx.logger.debug({ status: result.status, outcome: result.outcome, seconds }, 'event done');
    return result;
  }

  function successResult(ctx: EventContext, value: unknown): EventResult {
    if (value === undefined || value === null) return PROCESSED_204;
    const result = value as Partial<{ skipped: unknown; status: unknown; body: unknown }>;
    if (typeof result.skipped === 'string') {
      ctx.logger.info({ reason: result.skipped }, 'event skipped by the handler');
      return { status: 200, outcome: 'ignored', body: { skipped: result.skipped } };
    }
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
  function runHandler(
    event: CloudEvent<unknown>,
    ctx: EventContext,
  ): EventResult | Promise<EventResult> {
    let returned: unknown;
    try {
      returned = definition.handle(event, ctx);
    } catch (error) {
      return errorResult(ctx, error);
    }
    if (!isThenable(returned)) return successResult(ctx, returned);
    return new Promise<EventResult>((resolve) => {
      let settled = false;
      const remaining = ctx.remaining();
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        const error = new HandlerTimeoutError(timeoutMs);
        ctx.abort(error);
        resolve(errorResult(ctx, error));
      }, remaining);
      returned.then(
        (value) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(successResult(ctx, value));
        },
        (error: unknown) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(errorResult(ctx, error));
        },
      );
    });
  }

  /**
   * A guard's `enter` shares the handler's deadline: a store that hangs must not hold the request
   * until Knative gives up. Past the deadline it rejects with HandlerTimeoutError (-> 503).
   */
  function enterWithinDeadline(
    guard: EventGuard,
    event: CloudEvent<unknown>,
    ctx: EventContext,
  ): Promise<GuardVerdict> {
    return new Promise<GuardVerdict>((resolve, reject) => {
      const timer = setTimeout(() => {
        const error = new HandlerTimeoutError(timeoutMs);
        ctx.abort(error);
        reject(error);
      }, ctx.remaining());
      guard.enter(event, { functionName, logger: ctx.logger, deadline: ctx.deadline }).then(
        (verdict) => {
          clearTimeout(timer);
          resolve(verdict);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }

  async function runGuarded(event: CloudEvent<unknown>, ctx: EventContext): Promise<EventResult> {
    const proceeded: Array<Extract<GuardVerdict, { action: 'proceed' }>> = [];
    let result: EventResult | undefined;
    try {
      for (const guard of guards) {
        const verdict = await enterWithinDeadline(guard, event, ctx);
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
      result ??= await runHandler(event, ctx);
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

  return {
    process(event) {
      const started = performance.now();
      const ctx = new EventContext(
        state,
        config,
        registry,
        started + timeoutMs,
        event,
        eventLogger,
      );
      const pending = guards.length === 0 ? runHandler(event, ctx) : runGuarded(event, ctx);
      if (!isThenable(pending)) return finish(event, ctx, pending, started);
      active.add(ctx);
      return pending.then((result) => {
        active.delete(ctx);
        return finish(event, ctx, result, started);
      });
    },
    abortAll(reason) {
      for (const ctx of active) ctx.abort(reason);
    },
  };
}
