/**
 * The client against govmomi's vcsim (0.24.2, Debian): the `/rest` flavour, the real TLS
 * handshake, session expiry. vcsim's gaps are listed in the README (no `/api`, any credentials,
 * no VM existence check, empty 401 bodies), so the `/api` flavour is tested in api-flavour.test.ts.
 */
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVcsim, type VcsimServer } from '@veba-functions/test-helpers';
import {
  createVCenterClient,
  VCenterError,
  type VCenterClient,
  type VCenterClientOptions,
} from '../src/index.js';
import { captureLogs, useVcsim, rawVcsim, sleep, startRecordingProxy } from './helpers.js';

const sim = useVcsim();
const client = (overrides: Partial<VCenterClientOptions> = {}): VCenterClient =>
  sim.client(overrides);

describe('login', () => {
  it('auto flavour tries /api, gets 404 from vcsim and settles on /rest with one session', async () => {
    const vc = client();
    await vc.connect();
    expect(vc.flavour).toBe('rest');
    expect(vc.stats.logins).toBe(1);
    // one POST /api/session (404) + one POST /rest/com/vmware/cis/session (200)
    expect(vc.stats.byOperation['session.create']).toBe(2);
    // connecting again reuses the warm session
    await vc.connect();
    expect(vc.stats.requests).toBe(2);
  });

  it('flavour "api" fails against vcsim with a non-retryable NOT_FOUND', async () => {
    const vc = client({ flavour: 'api' });
    const error = await vc.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VCenterError);
    expect(error).toMatchObject({
      vapiType: 'NOT_FOUND',
      status: 404,
      method: 'POST',
      path: '/api/session',
      retryable: false,
    });
  });

  it('logs in lazily on the first call when connect() was not called', async () => {
    const vc = client({ flavour: 'rest' });
    expect(await vc.tagging.listAttachedTags(sim.vcsim.vms[0] as string)).toEqual([]);
    expect(vc.stats.logins).toBe(1);
  });
});

