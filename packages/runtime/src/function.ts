import type { AddressInfo } from 'node:net';
import type { CloudEvent } from 'cloudevents';
import { pino } from 'pino';
import type { Registry } from 'prom-client';
import type { z } from 'zod';
import {
  SECRET_KEY_PATTERN,
  isSensitive,
  resolveConfig,
  runtimeConfigShape,
  sensitiveValuesInJsonText,
} from './config.js';
import type { Env, RuntimeConfig } from './config.js';
import { createBatchedDestination, createLogger, createScrubber } from './logger.js';
import type { DestinationStream, Logger } from './logger.js';
import { routeConsole } from './console.js';
import { createMetrics } from './metrics.js';
import { createProcessor } from './processor.js';
import type { Processor } from './processor.js';
import { createFunctionServer } from './server.js';
import type { AnyFunctionDefinition, EventGuard, FunctionDefinition } from './types.js';

/**
 * Declares a function. Returns its argument unchanged; it exists so TypeScript infers the config
 * type from `config`, the state type from `init` and the event model from `parse`.
 *
 * @example
 * export const echo = defineFunction({
 *   name: 'echo',
 *   config: { ECHO_PREFIX: z.string().default('') },
 *   handle(event, ctx) {
 *     ctx.logger.info({ data: event.data }, `${ctx.config.ECHO_PREFIX}received`);
 *   },
 * });
 */
export function defineFunction<Shape extends z.ZodRawShape, State, E = CloudEvent<unknown>>(
  def: FunctionDefinition<Shape, State, E>,
  // NoInfer: E comes from `parse` (or defaults to the CloudEvent), never from where the result goes.
): FunctionDefinition<Shape, State, NoInfer<E>> {
  return def;
}

/** After the drain deadline, how long cut-off events get to release their claims and answer 503. */
const CUT_OFF_GRACE_MS = 3_000;

/** Options of {@link startFunction}. */
export interface StartFunctionOptions {
  /** Where config comes from; default `process.env`. */
  env?: Env;
  /** Overrides `PORT`; 0 picks a free port. */
  port?: number;
  /** Interface to bind; default all interfaces. */
  host?: string;
  /** Where log lines go; default stdout. */
  logDestination?: DestinationStream;
  /** Called once the server listens, before `init` runs (readiness answers 503 until init is done). */
  onListening?(address: { url: string; port: number }): void;
  /** Called with the function's logger as soon as it exists (before `init`), and again once it knows the secrets. */
  onLogger?(logger: Logger): void;
}

/** A started function. */
export interface RunningFunction {
  url: string;
  port: number;
  /** True between the end of init and the start of shutdown. */
  readonly ready: boolean;
  /** The function's registry (also served on `GET /metrics`). */
  readonly metrics: Registry;
  readonly logger: Logger;
  /** Drain in-flight events (up to `FUNCTION_DRAIN_SECONDS`), stop guards, run `shutdown`, close the server. Never throws. */
  stop(): Promise<void>;
}

function urlFor(address: AddressInfo, host: string | undefined): string {
  const wildcard = host === undefined || host === '' || host === '0.0.0.0' || host === '::';
  const name = wildcard
    ? '127.0.0.1'
    : address.family === 'IPv6'
      ? `[${address.address}]`
      : address.address;
  return `http://${name}:${address.port}`;
}

/** Values of variables whose names look secret, whether or not the function declared them. */
function envSecretValues(env: Env): string[] {
  const values: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value.length > 0 && SECRET_KEY_PATTERN.test(name)) {
      values.push(value);
      // A JSON secret (SLACK_SECRET='{"SLACK_WEBHOOK_URL":"…"}'): its sensitive values on their own.
      values.push(...sensitiveValuesInJsonText(value));
    }
  }
  return values;
}

async function stopGuards(
  guards: ReadonlyArray<EventGuard<unknown>>,
  logger: Logger,
): Promise<void> {
  for (let i = guards.length - 1; i >= 0; i--) {
    const guard = guards[i]!;
    try {
      await guard.stop?.();
    } catch (error) {
      logger.error({ err: error, guard: guard.name }, 'guard stop failed');
    }
  }
}

/** Thrown by startFunction when start fails; carries the logger the failure was logged with. */
class StartFailure extends Error {
  override readonly name = 'StartFailure';
  constructor(
    readonly logger: Logger,
    cause: unknown,
  ) {
    super('function start failed', { cause });
  }
}

