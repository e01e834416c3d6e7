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
export { startVcsim, VcsimHelperError, type StartVcsimOptions, type VcsimServer } from './vcsim.js';
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