describe('tag lookup', () => {
  beforeAll(async () => {
    const setup = client({ flavour: 'rest' });
    await setup.tagging.ensureTag('lookup-a', 'shared-name', { create: true });
    await setup.tagging.ensureTag('lookup-b', 'shared-name', { create: true });
    await setup.tagging.ensureTag('lookup-b', 'only-in-b', { create: true });
  });

  it('finds a category by name and caches it', async () => {
    const vc = client({ flavour: 'rest' });
    const category = await vc.tagging.findCategory('lookup-a');
    expect(category).toMatchObject({
      name: 'lookup-a',
      cardinality: 'MULTIPLE',
      associableTypes: ['VirtualMachine'],
    });
    const afterFirst = vc.stats.requests;
    expect(afterFirst).toBeGreaterThan(1);
    expect(await vc.tagging.findCategory('lookup-a')).toEqual(category);
    expect(vc.stats.requests).toBe(afterFirst);
  });

  it('finds a tag inside its category (tag names are unique per category only) and caches it', async () => {
    const vc = client({ flavour: 'rest' });
    const inA = await vc.tagging.findTag('lookup-a', 'shared-name');
    const inB = await vc.tagging.findTag('lookup-b', 'shared-name');
    expect(inA?.name).toBe('shared-name');
    expect(inB?.name).toBe('shared-name');
    expect(inA?.id).not.toBe(inB?.id);
    expect(inA?.categoryId).toBe((await vc.tagging.findCategory('lookup-a'))?.id);

    const before = vc.stats.requests;
    await vc.tagging.findTag('lookup-a', 'shared-name');
    await vc.tagging.findTag('lookup-b', 'shared-name');
    // tags seen during the first walk are cached too
    expect((await vc.tagging.findTag('lookup-b', 'only-in-b'))?.name).toBe('only-in-b');
    expect(vc.stats.requests).toBe(before);
  });

  it('counts lookups in veba_vcenter_requests_total and shares one walk between concurrent lookups', async () => {
    const metrics = new Registry();
    const vc = client({ flavour: 'rest', metrics });
    await vc.connect();
    const found = await Promise.all(
      Array.from({ length: 10 }, () => vc.tagging.findTag('lookup-b', 'only-in-b')),
    );
    expect(new Set(found.map((t) => t?.id)).size).toBe(1);
    const values =
      (await metrics.getSingleMetric('veba_vcenter_requests_total')?.get())?.values ?? [];
    const count = (operation: string): number =>
      values
        .filter((v) => v.labels.operation === operation && v.labels.status === '200')
        .reduce((n, v) => n + v.value, 0);
    expect(count('category.list')).toBe(1);
    expect(count('tag.list')).toBe(1);
    expect(count('session.create')).toBe(1);
    expect(vc.stats.byOperation['category.list']).toBe(1);
  });

  it('answers undefined for a missing category or tag', async () => {
    const vc = client({ flavour: 'rest' });
    expect(await vc.tagging.findCategory('no-such-category')).toBeUndefined();
    expect(await vc.tagging.findTag('lookup-a', 'no-such-tag')).toBeUndefined();
    expect(await vc.tagging.findTag('no-such-category', 'shared-name')).toBeUndefined();
  });

  it('findTagsByName finds a name that exists in one category, with the category name', async () => {
    const vc = client({ flavour: 'rest' });
    const expected = await vc.tagging.findTag('lookup-b', 'only-in-b');
    expect(expected).toBeDefined();

    const found = await vc.tagging.findTagsByName('only-in-b');

    expect(found).toEqual([{ ...expected, categoryName: 'lookup-b' }]);
  });

  it('findTagsByName returns every category holding the name (names are unique per category only)', async () => {
    const vc = client({ flavour: 'rest' });
    const inA = await vc.tagging.findTag('lookup-a', 'shared-name');
    const inB = await vc.tagging.findTag('lookup-b', 'shared-name');

    const found = await vc.tagging.findTagsByName('shared-name');

    expect(found).toHaveLength(2);
    expect([...found].sort((x, y) => x.categoryName.localeCompare(y.categoryName))).toEqual([
      { ...inA, categoryName: 'lookup-a' },
      { ...inB, categoryName: 'lookup-b' },
    ]);
  });

  it('findTagsByName answers [] for a missing name after one walk, and walks again next time (not cached)', async () => {
    const raw = rawVcsim(sim.vcsim);
    const categoryIds = (
      (await raw.call('GET', '/rest/com/vmware/cis/tagging/category')).body as {
        value: string[];
      }
    ).value;
    let tagCount = 0;
    for (const id of categoryIds) {
      const answer = await raw.call(
        'POST',
        `/rest/com/vmware/cis/tagging/tag/id:${id}?~action=list-tags-for-category`,
      );
      tagCount += (answer.body as { value: string[] }).value.length;
    }
    expect(tagCount).toBeGreaterThanOrEqual(3);
    const vc = client({ flavour: 'rest' });
    await vc.connect();

    expect(await vc.tagging.findTagsByName('no-such-tag')).toEqual([]);
    expect(vc.stats.byOperation['category.list']).toBe(1);
    expect(vc.stats.byOperation['tag.list']).toBe(categoryIds.length);
    expect(vc.stats.byOperation['tag.get']).toBe(tagCount);
    // no match: no category to name
    expect(vc.stats.byOperation['category.get'] ?? 0).toBe(0);

    expect(await vc.tagging.findTagsByName('no-such-tag')).toEqual([]);
    expect(vc.stats.byOperation['category.list']).toBe(2);
    expect(vc.stats.byOperation['tag.get']).toBe(2 * tagCount);
  });

  it('findTagsByName keeps at most 8 requests open while walking many categories', async () => {
    const setup = client({ flavour: 'rest' });
    for (let i = 0; i < 12; i += 1) {
      await setup.tagging.ensureTag(`wide-${i}`, 'wide-a', { create: true });
      await setup.tagging.ensureTag(`wide-${i}`, 'wide-b', { create: true });
    }
    const proxy = await startRecordingProxy(sim.vcsim);
    try {
      const vc = client({ server: proxy.url, ca: undefined, flavour: 'rest' });
      await vc.connect();

      const found = await vc.tagging.findTagsByName('wide-b');

      expect(found.map((t) => t.categoryName).sort()).toEqual(
        Array.from({ length: 12 }, (_, i) => `wide-${i}`).sort(),
      );
      expect(vc.stats.byOperation['tag.get']).toBeGreaterThanOrEqual(24);
      expect(proxy.maxInFlight()).toBeLessThanOrEqual(8);
    } finally {
      await proxy.close();
    }
  });

  it('findTagsByName rejects an empty name before calling vCenter', async () => {
    const vc = client({ flavour: 'rest' });
    await expect(vc.tagging.findTagsByName(' ')).rejects.toMatchObject({
      name: 'VCenterError',
      vapiType: 'INVALID_ARGUMENT',
      retryable: false,
    });
    expect(vc.stats.requests).toBe(0);
  });

  it('ensureTag does not create by default: TAG_NOT_FOUND, not retryable', async () => {
    const vc = client({ flavour: 'rest' });
    const error = await vc.tagging.ensureTag('lookup-a', 'missing-tag').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VCenterError);
    expect(error).toMatchObject({ vapiType: 'TAG_NOT_FOUND', retryable: false });
    expect(await vc.tagging.findTag('lookup-a', 'missing-tag')).toBeUndefined();
  });

  it('ensureTag creates the missing category and tag when allowed, once for concurrent callers', async () => {
    const vc = client({ flavour: 'rest', createMissingTags: true });
    const tags = await Promise.all(
      Array.from({ length: 5 }, () => vc.tagging.ensureTag('created-cat', 'created-tag')),
    );
    expect(new Set(tags.map((t) => t.id)).size).toBe(1);
    expect(vc.stats.byOperation['category.create']).toBe(1);
    expect(vc.stats.byOperation['tag.create']).toBe(1);
    const other = client({ flavour: 'rest' });
    expect((await other.tagging.findTag('created-cat', 'created-tag'))?.id).toBe(tags[0]?.id);
  });

  it('two replicas creating the same tag at once end up with one category and one tag', async () => {
    const a = client({ flavour: 'rest', createMissingTags: true });
    const b = client({ flavour: 'rest', createMissingTags: true });
    const names = ['race-1', 'race-2', 'race-3'];
    const results = await Promise.all(
      names.flatMap((name) => [a, b].map((c) => c.tagging.ensureTag(`${name}-cat`, `${name}-tag`))),
    );
    for (let i = 0; i < names.length; i += 1)
      expect(results[2 * i]?.id).toBe(results[2 * i + 1]?.id);

    const raw = rawVcsim(sim.vcsim);
    const categoryIds = (await raw.call('GET', '/rest/com/vmware/cis/tagging/category')).body as {
      value: string[];
    };
    const categoryNames = await Promise.all(
      categoryIds.value.map(async (id) => {
        const answer = await raw.call('GET', `/rest/com/vmware/cis/tagging/category/id:${id}`);
        return (answer.body as { value: { name: string } }).value.name;
      }),
    );
    for (const name of names)
      expect(categoryNames.filter((n) => n === `${name}-cat`)).toHaveLength(1);
    // vcsim's duplicate answer, { type: 'com.vmware.vapi.std.errors.already_exists' }, reads as ALREADY_EXISTS
    const again = await raw.call('POST', '/rest/com/vmware/cis/tagging/category', {
      create_spec: {
        name: 'race-1-cat',
        description: '',
        cardinality: 'MULTIPLE',
        associable_types: [],
      },
    });
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ type: 'com.vmware.vapi.std.errors.already_exists' });
  });

  it('forgets a cached tag id when vCenter answers NOT_FOUND for it', async () => {
    const vc = client({ flavour: 'rest', createMissingTags: true });
    const tag = await vc.tagging.ensureTag('lookup-a', 'doomed');
    const raw = rawVcsim(sim.vcsim);
    expect((await raw.call('DELETE', `/rest/com/vmware/cis/tagging/tag/id:${tag.id}`)).status).toBe(
      200,
    );

    const error = await vc.tagging
      .attach(tag.id, sim.vcsim.vms[0] as string)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      name: 'VCenterError',
      vapiType: 'NOT_FOUND',
      status: 404,
      retryable: false,
    });
    const before = vc.stats.requests;
    expect(await vc.tagging.findTag('lookup-a', 'doomed')).toBeUndefined();
    expect(vc.stats.requests).toBeGreaterThan(before);
  });
});

