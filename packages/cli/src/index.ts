export { runCli, USAGE } from './cli.js';
export type { CliContext } from './io.js';
export { processContext } from './io.js';
export {
  CliError,
  UsageError,
  EventFileError,
  FunctionNotFoundError,
  UnreachableError,
} from './errors.js';
export {
  deliverEvent,
  deliverRepeated,
  encodeEvent,
  encodeHeaderValue,
  isRetryableStatus,
  backoffMs,
} from './delivery.js';
export type { DeliveryMode, DeliveryOptions, DeliveryResult, AttemptReport } from './delivery.js';
export {
  loadEvent,
  toOutgoingEvent,
  fixtureToEvent,
  findFixture,
  sampleForTypes,
  DEFAULT_SOURCE,
} from './events.js';
export type { OutgoingEvent, EventOverrides } from './events.js';
export { devPort, DEV_PORT_BASE, DEV_PORT_RANGE } from './ports.js';
export { findRepoRoot, listFunctionNames, resolveFunctionDir } from './repo.js';
export { scaffoldFunction, TEMPLATE_DIR, FUNCTION_NAME_PATTERN } from './scaffold.js';
export type { ScaffoldOptions } from './scaffold.js';
export { readTriggers } from './values.js';
export type { TriggerSummary } from './values.js';
export { resolveTarget, formatAttempt, summarize } from './commands/send.js';
export { devCommandLine } from './commands/dev.js';
export { renderKnativeYaml, RenderError } from './render/index.js';
export type { RenderOptions } from './render/index.js';
