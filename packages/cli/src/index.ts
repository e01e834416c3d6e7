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
export { pool } from './pool.js';
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
export { runDemo } from './demo/run.js';
export type { DemoOptions, DemoResult, PairOutcome } from './demo/run.js';
export {
  DEMO_FUNCTIONS,
  DEMO_SCENARIO,
  DEMO_TAG,
  RUNNING_TAG,
  OWNER_CATEGORY,
  ALARM_SAMPLE,
  alarmBackToGreen,
} from './demo/catalog.js';
export { requireVcsim, requireRedis, instanceName } from './demo/demo-function.js';
export type { DemoFunction, DemoPeers, SummaryRowSpec } from './demo/demo-function.js';
export type { Receiver, ReceiverCount, ReceiverSpec } from './demo/receivers.js';
export {
  chatWebhook,
  slackWebhook,
  teamsWebhook,
  googleChatWebhook,
} from './demo/chat-receivers.js';
export type { ChatReceiver } from './demo/chat-receivers.js';
export { eventsInMessage, isDigest } from './demo/events-carried.js';
export { pagerDutyEvents } from './demo/pagerduty-receiver.js';
export type { PagerDutyStandIn } from './demo/pagerduty-receiver.js';
export { signedWebhook } from './demo/signed-webhook-receiver.js';
export type { SignedWebhookReceiver } from './demo/signed-webhook-receiver.js';
export { smtpRelay } from './demo/smtp-relay.js';
export type { SmtpRelay } from './demo/smtp-relay.js';
export { startVcsimPeer } from './demo/vcsim-peer.js';
export type { ScenarioStep, TagName, VcsimPeer, VmTags } from './demo/vcsim-peer.js';
export { startBrokerIngress, decodeCloudEvent, IngressRejectionError } from './demo/ingress.js';
export type { BrokerIngress } from './demo/ingress.js';
export { corpusEvents } from './demo/corpus.js';
export type { CorpusEvents, Undeliverable } from './demo/corpus.js';
export { planDeliveries, findOutOfOrderPair, shuffle, vmAndKey } from './demo/plan.js';
export type { DeliveryPlan, OutOfOrderPair } from './demo/plan.js';
export { routes, dispatchPlan, sendTo, DEMO_DELIVERY, DEMO_PARALLELISM } from './demo/broker.js';
export type { Delivery, DispatchResult } from './demo/broker.js';
export { routeEvents, planUnits } from './demo/schedule.js';
export type { DispatchUnit, Routed, Target } from './demo/schedule.js';
export { startFunctionProcess, functionEntryPoint } from './demo/function-process.js';
export type { FunctionProcess, StartFunctionProcessOptions } from './demo/function-process.js';
export {
  outcomesFromMetrics,
  commonSummaryRows,
  functionTable,
  summaryTable,
  formatTable,
  OUTCOMES,
} from './demo/report.js';
export type { FunctionReport, OutcomeCounts, SummaryRow } from './demo/report.js';
export { DemoError, FunctionStartError } from './demo/errors.js';