describe('attach, list, detach', () => {
  it('attaches a tag to a VM by moref, lists it, detaches it', async () => {
    const vc = client({ flavour: 'rest', createMissingTags: true });
    const tag = await vc.tagging.ensureTag('attach-cat', 'attach-tag');
    const vm = sim.vcsim.vms[0] as string;
    await vc.tagging.attach(tag.id, vm);
    await vc.tagging.attach(tag.id, vm); // attaching twice is a no-op, as on vCenter
    expect(await vc.tagging.listAttachedTags(vm)).toContain(tag.id);
    await vc.tagging.detach(tag.id, vm);
    expect(await vc.tagging.listAttachedTags(vm)).not.toContain(tag.id);
  });

  it('sends the object id vCenter expects: { type: "VirtualMachine", id: <moref> }', async () => {
    const vc = client({ flavour: 'rest', createMissingTags: true });
    const tag = await vc.tagging.ensureTag('attach-cat', 'shape-tag');
    const vm = sim.vcsim.vms[1] as string;
    await vc.tagging.attach(tag.id, vm);
    const raw = rawVcsim(sim.vcsim);
    const listed = await raw.call(
      'POST',
      `/rest/com/vmware/cis/tagging/tag-association/id:${tag.id}?~action=list-attached-objects`,
      {},
    );
    expect(listed.body).toEqual({ value: [{ type: 'VirtualMachine', id: vm }] });
  });

  it('rejects an empty VM id before calling vCenter', async () => {
    const vc = client({ flavour: 'rest' });
    await expect(vc.tagging.attach('urn:x', ' ')).rejects.toMatchObject({
      vapiType: 'INVALID_ARGUMENT',
      retryable: false,
    });
    expect(vc.stats.requests).toBe(0);
  });

  it('attachToMany attaches one tag to several VMs in one call', async () => {
    const vc = client({ flavour: 'rest', createMissingTags: true });
    const tag = await vc.tagging.ensureTag('attach-cat', 'many-tag');
    const before = vc.stats.byOperation['tag.attach_many'] ?? 0;
    const result = await vc.tagging.attachToMany(tag.id, [
      ...sim.vcsim.vms,
      sim.vcsim.vms[0] as string,
    ]);
    expect(vc.stats.byOperation['tag.attach_many']).toBe(before + 1);
    expect(result.success).toBe(true);
    expect(result.results).toEqual(
      sim.vcsim.vms.map((vmId) => ({ vmId, status: 'attached', messages: [] })),
    );
    for (const vm of sim.vcsim.vms) expect(await vc.tagging.listAttachedTags(vm)).toContain(tag.id);
  });

  it('attachToMany with no VMs makes no call', async () => {
    const vc = client({ flavour: 'rest' });
    expect(await vc.tagging.attachToMany('urn:any', [])).toEqual({
      success: true,
      results: [],
      messages: [],
    });
    expect(vc.stats.requests).toBe(0);
  });
});

