/**
 * The vSphere Automation API (`/api`, vSphere 7.0 U2 and later): plain JSON bodies, `?action=`
 * query parameters, 201 + JSON string for session creation, 204 for void operations, and error
 * bodies `{ error_type, messages }`.
 * Reference: https://developer.broadcom.com/xapis/vsphere-automation-api/latest/
 */
import { isRecord } from '@veba-functions/runtime';
import type { FlavourAdapter, ObjectId, ParsedError } from './adapter.js';
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

const TAGGING = '/api/cis/tagging';
const none = (): void => undefined;

export const apiAdapter: FlavourAdapter = {
  flavour: 'api',
  login: () => ({
    name: 'session.create',
    method: 'POST',
    path: '/api/session',
    parse: (b) => asString(b, 'session id'),
  }),
  logout: () => ({ name: 'session.delete', method: 'DELETE', path: '/api/session', parse: none }),
  keepAlive: () => ({ name: 'session.get', method: 'GET', path: '/api/session', parse: none }),
  listCategories: () => ({
    name: 'category.list',
    method: 'GET',
    path: `${TAGGING}/category`,
    parse: (b) => asStringArray(b, 'category ids'),
  }),
  getCategory: (id) => ({
    name: 'category.get',
    method: 'GET',
    path: `${TAGGING}/category/${encodeId(id)}`,
    parse: toCategory,
  }),
  createCategory: (spec) => ({
    name: 'category.create',
    method: 'POST',
    path: `${TAGGING}/category`,
    body: {
      name: spec.name,
      description: spec.description,
      cardinality: spec.cardinality,
      associable_types: spec.associableTypes,
    },
    parse: (b) => asString(b, 'category id'),
  }),
  listTagsForCategory: (categoryId) => ({
    name: 'tag.list',
    method: 'POST',
    path: `${TAGGING}/tag?action=list-tags-for-category`,
    body: { category_id: categoryId },
    parse: (b) => asStringArray(b, 'tag ids'),
  }),
  getTag: (id) => ({
    name: 'tag.get',
    method: 'GET',
    path: `${TAGGING}/tag/${encodeId(id)}`,
    parse: toTag,
  }),
  createTag: (spec) => ({
    name: 'tag.create',
    method: 'POST',
    path: `${TAGGING}/tag`,
    body: { name: spec.name, description: spec.description, category_id: spec.categoryId },
    parse: (b) => asString(b, 'tag id'),
  }),
  attach: (tagId, object) => ({
    name: 'tag.attach',
    method: 'POST',
    path: `${TAGGING}/tag-association/${encodeId(tagId)}?action=attach`,
    body: { object_id: object },
    parse: none,
  }),
  detach: (tagId, object) => ({
    name: 'tag.detach',
    method: 'POST',
    path: `${TAGGING}/tag-association/${encodeId(tagId)}?action=detach`,
    body: { object_id: object },
    parse: none,
  }),
  attachToMany: (tagId, objects: ObjectId[]) => ({
    name: 'tag.attach_many',
    method: 'POST',
    path: `${TAGGING}/tag-association/${encodeId(tagId)}?action=attach-tag-to-multiple-objects`,
    body: { object_ids: objects },
    parse: toBatchResult,
  }),
  // https://developer.vmware.com/apis/vsphere-automation/latest/cis/api/cis/tagging/tag-association/tag_idactiondetach-tag-from-multiple-objects/post/
  detachFromMany: (tagId, objects: ObjectId[]) => ({
    name: 'tag.detach_many',
    method: 'POST',
    path: `${TAGGING}/tag-association/${encodeId(tagId)}?action=detach-tag-from-multiple-objects`,
    body: { object_ids: objects },
    parse: toRequiredBatchResult,
  }),
  listAttachedTags: (object) => ({
    name: 'tag.list_attached',
    method: 'POST',
    path: `${TAGGING}/tag-association?action=list-attached-tags`,
    body: { object_id: object },
    parse: (b) => asStringArray(b, 'attached tag ids'),
  }),
  listAttachedTagsOnObjects: (objects) => ({
    name: 'tag.list_attached_many',
    method: 'POST',
    path: `${TAGGING}/tag-association?action=list-attached-tags-on-objects`,
    body: { object_ids: objects },
    parse: toObjectTags,
  }),
  parseError(body): ParsedError {
    if (!isRecord(body)) return { type: undefined, messages: [] };
    return {
      type: typeof body.error_type === 'string' ? body.error_type : undefined,
      messages: messagesOf(body.messages),
    };
  },
};
