export { createVCenterClient, type VCenterClient, type VCenterClientOptions } from './client.js';
export {
  DEFAULT_SECRET_PATH,
  vcenterConfig,
  vcenterGoExampleConfig,
  vcenterOptionsFromConfig,
  type VCenterConfig,
  type VCenterConfigInput,
} from './config.js';
export { VCenterError, type VCenterErrorType } from './errors.js';
export { toRuntimeError, vmEventError, type VmEventFailure } from './runtime-errors.js';
export type {
  AttachManyResult,
  AttachResult,
  DetachManyResult,
  DetachResult,
  EnsureTagOptions,
  TagMatch,
  Tagging,
} from './tagging.js';
export type { Tag, TagCategory, Flavour } from './adapter.js';
export type { CallOptions, FlavourOption } from './session.js';
export type { VCenterStats } from './metrics.js';
export { parseServer } from './server-url.js';
export { createArrivalGuard, type ArrivalGuard } from './arrival-guard.js';
export {
  createAttachedTags,
  type AttachedTags,
  type AttachedTagsOptions,
} from './attached-tags.js';
export {
  createGroupCommit,
  type Arrival,
  type CommitOutcome,
  type GroupCommit,
  type GroupCommitOptions,
  type GroupCommitStats,
} from './group-commit.js';
export {
  createTagAssociations,
  isTagGone,
  type AssociationOptions,
  type TagAction,
  type TagAssociations,
  type TagAssociationsOptions,
  type TagAssociationsStats,
} from './tag-associations.js';
export {
  createTagTarget,
  type AppliedTag,
  type ApplyOptions,
  type TagRef,
  type TagTarget,
  type TagTargetOptions,
} from './tag-target.js';
export {
  optionalText,
  tagTargetOptionsFromConfig,
  vcenterTagConfig,
  type VCenterTagConfig,
} from './tag-config.js';
export {
  applyTagToVm,
  createTagFunction,
  openVCenter,
  type ApplyToVmOptions,
  type TagFunction,
  type TagFunctionState,
  type TagSettings,
  type VCenterInitContext,
} from './tag-function.js';
