/**
 * The `/api` flavour (vSphere 7.0 U2+) against a local server that answers as the vSphere
 * Automation API reference documents it (see src/testing/api-server.ts for the pages): vcsim 0.24 only
 * serves `/rest`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createVCenterClient,
  VCenterError,
  type VCenterClient,
  type VCenterClientOptions,
} from '../src/index.js';
import { POWERED_ON_TAG, startApiServer, type ApiServer } from '../src/testing/index.js';
import { captureLogs } from './helpers.js';

let api: ApiServer;
let vc: VCenterClient | undefined;

function client(overrides: Partial<VCenterClientOptions> = {}): VCenterClient {
  vc = createVCenterClient({
    server: api.url,
    username: api.username,
    password: api.password,
    keepAliveIntervalMs: 0,
    ...overrides,
  });
  return vc;
}

beforeEach(async () => {
  api = await startApiServer();
});

afterEach(async () => {
  await vc?.close();
  vc = undefined;
  await api.close();
});

describe('/api flavour', () => {
  it('auto picks /api when POST /api/session answers 201 with a JSON string token', async () => {
    const c = client();
    await c.connect();
    expect(c.flavour).toBe('api');
    expect(api.requests).toHaveLength(1);
    expect(api.requests[0]).toMatchObject({ method: 'POST', path: '/api/session' });
    expect(api.sessions.size).toBe(1);
  });

  it('attaches with 204 and sends the session header, the object id body and no credentials', async () => {
    const c = client();
    const tag = await c.tagging.findTag('Lifecycle', 'PoweredOn');
    expect(tag?.id).toBe(POWERED_ON_TAG);
    await c.tagging.attach(POWERED_ON_TAG, 'vm-42');
    const attach = api.requests.at(-1);
    expect(attach).toMatchObject({
      method: 'POST',
      path: `/api/cis/tagging/tag-association/${POWERED_ON_TAG}?action=attach`,
      body: { object_id: { type: 'VirtualMachine', id: 'vm-42' } },
      authorization: undefined,
    });
    expect(api.sessions.has(attach?.sessionId as string)).toBe(true);
    expect(api.attached.get(POWERED_ON_TAG)?.has('vm-42')).toBe(true);
    expect(await c.tagging.listAttachedTags('vm-42')).toEqual([POWERED_ON_TAG]);
    await c.tagging.detach(POWERED_ON_TAG, 'vm-42');
    expect(await c.tagging.listAttachedTags('vm-42')).toEqual([]);
  });

  it('maps an error_type body to VCenterError: NOT_FOUND with messages, method and path', async () => {
    const c = client();
    const error = await c.tagging
      .attach('urn:vmomi:InventoryServiceTag:nope:GLOBAL', 'vm-42')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VCenterError);
    expect(error).toMatchObject({
      name: 'VCenterError',
      status: 404,
      vapiType: 'NOT_FOUND',
      method: 'POST',
      path: '/api/cis/tagging/tag-association/urn:vmomi:InventoryServiceTag:nope:GLOBAL?action=attach',
      operation: 'tag.attach',
      retryable: false,
      messages: ['Tag urn:vmomi:InventoryServiceTag:nope:GLOBAL not found'],
    });
    expect((error as Error).message).toContain('404 NOT_FOUND');
  });

  it.each([
    [503, 'SERVICE_UNAVAILABLE', true],
    [500, 'INTERNAL_SERVER_ERROR', true],
    [429, 'RESOURCE_BUSY', true],
    [400, 'INVALID_ARGUMENT', false],
    [403, 'UNAUTHORIZED', false],
  ])('status %i with error_type %s is retryable: %s', async (status, type, retryable) => {
    const c = client();
    await c.connect();
    api.failNext('/api/cis/tagging/tag-association', status, type);
    const error = await c.tagging.attach(POWERED_ON_TAG, 'vm-42').catch((e: unknown) => e);
    expect(error).toMatchObject({ status, vapiType: type, retryable });
  });

  it('attachToMany reads per-VM errors from a 200 BatchResult', async () => {
    const c = client();
    const result = await c.tagging.attachToMany(POWERED_ON_TAG, ['vm-1', 'vm-gone-2', 'vm-3']);
    expect(api.requests.at(-1)).toMatchObject({
      path: `/api/cis/tagging/tag-association/${POWERED_ON_TAG}?action=attach-tag-to-multiple-objects`,
      body: {
        object_ids: [
          { type: 'VirtualMachine', id: 'vm-1' },
          { type: 'VirtualMachine', id: 'vm-gone-2' },
          { type: 'VirtualMachine', id: 'vm-3' },
        ],
      },
    });
    expect(result).toEqual({
      success: false,
      messages: ['Object vm-gone-2 not found'],
      results: [
        { vmId: 'vm-1', status: 'attached', messages: [] },
        { vmId: 'vm-gone-2', status: 'failed', messages: ['Object vm-gone-2 not found'] },
        { vmId: 'vm-3', status: 'attached', messages: [] },
      ],
    });
  });

  it('bad credentials: 401 UNAUTHENTICATED, not retryable, and the error holds no credentials', async () => {
    const logs = captureLogs();
    const c = client({ password: 'wrong-password-xyz', logger: logs.logger });
    const error = await c.connect().catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401, vapiType: 'UNAUTHENTICATED', retryable: false });
    const everything =
      JSON.stringify(error, Object.getOwnPropertyNames(error)) +
      String((error as Error).stack) +
      logs.text();
    expect(everything).not.toContain('wrong-password-xyz');
    expect(everything).not.toContain(
      Buffer.from(`${api.username}:wrong-password-xyz`).toString('base64'),
    );
  });

  it('no answer (connection refused): NETWORK_ERROR, retryable, and the cause carries no request headers', async () => {
    const url = api.url;
    await api.close();
    const c = client({ server: url });
    const error = await c.connect().catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'VCenterError',
      vapiType: 'NETWORK_ERROR',
      retryable: true,
      status: undefined,
    });
    const cause = (error as Error).cause as Error & { code?: string; config?: unknown };
    expect(cause.code).toBe('ECONNREFUSED');
    expect(cause.config).toBeUndefined();
    const everything =
      JSON.stringify(error, Object.getOwnPropertyNames(error)) +
      JSON.stringify(cause, Object.getOwnPropertyNames(cause));
    expect(everything).not.toContain('Basic ');
    expect(everything).not.toContain(api.password);
    api = await startApiServer(); // for afterEach
  });

  it('20 concurrent calls failing with 401 together cause exactly one new login', async () => {
    const c = client();
    await c.connect();
    api.expireSessions();
    const vms = Array.from({ length: 20 }, (_, i) => `vm-${100 + i}`);
    await Promise.all(vms.map((vm) => c.tagging.attach(POWERED_ON_TAG, vm)));
    expect(c.stats.logins).toBe(2);
    expect(
      api.requests.filter((r) => r.path === '/api/session' && r.method === 'POST'),
    ).toHaveLength(2);
    expect(api.attached.get(POWERED_ON_TAG)?.size).toBe(20);
  });

  it('a call retries only once: a second 401 is returned as UNAUTHENTICATED', async () => {
    const c = client();
    await c.connect();
    api.failNext('/api/cis/tagging/tag-association', 401, 'UNAUTHENTICATED', 2);
    const error = await c.tagging.attach(POWERED_ON_TAG, 'vm-42').catch((e: unknown) => e);
    expect(error).toMatchObject({ status: 401, vapiType: 'UNAUTHENTICATED', retryable: false });
    expect(c.stats.logins).toBe(2);
  });

  it('close() sends DELETE /api/session (204) and forgets the session', async () => {
    const c = client();
    await c.connect();
    const [id] = [...api.sessions];
    await c.close();
    expect(api.requests.at(-1)).toMatchObject({
      method: 'DELETE',
      path: '/api/session',
      sessionId: id,
    });
    expect(api.sessions.size).toBe(0);
  });

  it('the keep-alive uses GET /api/session and re-logs in when it gets 401', async () => {
    const c = client({ keepAliveIntervalMs: 50 });
    await c.connect();
    await waitFor(() => api.requests.some((r) => r.method === 'GET' && r.path === '/api/session'));
    api.expireSessions();
    await waitFor(() => c.stats.logins === 2);
    expect(api.sessions.size).toBe(1);
  });
});

async function waitFor(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
