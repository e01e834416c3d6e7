export {};
export { startRedis, RedisHelperError, type RedisServer, type StartRedisOptions } from './redis.js';
export { startVcsim, VcsimHelperError, type StartVcsimOptions, type VcsimServer } from './vcsim.js';