async function launch(
  def: AnyFunctionDefinition,
  options: StartFunctionOptions,
): Promise<RunningFunction> {
  const env = options.env ?? process.env;
  const destination = options.logDestination ?? pino.destination({ dest: 1, sync: true });
  let logger = createLogger({
    name: def.name,
    level: 'info',
    secretValues: [],
    secretKeys: [],
    destination,
  });
  options.onLogger?.(logger);
  let runtime: RuntimeConfig;
  let config: Record<string, unknown>;
  let secretValues: string[];
  try {
    runtime = resolveConfig(runtimeConfigShape, { env }).config;
    const guards = def.guards ?? [];
    const shape: z.ZodRawShape = {};
    for (const guard of guards) Object.assign(shape, guard.config);
    Object.assign(shape, def.config);
    const resolved = resolveConfig(shape, {
      env,
      secretVariables: def.secretVariables ?? [],
      sensitiveKeys: def.sensitiveKeys ?? [],
    });
    config = resolved.config;
    const secretKeys = Object.keys(shape).filter((key) =>
      isSensitive(key, shape[key], def.sensitiveKeys),
    );
    secretValues = [...resolved.secretValues, ...envSecretValues(env)];
    logger = createLogger({
      name: def.name,
      level: runtime.FUNCTION_DEBUG ? 'debug' : runtime.LOG_LEVEL,
      secretValues,
      secretKeys,
      destination,
    });
    options.onLogger?.(logger);
  } catch (error) {
    logger.error({ err: error }, 'init failed: configuration');
    throw new StartFailure(logger, error);
  }

  const metrics = createMetrics(def.name);
  const fs = createFunctionServer({
    logger,
    metrics,
    maxBodyBytes: runtime.FUNCTION_MAX_BODY_BYTES,
    headersTimeoutMs: runtime.FUNCTION_HEADERS_TIMEOUT_SECONDS * 1000,
    requestTimeoutMs: runtime.FUNCTION_REQUEST_TIMEOUT_SECONDS * 1000,
    keepAliveTimeoutMs: runtime.FUNCTION_KEEPALIVE_TIMEOUT_SECONDS * 1000,
  });
  let address: AddressInfo;
  try {
    address = await fs.listen(options.port ?? runtime.PORT, options.host);
  } catch (error) {
    logger.error({ err: error }, 'init failed: cannot listen');
    throw new StartFailure(logger, error);
  }
  const url = urlFor(address, options.host);
  options.onListening?.({ url, port: address.port });
  logger.info({ port: address.port }, 'listening; running init');

  const started: Array<EventGuard<unknown>> = [];
  let state: unknown;
  try {
    for (const guard of def.guards ?? []) {
      await guard.start?.({ functionName: def.name, config, logger, metrics: metrics.registry });
      started.push(guard);
    }
    state = await def.init?.({ config, logger, metrics: metrics.registry, name: def.name });
  } catch (error) {
    logger.error({ err: error }, 'init failed');
    await stopGuards(started, logger);
    await fs.close();
    throw new StartFailure(logger, error);
  }

  const processor: Processor = createProcessor({
    definition: def,
    state,
    config,
    logger,
    metrics,
    timeoutMs: runtime.FUNCTION_TIMEOUT_SECONDS * 1000,
    scrub: createScrubber(secretValues),
  });
  fs.open(processor);
  logger.info('ready');

  let stopping: Promise<void> | undefined;
  const stop = async (): Promise<void> => {
    logger.info(
      { drainSeconds: runtime.FUNCTION_DRAIN_SECONDS },
      'shutting down: draining in-flight events',
    );
    fs.beginDrain();
    const idle = await fs.waitIdle(runtime.FUNCTION_DRAIN_SECONDS * 1000);
    if (!idle) {
      // Cut-off events answer 503 (the broker delivers them again) once their guards released
      // their claims: the guards and the store must still be up for that, so wait for the answers.
      logger.warn('drain deadline passed with events in flight: answering them 503');
      processor.cutOff();
      if (!(await fs.waitIdle(CUT_OFF_GRACE_MS))) {
        logger.error('events still in flight after the cut-off; closing their connections');
      }
    }
    await stopGuards(started, logger);
    try {
      await def.shutdown?.({ state, logger, name: def.name });
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
    }
    await fs.close();
    logger.info('stopped');
  };

  return {
    url,
    port: address.port,
    get ready() {
      return fs.phase === 'ready';
    },
    metrics: metrics.registry,
    logger,
    stop() {
      stopping ??= stop();
      return stopping;
    },
  };
}

/**
 * Starts a function in this process: no signal handlers, no `process.exit`. For tests and the CLI.
 * Resolves once init is done and readiness answers 200; rejects (after logging) when config,
 * listen, a guard's start or `init` fails.
 *
 * @example
 * const fn = await startFunction(echo, { env: {}, port: 0, host: '127.0.0.1' });
 * await fetch(fn.url, { method: 'POST', headers: { 'ce-id': '1', ... }, body });
 * await fn.stop();
 */
export async function startFunction(
  def: AnyFunctionDefinition,
  options: StartFunctionOptions = {},
): Promise<RunningFunction> {
  try {
    return await launch(def, options);
  } catch (error) {
    throw error instanceof StartFailure ? error.cause : error;
  }
}

/**
 * The production entry: config from `process.env`, logs to stdout, SIGTERM/SIGINT drain and
 * stop (exit 0, even when `shutdown` throws), exit 1 when init fails. A second signal exits at once.
 *
 * @example
 * // src/index.ts
 * await serve(echo);
 */
export async function serve(def: AnyFunctionDefinition): Promise<void> {
  const destination = createBatchedDestination(1);
  const exit = (code: number): void => {
    destination.flushSync();
    process.exit(code);
  };
  // Every line a function writes is JSON: console output (a dependency's warnings) goes through
  // the function's logger, scrubbed, from the start of init.
  let consoleLogger: Logger | undefined;
  routeConsole(() => consoleLogger);
  let running: RunningFunction;
  try {
    running = await launch(def, {
      env: process.env,
      logDestination: destination,
      onLogger: (logger) => (consoleLogger = logger),
    });
  } catch (error) {
    if (!(error instanceof StartFailure)) {
      pino(destination).error({ err: error }, 'init failed');
    }
    exit(1);
    return;
  }
  const { logger } = running;
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    exit(1);
  });
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      logger.warn({ signal }, 'second signal: exiting without finishing the drain');
      exit(1);
      return;
    }
    signalled = true;
    logger.info({ signal }, 'signal received');
    running.stop().then(
      () => exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'stop failed');
        exit(0);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