describe('session lifecycle', () => {
  it('close() deletes the session: the old session id then gets 401', async () => {
    const proxy = await startRecordingProxy(sim.vcsim);
    const logs = captureLogs();
    try {
      const vc = createVCenterClient({
        server: proxy.url,
        username: sim.vcsim.username,
        password: sim.vcsim.password,
        flavour: 'rest',
        keepAliveIntervalMs: 0,
        logger: logs.logger,
      });
      await vc.tagging.listAttachedTags(sim.vcsim.vms[0] as string);
      const sessionId = proxy.seen.find((r) => r.sessionId !== undefined)?.sessionId as string;
      expect(sessionId).toMatch(/^[0-9a-f-]{36}$/);
      const raw = rawVcsim(sim.vcsim);
      expect(
        (await raw.withSession(sessionId, 'POST', '/rest/com/vmware/cis/session?~action=get'))
          .status,
      ).toBe(200);

      await vc.close();
      expect(proxy.seen.at(-1)).toMatchObject({
        method: 'DELETE',
        path: '/rest/com/vmware/cis/session',
        sessionId,
      });
      expect(
        (await raw.withSession(sessionId, 'POST', '/rest/com/vmware/cis/session?~action=get'))
          .status,
      ).toBe(401);
      await expect(vc.tagging.listAttachedTags('vm-1')).rejects.toMatchObject({
        vapiType: 'CLIENT_CLOSED',
      });

      // only the login carried credentials; neither they nor the session id reached a log line
      expect(proxy.seen.filter((r) => r.authorization).map((r) => r.path)).toEqual([
        '/rest/com/vmware/cis/session',
      ]);
      expect(logs.lines().length).toBeGreaterThan(0);
      expect(logs.text()).not.toContain(sessionId);
      expect(logs.text()).not.toContain(sim.vcsim.password);
    } finally {
      await proxy.close();
    }
  });
});

