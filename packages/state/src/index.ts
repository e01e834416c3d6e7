export { createStateGuards } from './state-guards.js';
export type { StateGuardsOptions } from './state-guards.js';
export { dedupe, createDedupeGuard } from './dedupe-guard.js';
export type { DedupeOptions } from './dedupe-guard.js';
export { ordering, createOrderingGuard, orderingGuardConfigShape } from './ordering-guard.js';
export type { OrderingOptions, OrderingPolicy } from './ordering-guard.js';
export { createStateStore } from './create-store.js';
export type { CreateStateStoreOptions } from './create-store.js';
export { MemoryStateStore, createMemoryStateStore } from './memory-store.js';
export type { MemoryStateStoreOptions } from './memory-store.js';
export { RedisStateStore, createRedisStateStore } from './redis-store.js';
export type { RedisStateStoreOptions } from './redis-store.js';
export { redisConfigShape, resolveRedisEndpoint, describeRedisEndpoint } from './redis-config.js';
export type { RedisConfig, RedisEndpoint, RedisHostPort } from './redis-config.js';
export {
  createRedisConnection,
  openRedisConnection,
  closeRedisConnection,
  describeRedisConnection,
} from './redis-connection.js';
export type { RedisConnection, RedisConnectionOptions } from './redis-connection.js';
export { hashTagged } from './hash-tag.js';
export type {
  StateStore,
  ClaimRequest,
  ClaimResult,
  CompleteOutcome,
  StateLogger,
} from './store.js';
export { StoreHolder } from './store-holder.js';
export type { StoreOptions } from './store-holder.js';
export { StateStoreError, StateConfigError } from './errors.js';
export { dedupeConfigShape, readRedisConfig } from './config.js';
export type { StoreErrorMode } from './config.js';
export { defaultIdentity } from './event-fields.js';
export type { EventIdentity, GuardedEvent } from './event-fields.js';
export { fingerprint } from './keys.js';
export type { StateMetrics } from './metrics.js';
