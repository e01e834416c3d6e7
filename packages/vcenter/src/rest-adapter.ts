/**
 * The legacy vSphere Automation REST API (`/rest`, vSphere 6.5 to 8): every answer wrapped in
 * `{ value }`, `id:` path prefixes, `?~action=` query parameters, `create_spec` request wrappers,
 * and error bodies `{ type: 'com.vmware.vapi.std.errors.not_found', value: { messages } }`.
 * This is also the only flavour govmomi's vcsim serves.
 * Reference: https://vmware.github.io/vsphere-automation-sdk-rest/vsphere/
 */
import { isRecord } from '@veba-functions/runtime';
import type { FlavourAdapter, ParsedError } from './adapter.js';
import {
  asString,
  asStringArray,
  encodeId,
  messagesOf,
  toBatchResult,
  toCategory,
  toObjectTags,
  toRequiredBatchResult,
  toTag,
} from './parse.js';

const CIS = '/rest/com/vmware/cis';
const TAGGING = `${CIS}/tagging`;
const none = (): void => undefined;

/** Unwraps `{ value }`; a missing body stays `undefined`. */
function value(body: unknown): unknown {
  return isRecord(body) ? body.value : undefined;
}

export const restAdapter: FlavourAdapter = {
  flavour: 'rest',
  login: () => ({
    name: 'session.create',
    method: 'POST',
    path: `${CIS}/session`,
    parse: (b) => asString(value(b), 'session id'),
  }),
  logout: () => ({ name: 'session.delete', method: 'DELETE', path: `${CIS}/session`, parse: none }),
  keepAlive: () => ({
    name: 'session.get',
    method: 'POST',
    path: `${CIS}/session?~action=get`,
    parse: none,
  }),
  listCategories: () => ({
    name: 'category.list',
    method: 'GET',
    path: `${TAGGING}/category`,
    parse: (b) => asStringArray(value(b), 'category ids'),
  }),
  getCategory: (id) => ({
    name: 'category.get',
    method: 'GET',
    path: `${TAGGING}/category/id:${encodeId(id)}`,
    parse: (b) => toCategory(value(b)),
  }),
  createCategory: (spec) => ({
    name: 'category.create',
    method: 'POST',
    path: `${TAGGING}/category`,
    body: {
      create_spec: {
        name: spec.name,
        description: spec.description,
        cardinality: spec.cardinality,
        associable_types: spec.associableTypes,
      },
    },
    parse: (b) => asString(value(b), 'category id'),
  }),
  listTagsForCategory: (categoryId) => ({
    name: 'tag.list',
    method: 'POST',
    path: `${TAGGING}/tag/id:${encodeId(categoryId)}?~action=list-tags-for-category`,
    parse: (b) => asStringArray(value(b), 'tag ids'),
  }),
  getTag: (id) => ({
    name: 'tag.get',
    method: 'GET',
    path: `${TAGGING}/tag/id:${encodeId(id)}`,
    parse: (b) => toTag(value(b)),
  }),
  createTag: (spec) => ({
    name: 'tag.create',
    method: 'POST',
    path: `${TAGGING}/tag`,
    body: {
      create_spec: { name: spec.name, description: spec.description, category_id: spec.categoryId },
    },
    parse: (b) => asString(value(b), 'tag id'),
  }),
  attach: (tagId, object) => ({
    name: 'tag.attach',
    method: 'POST',
    path: `${TAGGING}/tag-association/id:${encodeId(tagId)}?~action=attach`,
    body: { object_id: object },
    parse: none,
  }),
  detach: (tagId, object) => ({
    name: 'tag.detach',
    method: 'POST',
    path: `${TAGGING}/tag-association/id:${encodeId(tagId)}?~action=detach`,
    body: { object_id: object },
    parse: none,
  }),
  attachToMany: (tagId, objects) => ({
    name: 'tag.attach_many',
    method: 'POST',
    path: `${TAGGING}/tag-association/id:${encodeId(tagId)}?~action=attach-tag-to-multiple-objects`,
    body: { object_ids: objects },
    parse: (b) => toBatchResult(value(b)),
  }),
  // https://developer.vmware.com/docs/vsphere-automation/latest/cis/rest/com/vmware/cis/tagging/tag-association/idtag_id~actiondetach-tag-from-multiple-objects/post/
  detachFromMany: (tagId, objects) => ({
    name: 'tag.detach_many',
    method: 'POST',
    path: `${TAGGING}/tag-association/id:${encodeId(tagId)}?~action=detach-tag-from-multiple-objects`,
    body: { object_ids: objects },
    parse: (b) => toRequiredBatchResult(value(b)),
  }),
  listAttachedTags: (object) => ({
    name: 'tag.list_attached',
    method: 'POST',
    path: `${TAGGING}/tag-association?~action=list-attached-tags`,
    body: { object_id: object },
    parse: (b) => asStringArray(value(b), 'attached tag ids'),
  }),
  // https://vmware.github.io/vsphere-automation-sdk-rest/vsphere/operations/com/vmware/cis/tagging/tag_association.list_attached_tags_on_objects-operation.html
  listAttachedTagsOnObjects: (objects) => ({
    name: 'tag.list_attached_many',
    method: 'POST',
    path: `${TAGGING}/tag-association?~action=list-attached-tags-on-objects`,
    body: { object_ids: objects },
    parse: (b) => toObjectTags(value(b)),
  }),
  parseError(body): ParsedError {
    if (!isRecord(body)) return { type: undefined, messages: [] };
    // 6.5-7.0: { type, value: { messages } }; later builds add { name, localizableMessages, majorErrorCode }
    const inner = isRecord(body.value) ? body.value : {};
    const messages = messagesOf(inner.messages ?? body.localizableMessages);
    return { type: typeof body.type === 'string' ? body.type : undefined, messages };
  },
};