describe('TLS', () => {
  it("rejects vcsim's self-signed certificate by default (not retryable: a configuration problem)", async () => {
    const vc = client({ ca: undefined, flavour: 'rest' });
    const error = await vc.connect().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VCenterError);
    expect(error).toMatchObject({ vapiType: 'TLS_ERROR', retryable: false, status: undefined });
    expect((error as Error).message).toContain('self-signed');
  });

  it('accepts it with the CA file', async () => {
    const vc = client({ ca: sim.vcsim.caFile, flavour: 'rest' });
    await vc.connect();
    expect(vc.stats.logins).toBe(1);
  });

  it('accepts it with insecure, for this client only, and warns once', async () => {
    const logs = captureLogs();
    const vc = client({ ca: undefined, insecure: true, flavour: 'rest', logger: logs.logger });
    await vc.connect();
    await vc.tagging.listAttachedTags(sim.vcsim.vms[0] as string);
    expect(logs.lines().filter((l) => l.level === 40)).toHaveLength(1);
    // the process-wide setting is untouched, and a verifying client next to it still verifies
    expect(process.env.NODE_TLS_REJECT_UNAUTHORIZED).toBeUndefined();
    await expect(client({ ca: undefined, flavour: 'rest' }).connect()).rejects.toMatchObject({
      vapiType: 'TLS_ERROR',
    });
  });
});

describe('timeouts', () => {
  it('a request that gets no answer within requestTimeoutMs fails as TIMED_OUT, retryable', async () => {
    const own = await startVcsim();
    try {
      const vc = client({
        server: own.url,
        ca: own.caFile,
        flavour: 'rest',
        requestTimeoutMs: 300,
      });
      await vc.connect();
      own.freeze();
      const error = await vc.tagging.listAttachedTags('vm-1').catch((e: unknown) => e);
      expect(error).toMatchObject({
        name: 'VCenterError',
        vapiType: 'TIMED_OUT',
        retryable: true,
        operation: 'tag.list_attached',
      });
    } finally {
      own.thaw();
      await own.stop();
    }
  });
});

describe('session expiry', () => {
  let short: VcsimServer;

  beforeAll(async () => {
    short = await startVcsim({ idleTimeoutSeconds: 1 });
  });

  afterAll(async () => {
    await short?.stop();
  });

  it('after the session expired, 20 concurrent calls all succeed with exactly one new login', async () => {
    const metrics = new Registry();
    const vc = client({ server: short.url, ca: short.caFile, flavour: 'rest', metrics });
    await vc.connect();
    const tag = await vc.tagging.ensureTag('expiry-cat', 'expiry-tag', { create: true });
    // vcsim checks idle sessions every idle-timeout: idle for more than 2x it (plus slack for a
    // loaded machine), the session is gone
    await sleep(3_200);

    const vms = Array.from({ length: 20 }, (_, i) => short.vms[i % short.vms.length] as string);
    await Promise.all(vms.map((vm) => vc.tagging.attach(tag.id, vm)));

    expect(vc.stats.logins).toBe(2);
    expect(vc.stats.byOperation['session.create']).toBe(2);
    const values =
      (await metrics.getSingleMetric('veba_vcenter_requests_total')?.get())?.values ?? [];
    const attach = (status: string): number =>
      values.find((v) => v.labels.operation === 'tag.attach' && v.labels.status === status)
        ?.value ?? 0;
    expect(attach('401')).toBe(20);
    expect(attach('200')).toBe(20);
    for (const vm of new Set(vms)) expect(await vc.tagging.listAttachedTags(vm)).toContain(tag.id);
  });

  it('the keep-alive touches an idle session so it never expires', async () => {
    const vc = client({
      server: short.url,
      ca: short.caFile,
      flavour: 'rest',
      keepAliveIntervalMs: 250,
    });
    await vc.connect();
    await sleep(2_600);
    await vc.tagging.listAttachedTags(short.vms[0] as string);
    expect(vc.stats.logins).toBe(1);
    expect(vc.stats.byOperation['session.get']).toBeGreaterThanOrEqual(3);
  });
});
