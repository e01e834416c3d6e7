/**
 * A local stand-in for vCenter's `/api` flavour (vSphere 7.0 U2+), answering as the vSphere
 * Automation API reference documents it (vcsim 0.24 has no `/api` at all):
 * - POST /api/session: 201 with the session token as a JSON string; 401 with an
 *   UNAUTHENTICATED error body on bad credentials.
 *   https://developer.broadcom.com/xapis/vsphere-automation-api/latest/cis/api/session/post
 * - GET /api/session: 200 session info; DELETE /api/session: 204 (401 UNAUTHENTICATED when the
 *   session cannot be found).
 *   https://developer.broadcom.com/xapis/vsphere-automation-api/latest/api/session/delete
 * - POST /api/cis/tagging/tag-association/{tag_id}?action=attach (and detach): 204, NOT_FOUND
 *   when the tag does not exist.
 *   https://developer.vmware.com/apis/vsphere-automation/latest/cis/api/cis/tagging/tag-association/tag_idactionattach/post/
 * - POST .../{tag_id}?action=attach-tag-to-multiple-objects: 200 with a BatchResult
 *   `{ success, error_messages }` even when some objects failed.
 *   https://developer.vmware.com/docs/vsphere-automation/latest/cis/api/cis/tagging/tag-association/tag_idactionattach-tag-to-multiple-objects/post/
 * - POST .../{tag_id}?action=detach-tag-from-multiple-objects: the same BatchResult; a tag that is
 *   not attached is a no-op, not an error.
 *   https://developer.vmware.com/apis/vsphere-automation/latest/cis/api/cis/tagging/tag-association/tag_idactiondetach-tag-from-multiple-objects/post/
 * - POST /api/cis/tagging/tag-association?action=list-attached-tags-on-objects:
 *   `[{ object_id, tag_ids }]`.
 *   https://vmware.github.io/vsphere-automation-sdk-rest/vsphere/operations/com/vmware/cis/tagging/tag_association.list_attached_tags_on_objects-operation.html
 * - Error bodies: `{ error_type, messages: [{ id, default_message, args }] }`, status per type
 *   (400 INVALID_ARGUMENT / ALREADY_EXISTS, 401 UNAUTHENTICATED, 403 UNAUTHORIZED, 404 NOT_FOUND,
 *   503 SERVICE_UNAVAILABLE).
 *   https://developer.vmware.com/apis/vsphere-automation/latest/appliance/data-structures/Error/
 *   https://techdocs.broadcom.com/us/en/vmware-cis/vsphere/vsphere-sdks-tools/8-0/vmware-vsphere-automation-rest-programming-guide-8-0/introduction-to-the-vsphere-automation-rest-apis/vsphere-automation-api-responses.html
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the stand-in got. */
export interface ApiRequest {
  method: string;
  /** Path with query. */
  path: string;
  sessionId: string | undefined;
  authorization: string | undefined;
  body: unknown;
}

/** A running `/api` stand-in (see {@link startApiServer}). */
export interface ApiServer {
  url: string;
  username: string;
  password: string;
  sessions: Set<string>;
  /** Every request: method, path (with query), session header, parsed body. */
  requests: ApiRequest[];
  attached: Map<string, Set<string>>;
  /**
   * The next N requests to this path prefix answer with this status and error type; `message`
   * makes the error's text from the request (e.g. a server echoing the session id).
   */
  failNext(
    pathPrefix: string,
    status: number,
    errorType: string,
    times?: number,
    message?: (request: ApiRequest) => string,
  ): void;
  /** Drops the failures `failNext` still holds: requests are answered normally again. */
  clearFailures(): void;
  /** Forget every session, as vCenter does after its idle timeout. */
  expireSessions(): void;
  /** false: answer detach-tag-from-multiple-objects as an unknown route (404), like a server without it. */
  batchDetach: boolean;
  /** Requests to this path prefix get no answer at all (until `release()`). */
  hang(pathPrefix: string): void;
  /** Stops hanging; requests already held stay unanswered (their connections are dead). */
  release(): void;
  /** Requests held unanswered so far. */
  held(): number;
  close(): Promise<void>;
}

