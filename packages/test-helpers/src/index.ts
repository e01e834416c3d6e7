export {
  startRedis,
  RedisHelperError,
  uniqueKeyPrefix,
  type RedisServer,
  type StartRedisOptions,
} from './redis.js';
export {
  startRedisCluster,
  type RedisCluster,
  type RedisClusterNode,
  type StartRedisClusterOptions,
} from './redis-cluster.js';
export {
  startRedisSentinel,
  type RedisAddress,
  type RedisSentinelTopology,
  type StartRedisSentinelOptions,
} from './redis-sentinel.js';
export { redisCommand, redisInfo, RedisCommandError, type RedisReply } from './redis-command.js';
export {
  launchProcess,
  freePort,
  createTempDir,
  LaunchError,
  type LaunchOptions,
  type LaunchedProcess,
  type TempDir,
} from './child-process.js';
export {
  startVcsim,
  VcsimActionError,
  VcsimHelperError,
  type StartVcsimOptions,
  type VcsimServer,
  type VcsimSourceOptions,
} from './vcsim.js';
export type {
  VcsimActionEvent,
  VcsimActionOptions,
  VcsimActionResult,
  VcsimActions,
  VcsimDeliveryResult,
  VcsimEntity,
  VcsimInventory,
  VcsimSinkInfo,
  VcsimSource,
} from './vcsim-control.js';
export type { VcsimDeliveryAttempt, VcsimDeliveryLog, VcsimSourceLogEntry } from './vcsim-log.js';
export { startVcsimProxy, type VcsimProxy, type VcsimProxyOptions } from './vcsim-proxy.js';
export {
  fixturesDir,
  listVebaFixtures,
  loadVebaFixture,
  loadVebaFixtures,
  vebaFixtureIndex,
  vebaFixturesDir,
  type VebaFixture,
  type VebaFixtureMode,
  type VebaIndexEntry,
} from './fixtures.js';
export {
  captureLogs,
  encodeHeaderValue,
  fixtureEvent,
  handlerContext,
  httpRequest,
  sendCloudEvent,
  startTestFunction,
  sumSamples,
  type CloudEventInput,
  type HandlerContextOptions,
  type HttpReply,
  type LogCapture,
  type SendOptions,
  type TestFunction,
} from './function-harness.js';
export { deliverToHandler, type HandlerDelivery } from './handler-delivery.js';
export { functionReadmeProblems } from './function-readme.js';
export { readTriggers, triggerTypes, type TriggerSummary } from './trigger-types.js';
export { FUNCTION_README_SECTIONS, readmeSections } from './readme-sections.js';
