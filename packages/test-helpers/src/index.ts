export { startRedis, RedisHelperError, type RedisServer, type StartRedisOptions } from './redis.js';
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
export {
  captureLogs,
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
export { functionReadmeProblems } from './function-readme.js';
export { FUNCTION_README_SECTIONS, readmeSections, readmeTableKeys } from './readme-sections.js';