const CATEGORY = {
  id: 'urn:vmomi:InventoryServiceCategory:c1:GLOBAL',
  name: 'Lifecycle',
  description: '',
  cardinality: 'MULTIPLE',
  associable_types: ['VirtualMachine'],
  used_by: [],
};
const TAGS = [
  {
    id: 'urn:vmomi:InventoryServiceTag:t1:GLOBAL',
    name: 'PoweredOn',
    description: '',
    category_id: CATEGORY.id,
    used_by: [],
  },
  {
    id: 'urn:vmomi:InventoryServiceTag:t2:GLOBAL',
    name: 'Other',
    description: '',
    category_id: CATEGORY.id,
    used_by: [],
  },
];
export const POWERED_ON_TAG = TAGS[0]!.id;

/**
 * Starts the `/api` stand-in on a free loopback port: one category (`Lifecycle`) with the tags
 * `PoweredOn` ({@link POWERED_ON_TAG}) and `Other`, credentials `username` / `password`, and
 * fault switches (`failNext`, `hang`, `expireSessions`, `batchDetach`).
 *
 * @example
 * const api = await startApiServer();
 * api.failNext('/api/cis/tagging/tag-association', 503, 'SERVICE_UNAVAILABLE', 3);
 * api.hang('/api/cis/tagging/tag-association'); // then silence
 */
