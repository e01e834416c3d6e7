export { createVCenterClient, type VCenterClient, type VCenterClientOptions } from './client.js';
export { vcenterConfig, vcenterOptionsFromConfig, type VCenterConfig } from './config.js';
export { VCenterError, isRetryable, normaliseVapiType, type VCenterErrorType } from './errors.js';
export { toRuntimeError } from './runtime-errors.js';
export type {
  AttachManyResult,
  AttachResult,
  EnsureTagOptions,
  TagMatch,
  Tagging,
} from './tagging.js';
export type { Tag, TagCategory, Flavour } from './adapter.js';
export type { CallOptions, FlavourOption } from './session.js';
export { REQUESTS_METRIC, type VCenterStats } from './metrics.js';
export { parseServer } from './server-url.js';
