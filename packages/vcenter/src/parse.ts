/** Shape checks for vCenter's answers: a wrong shape is an error, never a silent `undefined`. */
import { isRecord } from '@veba-functions/runtime';
import type { BatchResult, ObjectTags, Tag, TagCategory, VapiMessage } from './adapter.js';

/** Thrown by parsers; the client turns it into a VCenterError of type UNEXPECTED_RESPONSE. */
export class ShapeError extends Error {
  override readonly name = 'ShapeError';
}

export function asString(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '')
    throw new ShapeError(`expected ${what} to be a non-empty string`);
  return value;
}

export function asStringArray(value: unknown, what: string): string[] {
  // vcsim (Go) encodes an empty list as null
  if (value === null || value === undefined) return [];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
    throw new ShapeError(`expected ${what} to be a list of strings`);
  }
  return value;
}

export function asRecord(value: unknown, what: string): Record<string, unknown> {
  if (!isRecord(value)) throw new ShapeError(`expected ${what} to be an object`);
  return value;
}

export function toCategory(value: unknown): TagCategory {
  const o = asRecord(value, 'category');
  return {
    id: asString(o.id, 'category.id'),
    name: asString(o.name, 'category.name'),
    description: typeof o.description === 'string' ? o.description : '',
    cardinality: typeof o.cardinality === 'string' ? o.cardinality : 'MULTIPLE',
    associableTypes: asStringArray(o.associable_types, 'category.associable_types'),
  };
}

export function toTag(value: unknown): Tag {
  const o = asRecord(value, 'tag');
  return {
    id: asString(o.id, 'tag.id'),
    name: asString(o.name, 'tag.name'),
    description: typeof o.description === 'string' ? o.description : '',
    categoryId: asString(o.category_id, 'tag.category_id'),
  };
}

export function toMessage(value: unknown): VapiMessage {
  if (typeof value === 'string') return { id: undefined, defaultMessage: value, args: [] };
  const o = isRecord(value) ? value : {};
  const text = o.default_message ?? o.message ?? o.localized;
  return {
    id: typeof o.id === 'string' ? o.id : typeof o.type === 'string' ? o.type : undefined,
    defaultMessage: typeof text === 'string' ? text : JSON.stringify(value),
    args: Array.isArray(o.args) ? o.args.filter((a): a is string => typeof a === 'string') : [],
  };
}

/** `{ success, error_messages }`; an empty body (vcsim 0.24's answer) means all succeeded. */
export function toBatchResult(value: unknown): BatchResult {
  if (value === undefined || value === null) return { success: true, errorMessages: [] };
  const o = asRecord(value, 'batch result');
  const raw = o.error_messages;
  const errorMessages = Array.isArray(raw) ? raw.map(toMessage) : [];
  const success = typeof o.success === 'boolean' ? o.success : errorMessages.length === 0;
  return { success, errorMessages };
}

/**
 * A BatchResult that must be there: `undefined` for an empty body (an operation the server does
 * not have, see `FlavourAdapter.detachFromMany`), else as {@link toBatchResult}.
 */
export function toRequiredBatchResult(value: unknown): BatchResult | undefined {
  if (value === undefined || value === null) return undefined;
  return toBatchResult(value);
}

/** `[{ object_id: { type, id }, tag_ids }]`; vcsim (Go) writes an empty `tag_ids` as null. */
export function toObjectTags(value: unknown): ObjectTags[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ShapeError('expected a list of objects and their tags');
  return value.map((item) => {
    const o = asRecord(item, 'object tags');
    const object = asRecord(o.object_id, 'object_id');
    return {
      objectId: {
        type: asString(object.type, 'object_id.type'),
        id: asString(object.id, 'object_id.id'),
      },
      tagIds: asStringArray(o.tag_ids, 'tag_ids'),
    };
  });
}

export function messagesOf(value: unknown): string[] {
  return Array.isArray(value) ? value.map((m) => toMessage(m).defaultMessage) : [];
}

/** Keeps `:` readable (vCenter ids are URNs such as `urn:vmomi:InventoryServiceTag:...:GLOBAL`). */
export function encodeId(id: string): string {
  return encodeURIComponent(id).replace(/%3A/gi, ':');
}
