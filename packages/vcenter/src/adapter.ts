/**
 * The seam between the client and the two flavours of the vSphere Automation REST API. Each
 * flavour keeps every path and body shape in its own module (api-adapter.ts, rest-adapter.ts);
 * the client only runs the operations an adapter describes.
 */

/** A managed object as the tagging API names it, e.g. `{ type: 'VirtualMachine', id: 'vm-42' }`. */
export interface ObjectId {
  type: string;
  id: string;
}

/** A tag category as vCenter describes it. */
export interface TagCategory {
  id: string;
  name: string;
  description: string;
  /** `SINGLE` or `MULTIPLE`. */
  cardinality: string;
  associableTypes: string[];
}

/** A tag as vCenter describes it. */
export interface Tag {
  id: string;
  name: string;
  description: string;
  categoryId: string;
}

export interface CategoryCreateSpec {
  name: string;
  description: string;
  cardinality: 'SINGLE' | 'MULTIPLE';
  associableTypes: string[];
}

export interface TagCreateSpec {
  name: string;
  description: string;
  categoryId: string;
}

/** `attach-tag-to-multiple-objects` answers 200 even when some objects failed. */
export interface BatchResult {
  success: boolean;
  errorMessages: VapiMessage[];
}

/** What `list-attached-tags-on-objects` answers for one object. */
export interface ObjectTags {
  objectId: ObjectId;
  tagIds: string[];
}

export interface VapiMessage {
  id: string | undefined;
  defaultMessage: string;
  args: string[];
}

/** The error body of either flavour, reduced to what the client needs. */
export interface ParsedError {
  type: string | undefined;
  messages: string[];
}

/** One HTTP exchange: what to send and how to read a 2xx answer. */
export interface Operation<T> {
  /** Client operation name, the `operation` label of the request counter. */
  name: string;
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  body?: unknown;
  /** Parses the JSON body of a 2xx answer (`undefined` when the body is empty). */
  parse(body: unknown, status: number): T;
}

export type Flavour = 'api' | 'rest';

/** Everything flavour-specific. */
export interface FlavourAdapter {
  readonly flavour: Flavour;
  /** Log in with HTTP basic authentication (the client adds the header); yields the session id. */
  login(): Operation<string>;
  logout(): Operation<void>;
  /** A cheap authenticated call that also resets vCenter's idle timer. */
  keepAlive(): Operation<void>;
  listCategories(): Operation<string[]>;
  getCategory(id: string): Operation<TagCategory>;
  createCategory(spec: CategoryCreateSpec): Operation<string>;
  listTagsForCategory(categoryId: string): Operation<string[]>;
  getTag(id: string): Operation<Tag>;
  createTag(spec: TagCreateSpec): Operation<string>;
  attach(tagId: string, object: ObjectId): Operation<void>;
  detach(tagId: string, object: ObjectId): Operation<void>;
  attachToMany(tagId: string, objects: ObjectId[]): Operation<BatchResult>;
  /**
   * `detach-tag-from-multiple-objects`. `undefined` for a 2xx without a body: a vCenter always
   * answers with a BatchResult, so that is a server without the operation (vcsim 0.24.2 answers
   * an action it does not know with an empty 200 and does nothing).
   */
  detachFromMany(tagId: string, objects: ObjectId[]): Operation<BatchResult | undefined>;
  listAttachedTags(object: ObjectId): Operation<string[]>;
  /** `list-attached-tags-on-objects`: the tags of many objects in one call. */
  listAttachedTagsOnObjects(objects: ObjectId[]): Operation<ObjectTags[]>;
  /** Reads this flavour's error body; tolerant of empty and non-JSON bodies. */
  parseError(body: unknown): ParsedError;
}
