import type { CloudEvent } from 'cloudevents';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import type { Config } from './config.js';
import type { Logger } from './logger.js';

export type { Config };

/** What `init` receives. */
export interface InitContext<C> {
  config: C;
  logger: Logger;
  /** The function's own prom-client registry, served on `GET /metrics`. */
  metrics: Registry;
  name: string;
}

/** What `handle` receives with each event. */
export interface HandlerContext<S, C> {
  /** What `init` returned. */
  state: S;
  config: C;
  /** pino child bound to `{ ceId, ceType, ceSource }`. */
  logger: Logger;
  /** Aborted at the handler deadline (and when a drain deadline passes). Pass it to HTTP clients. */
  signal: AbortSignal;
  /** The handler deadline, epoch milliseconds. */
  deadline: number;
  /** Set by an ordering guard with policy "flag" when the event is older than one already seen. */
  outOfOrder: boolean;
  metrics: Registry;
}

/** What `shutdown` receives. */
export interface ShutdownContext<S> {
  state: S;
  logger: Logger;
  name: string;
}

/** An event skipped on purpose (type not handled, ...): answered 200 `{ skipped }`, counted `ignored`. */
export interface SkipResult {
  skipped: string;
}

/**
 * What a handler may return. `void` -> 204. `{ status, body }` -> that status (default 200 with
 * a body, 204 without). `{ skipped: reason }` -> 200, counted as `ignored` and logged with the reason.
 */
export type HandleResult = { status?: 200 | 202 | 204; body?: unknown } | SkipResult;

/**
 * A function: a name, the config it needs, how a delivery becomes its event model `E`, warm
 * state from `init`, and a handler.
 */
export interface FunctionDefinition<Shape extends z.ZodRawShape, State, E = CloudEvent<unknown>> {
  /** Also the dedupe namespace and the `function` metrics label. */
  name: string;
  /** Env keys, e.g. `{ VCENTER_SERVER: z.string() }`. */
  config?: Shape;
  /** Env vars holding a JSON object of keys (VEBA secrets), read in order after the individual variable. */
  secretVariables?: string[];
  /** Keys whose values are redacted (on top of the name pattern and `secretString()`). */
  sensitiveKeys?: string[];
  /**
   * Turns each delivery into the event the guards and the handler see, once per delivery (e.g.
   * `vsphereEventParser()` from `@veba-functions/vsphere-events`). Throw `InvalidEventError` for
   * an unusable event (400); return `{ skipped }` for one the function does not handle (200).
   * Default: the CloudEvent itself.
   */
  parse?(event: CloudEvent<unknown>): E | SkipResult;
  /** Dedupe / ordering guards (from `@veba-functions/state`), run in order before the handler. */
  guards?: ReadonlyArray<EventGuard<E>>;
  init?(ctx: InitContext<Config<Shape>>): Promise<State> | State;
  handle(
    event: E,
    ctx: HandlerContext<State, Config<Shape>>,
  ): Promise<HandleResult | void> | HandleResult | void;
  shutdown?(ctx: ShutdownContext<State>): Promise<void> | void;
}

/** Any function definition, whatever its config, state and event model. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFunctionDefinition = FunctionDefinition<any, any, any>;

/** What `guard.start` receives (during init, before readiness). */
export interface GuardStartContext {
  functionName: string;
  /** The function's whole config, including the keys the guard declared. */
  config: Record<string, unknown>;
  logger: Logger;
  metrics: Registry;
}

/** What `guard.enter` receives with each event. */
export interface GuardEnterContext {
  functionName: string;
  /** The CloudEvent as delivered (e.g. for `rawData()`), whatever the event model is. */
  delivery: CloudEvent<unknown>;
  /** The event's child logger. */
  logger: Logger;
  /** The handler deadline, epoch milliseconds. */
  deadline: number;
}

/** A guard's decision about one event. */
export type GuardVerdict =
  | {
      action: 'proceed';
      outOfOrder?: boolean;
      /** Runs after a 2xx outcome (in reverse guard order). */
      onSuccess?(): Promise<void>;
      /** Runs after any failure, timeouts included (in reverse guard order). */
      onFailure?(error: unknown): Promise<void>;
    }
  | { action: 'skip'; outcome: 'duplicate' | 'stale'; reason: string };

/**
 * The seam dedupe and ordering plug into, over the function's event model `E` (the parsed event
 * the handler also gets). `enter` may throw `EventInProgressError` (-> 409),
 * `DependencyUnavailableError` (-> 503) or `InvalidEventError` (-> 400).
 */
export interface EventGuard<E = CloudEvent<unknown>> {
  readonly name: string;
  /** Keys merged into the function's config. */
  readonly config?: z.ZodRawShape;
  /** In init, before readiness; a throw fails init. */
  start?(ctx: GuardStartContext): Promise<void>;
  enter(event: E, ctx: GuardEnterContext): Promise<GuardVerdict>;
  /** After the drain, before `shutdown`. */
  stop?(): Promise<void>;
}