export async function startApiServer(): Promise<ApiServer> {
  const username = 'administrator@vsphere.local';
  const password = 'VMware1!-secret';
  const sessions = new Set<string>();
  const attached = new Map<string, Set<string>>(TAGS.map((t) => [t.id, new Set<string>()]));
  const requests: ApiServer['requests'] = [];
  const failures: {
    prefix: string;
    status: number;
    type: string;
    times: number;
    message: ((request: ApiRequest) => string) | undefined;
  }[] = [];
  let hanging: string | undefined;
  const heldResponses: http.ServerResponse[] = [];
  const state = { batchDetach: true };

  const server = http.createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const body = text === '' ? undefined : (JSON.parse(text) as Record<string, unknown>);
      const url = new URL(req.url ?? '/', 'http://x');
      const path = url.pathname;
      const action = url.searchParams.get('action');
      const sessionId = req.headers['vmware-api-session-id'] as string | undefined;
      const request: ApiRequest = {
        method: req.method ?? '',
        path: `${path}${url.search}`,
        sessionId,
        authorization: req.headers.authorization,
        body,
      };
      requests.push(request);

      const json = (status: number, value?: unknown): void => {
        res.writeHead(status, value === undefined ? {} : { 'Content-Type': 'application/json' });
        res.end(value === undefined ? undefined : JSON.stringify(value));
      };
      const error = (status: number, type: string, message: string, args: string[] = []): void =>
        json(status, {
          error_type: type,
          messages: [
            { id: `vapi.std.errors.${type.toLowerCase()}`, default_message: message, args },
          ],
        });

      if (hanging !== undefined && path.startsWith(hanging)) {
        heldResponses.push(res);
        return;
      }
      const failure = failures.find((f) => path.startsWith(f.prefix) && f.times > 0);
      if (failure !== undefined) {
        failure.times -= 1;
        const text = failure.message?.(request) ?? `injected ${failure.type}`;
        return error(failure.status, failure.type, text, failure.message ? [text] : []);
      }

      if (path === '/api/session' && req.method === 'POST') {
        const expected = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
        if (req.headers.authorization !== expected)
          return error(401, 'UNAUTHENTICATED', 'Authentication required.');
        const id = randomUUID().replaceAll('-', '');
        sessions.add(id);
        return json(201, id);
      }
      if (sessionId === undefined || !sessions.has(sessionId))
        return error(401, 'UNAUTHENTICATED', 'Authentication required.');

      if (path === '/api/session' && req.method === 'GET')
        return json(200, { user: username, created_time: new Date().toISOString() });
      if (path === '/api/session' && req.method === 'DELETE') {
        sessions.delete(sessionId);
        return json(204);
      }
      if (path === '/api/cis/tagging/category' && req.method === 'GET')
        return json(200, [CATEGORY.id]);
      if (path.startsWith('/api/cis/tagging/category/') && req.method === 'GET') {
        const id = decodeURIComponent(path.slice('/api/cis/tagging/category/'.length));
        return id === CATEGORY.id
          ? json(200, CATEGORY)
          : error(404, 'NOT_FOUND', `Category ${id} not found`, [id]);
      }
      if (path === '/api/cis/tagging/tag' && action === 'list-tags-for-category') {
        return body?.category_id === CATEGORY.id
          ? json(
              200,
              TAGS.map((t) => t.id),
            )
          : error(404, 'NOT_FOUND', 'no category');
      }
      if (path.startsWith('/api/cis/tagging/tag/') && req.method === 'GET') {
        const id = decodeURIComponent(path.slice('/api/cis/tagging/tag/'.length));
        const tag = TAGS.find((t) => t.id === id);
        return tag ? json(200, tag) : error(404, 'NOT_FOUND', `Tag ${id} not found`, [id]);
      }
      if (
        path === '/api/cis/tagging/tag-association' &&
        action === 'list-attached-tags-on-objects'
      ) {
        const objects = (body?.object_ids ?? []) as { type: string; id: string }[];
        return json(
          200,
          objects.map((o) => ({
            object_id: o,
            tag_ids: [...attached].filter(([, vms]) => vms.has(o.id)).map(([tag]) => tag),
          })),
        );
      }
      if (path === '/api/cis/tagging/tag-association' && action === 'list-attached-tags') {
        const object = body?.object_id as { type: string; id: string };
        return json(
          200,
          [...attached].filter(([, vms]) => vms.has(object.id)).map(([tag]) => tag),
        );
      }
      if (path.startsWith('/api/cis/tagging/tag-association/')) {
        const tagId = decodeURIComponent(path.slice('/api/cis/tagging/tag-association/'.length));
        const vms = attached.get(tagId);
        if (vms === undefined) return error(404, 'NOT_FOUND', `Tag ${tagId} not found`, [tagId]);
        if (action === 'attach' || action === 'detach') {
          const object = body?.object_id as { type: string; id: string } | undefined;
          if (object?.type !== 'VirtualMachine')
            return error(400, 'INVALID_ARGUMENT', 'object_id is not valid');
          if (action === 'attach') vms.add(object.id);
          else vms.delete(object.id);
          return json(204);
        }
        if (action === 'attach-tag-to-multiple-objects') {
          const objects = (body?.object_ids ?? []) as { type: string; id: string }[];
          const errors = goneObjectErrors(objects);
          for (const o of objects) if (!o.id.startsWith('vm-gone')) vms.add(o.id);
          return json(200, { success: errors.length === 0, error_messages: errors });
        }
        if (action === 'detach-tag-from-multiple-objects' && state.batchDetach) {
          const objects = (body?.object_ids ?? []) as { type: string; id: string }[];
          const errors = goneObjectErrors(objects);
          for (const o of objects) vms.delete(o.id);
          return json(200, { success: errors.length === 0, error_messages: errors });
        }
      }
      return error(404, 'NOT_FOUND', `no route ${req.method} ${path}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    username,
    password,
    sessions,
    requests,
    attached,
    failNext(prefix, status, type, times = 1, message) {
      failures.push({ prefix, status, type, times, message });
    },
    clearFailures() {
      failures.length = 0;
    },
    expireSessions() {
      sessions.clear();
    },
    get batchDetach() {
      return state.batchDetach;
    },
    set batchDetach(value: boolean) {
      state.batchDetach = value;
    },
    hang(prefix) {
      hanging = prefix;
    },
    release() {
      hanging = undefined;
    },
    held: () => heldResponses.length,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The batch result's error for each object whose id says it is gone (`vm-gone...`). */
function goneObjectErrors(objects: ReadonlyArray<{ id: string }>) {
  return objects
    .filter((o) => o.id.startsWith('vm-gone'))
    .map((o) => ({
      id: 'cis.tagging.objectNotFound.error',
      default_message: `Object ${o.id} not found`,
      args: [o.id],
    }));
}
