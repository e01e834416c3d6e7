export {};
export { startRedis, RedisHelperError, type RedisServer, type StartRedisOptions } from './redis.js';
