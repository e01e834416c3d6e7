export { defineFunction, serve, startFunction } from './function.js';
export type { RunningFunction, StartFunctionOptions } from './function.js';
export {
  InvalidEventError,
  EventInProgressError,
  UpstreamRejectedError,
  DependencyUnavailableError,
  ConfigError,
  HandlerTimeoutError,
  EventCutOffError,
  mapError,
} from './errors.js';
export { isRecord } from './is-record.js';
export { parseRetryAfter } from './retry-after.js';
export type {
  DependencyUnavailableErrorOptions,
  ErrorMapping,
  RuntimeErrorOptions,
} from './errors.js';
export {
  loadConfig,
  booleanFromEnv,
  secretString,
  stringList,
  runtimeConfigShape,
} from './config.js';
export type { Config, Env, LoadConfigOptions, ResolvedConfig, RuntimeConfig } from './config.js';
export { createScrubber } from './logger.js';
export { rawData } from './cloudevent.js';
export { MAX_JSON_DEPTH, exceedsJsonDepth } from './json-depth.js';
export type { Logger, DestinationStream } from './logger.js';
export type { EventOutcome, MetricSpec } from './metrics.js';
export { OUTCOMES as EVENT_OUTCOMES, registeredCounter, registeredHistogram } from './metrics.js';
export type {
  FunctionDefinition,
  AnyFunctionDefinition,
  InitContext,
  HandlerContext,
  ShutdownContext,
  HandleResult,
  SkipResult,
  EventGuard,
  GuardVerdict,
  GuardStartContext,
  GuardEnterContext,
} from './types.js';
export type { CloudEvent } from 'cloudevents';
