/**
 * Batched attach/detach (`createTagAssociations`) and the configured tag (`createTagTarget`)
 * against vcsim (the `/rest` flavour; no batch detach in 0.24.2) and against the local `/api`
 * stand-in (batch detach with per-object results, a server without it, a server that stops
 * answering).
 */
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startVcsim } from '@veba-functions/test-helpers';
import {
  createAttachedTags,
  createTagAssociations,
  createTagTarget,
  toRuntimeError,
  type VCenterClient,
  type VCenterClientOptions,
} from '../src/index.js';
import { POWERED_ON_TAG, startApiServer, type ApiServer } from '../src/testing/index.js';
import { captureLogs, useVcsim, rawVcsim } from './helpers.js';

const sim = useVcsim({ flavour: 'rest' });
const client = (overrides: Partial<VCenterClientOptions> = {}): VCenterClient =>
  sim.client(overrides);

const vms = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `vm-${prefix}${i}`);

describe('createTagAssociations against vcsim', () => {
  it('a lone attach is one attach-tag-to-multiple-objects call; a burst of 50 costs at most 5', async () => {
    const metrics = new Registry();
    const vc = client({ metrics });
    const tag = await vc.tagging.ensureTag('assoc', 'burst', { create: true });
    const associations = createTagAssociations(vc.tagging, { metrics });

    await associations.attach(tag.id, 'vm-lone');
    expect(vc.stats.byOperation['tag.attach_many']).toBe(1);

    const burst = vms('1', 50);
    await Promise.all(burst.map((vm) => associations.attach(tag.id, vm)));
    const calls = (vc.stats.byOperation['tag.attach_many'] ?? 0) - 1;
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThanOrEqual(5);
    const tagged = await vc.tagging.listAttachedTagsOnVms(burst);
    expect([...tagged.values()].every((ids) => ids.includes(tag.id))).toBe(true);
    expect(
      (await metrics.getSingleMetric('veba_vcenter_tag_batch_size')?.get())?.values.find(
        (v) =>
          v.labels.action === 'attach' &&
          (v as { metricName?: string }).metricName?.endsWith('_count'),
      )?.value,
    ).toBe(associations.stats.calls);
  });

  it('detach: vcsim has no batch detach (an empty 200 that does nothing), so single calls do it, and later batches skip the batch call', async () => {
    const vc = client();
    const tag = await vc.tagging.ensureTag('assoc', 'detach', { create: true });
    const targets = vms('2', 6);
    await vc.tagging.attachToMany(tag.id, targets);
    const associations = createTagAssociations(vc.tagging);

    // vcsim answers the batch action with 200 and no body, and detaches nothing
    expect(await vc.tagging.detachFromMany(tag.id, targets.slice(0, 1))).toBeUndefined();
    expect(await vc.tagging.listAttachedTags(targets[0]!)).toContain(tag.id);

    await Promise.all(targets.slice(0, 3).map((vm) => associations.detach(tag.id, vm)));
    expect(associations.stats.batchDetach).toBe(false);
    const batchCalls = vc.stats.byOperation['tag.detach_many'];
    await Promise.all(targets.slice(3).map((vm) => associations.detach(tag.id, vm)));
    expect(vc.stats.byOperation['tag.detach_many']).toBe(batchCalls);

    const left = await vc.tagging.listAttachedTagsOnVms(targets);
    expect([...left.values()].some((ids) => ids.includes(tag.id))).toBe(false);
    // detaching a tag that is not there is success
    await expect(associations.detach(tag.id, targets[0]!)).resolves.toBeUndefined();
  });

  it('a deleted tag fails attach and detach with TAG_NOT_FOUND (502 for the function), not a 400 about the VM', async () => {
    const vc = client();
    const tag = await vc.tagging.ensureTag('assoc', 'doomed', { create: true });
    await rawVcsim(sim.vcsim).call('DELETE', `/rest/com/vmware/cis/tagging/tag/id:${tag.id}`);
    const associations = createTagAssociations(vc.tagging);

    const attach = await associations.attach(tag.id, 'vm-1').catch((e: unknown) => e);
    const detach = await associations.detach(tag.id, 'vm-1').catch((e: unknown) => e);

    for (const error of [attach, detach]) {
      expect(error).toMatchObject({
        name: 'VCenterError',
        vapiType: 'TAG_NOT_FOUND',
        objectId: undefined,
      });
      expect(toRuntimeError(error, 'tagging vm-1')).toMatchObject({
        name: 'UpstreamRejectedError',
      });
    }
  });

  it('vcsim frozen: the call is abandoned once its only waiter gives up, and the next attach after the thaw goes out at once', async () => {
    const own = await startVcsim();
    const vc = client({ server: own.url, ca: own.caFile, requestTimeoutMs: 30_000 });
    try {
      const tag = await vc.tagging.ensureTag('assoc', 'frozen', { create: true });
      const associations = createTagAssociations(vc.tagging);
      own.freeze(); // returns once the kernel reports vcsim stopped
      const giveUp = new AbortController();
      const stuck = associations.attach(tag.id, 'vm-f1', { signal: giveUp.signal });
      const events: string[] = [];
      setTimeout(() => giveUp.abort(new Error('deadline')), 200);
      await stuck.catch(() => events.push('first gave up'));
      if (associations.stats.abandoned === 1) events.push('call abandoned');
      own.thaw();
      await associations.attach(tag.id, 'vm-f2');
      events.push('second attached');

      // not after the stuck request's 30 s timeout: the first call no longer holds the queue
      expect(events).toEqual(['first gave up', 'call abandoned', 'second attached']);
      expect(await vc.tagging.listAttachedTags('vm-f2')).toContain(tag.id);
    } finally {
      own.thaw();
      await own.stop();
    }
  });
});

describe('createTagAssociations against the /api stand-in', () => {
  let api: ApiServer;
  let vc: VCenterClient;

  beforeAll(async () => {
    api = await startApiServer();
  });

  afterAll(async () => {
    await api?.close();
  });

  function apiClient(): VCenterClient {
    vc = client({
      server: api.url,
      username: api.username,
      password: api.password,
      ca: undefined,
      flavour: 'api',
    });
    return vc;
  }

  it('detaches with detach-tag-from-multiple-objects; a VM the server reports missing is NOT_FOUND with its objectId (400)', async () => {
    api.batchDetach = true;
    const c = apiClient();
    const associations = createTagAssociations(c.tagging);
    await c.tagging.attachToMany(POWERED_ON_TAG, ['vm-d1', 'vm-d2']);
    const from = api.requests.length;
    // one in flight first, so the rest share the second call
    const results = await Promise.allSettled(
      ['vm-d1', 'vm-d2', 'vm-gone-d3'].map((vm) => associations.detach(POWERED_ON_TAG, vm)),
    );

    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    const missing = (results[2] as PromiseRejectedResult).reason as unknown;
    expect(missing).toMatchObject({ vapiType: 'NOT_FOUND', objectId: 'vm-gone-d3' });
    expect(toRuntimeError(missing, 'untagging vm-gone-d3')).toMatchObject({
      name: 'InvalidEventError',
    });
    expect(api.attached.get(POWERED_ON_TAG)?.has('vm-d1')).toBe(false);
    const sent = api.requests.slice(from);
    expect(sent.filter((r) => r.path.includes('detach-tag-from-multiple-objects'))).toHaveLength(2);
    expect(sent.some((r) => r.path.endsWith('?action=detach'))).toBe(false);
    expect(associations.stats.batchDetach).toBe(true);
  });

  it('a server answering 404 to the batch detach: single detaches, remembered for later batches', async () => {
    api.batchDetach = false;
    const c = apiClient();
    const associations = createTagAssociations(c.tagging);
    await c.tagging.attachToMany(POWERED_ON_TAG, ['vm-e1', 'vm-e2']);
    const from = api.requests.length;
    await associations.detach(POWERED_ON_TAG, 'vm-e1');
    await associations.detach(POWERED_ON_TAG, 'vm-e2');

    const sent = api.requests.slice(from);
    expect(associations.stats.batchDetach).toBe(false);
    expect(sent.filter((r) => r.path.includes('detach-tag-from-multiple-objects'))).toHaveLength(1);
    expect(sent.filter((r) => r.path.endsWith('?action=detach'))).toHaveLength(2);
    expect(api.attached.get(POWERED_ON_TAG)?.has('vm-e1')).toBe(false);
    expect(api.attached.get(POWERED_ON_TAG)?.has('vm-e2')).toBe(false);
    api.batchDetach = true;
  });

  it('503, then no answer at all: every event gets 503, the silent call is abandoned, and the first event after recovery is answered at once', async () => {
    const c = apiClient();
    await c.connect();
    const associations = createTagAssociations(c.tagging);
    const prefix = '/api/cis/tagging/tag-association';

    api.failNext(prefix, 503, 'SERVICE_UNAVAILABLE');
    const refused = await associations.attach(POWERED_ON_TAG, 'vm-h1').catch((e: unknown) => e);
    expect(toRuntimeError(refused, 'tagging vm-h1')).toMatchObject({
      name: 'DependencyUnavailableError',
    });

    api.hang(prefix);
    const deadline = new AbortController();
    const silent = associations.attach(POWERED_ON_TAG, 'vm-h2', { signal: deadline.signal });
    const order: string[] = [];
    await new Promise((resolve) => setTimeout(resolve, 100));
    deadline.abort(new Error('deadline'));
    await silent.catch(() => order.push('silent call given up'));
    api.release();
    await associations.attach(POWERED_ON_TAG, 'vm-h3');
    order.push('attached after recovery');

    expect(order).toEqual(['silent call given up', 'attached after recovery']);
    expect(associations.stats.abandoned).toBe(1);
    expect(api.held()).toBe(1);
    expect(api.attached.get(POWERED_ON_TAG)?.has('vm-h3')).toBe(true);
  });

  it('a stuck call with a waiter still there does not hold a later event past stallMs', async () => {
    const c = apiClient();
    await c.connect();
    const associations = createTagAssociations(c.tagging, { stallMs: 100 });
    const prefix = '/api/cis/tagging/tag-association';
    api.hang(prefix);
    const deadline = new AbortController();
    const order: string[] = [];
    const stuck = associations
      .attach(POWERED_ON_TAG, 'vm-s1', { signal: deadline.signal })
      .catch(() => order.push('stuck event gave up'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    api.release();
    await associations.attach(POWERED_ON_TAG, 'vm-s2');
    order.push('later event attached');
    deadline.abort(new Error('deadline'));
    await stuck;

    expect(order).toEqual(['later event attached', 'stuck event gave up']);
  });
});

describe('createTagTarget', () => {
  it('resolves the tag once; when it is deleted and recreated, a burst looks it up once and moves to the new id', async () => {
    const vc = client();
    const tag = await vc.tagging.ensureTag('target', 'recreated', { create: true });
    const associations = createTagAssociations(vc.tagging);
    const target = createTagTarget(vc.tagging, associations, {
      tagName: 'recreated',
      category: 'target',
      createIfMissing: false,
    });
    expect(await target.init()).toEqual({ id: tag.id, name: 'recreated' });
    const raw = rawVcsim(sim.vcsim);
    await raw.call('DELETE', `/rest/com/vmware/cis/tagging/tag/id:${tag.id}`);
    const fresh = client();
    const again = await fresh.tagging.ensureTag('target', 'recreated', { create: true });
    const logs = captureLogs();
    const lookupsBefore = vc.stats.byOperation['tag.list'] ?? 0;

    const applied = await Promise.all(
      vms('t', 10).map((vm) => target.apply('attach', vm, { logger: logs.logger })),
    );

    expect(new Set(applied.map((a) => a.tag.id))).toEqual(new Set([again.id]));
    expect((vc.stats.byOperation['tag.list'] ?? 0) - lookupsBefore).toBe(1);
    expect(target.current().id).toBe(again.id);
  });

  it('a tag deleted for good: attach fails TAG_NOT_FOUND (logged at error); detach succeeds, as there is nothing to detach', async () => {
    const vc = client();
    const tag = await vc.tagging.ensureTag('target', 'gone-for-good', { create: true });
    const target = createTagTarget(vc.tagging, createTagAssociations(vc.tagging), {
      tagName: 'gone-for-good',
      category: 'target',
      createIfMissing: false,
    });
    await target.init();
    await rawVcsim(sim.vcsim).call('DELETE', `/rest/com/vmware/cis/tagging/tag/id:${tag.id}`);
    const logs = captureLogs();

    const attach = await target
      .apply('attach', 'vm-g1', { logger: logs.logger })
      .catch((e: unknown) => e);
    expect(attach).toMatchObject({ vapiType: 'TAG_NOT_FOUND', retryable: false });
    expect(
      logs
        .lines()
        .filter((l) => l.level === 50)
        .map((l) => l.msg),
    ).toEqual([
      'tag gone-for-good no longer exists in vCenter: recreate it, or set VCENTER_TAG_CREATE_IF_MISSING=true',
    ]);
    await expect(target.apply('detach', 'vm-g1')).resolves.toMatchObject({ tagExists: false });
  });

  it('init: a missing tag and an ambiguous name fail with messages naming them; creation needs the category', async () => {
    const vc = client();
    const associations = createTagAssociations(vc.tagging);
    const missing = createTagTarget(vc.tagging, associations, {
      tagName: 'nope',
      category: 'target',
      createIfMissing: false,
    });
    await expect(missing.init()).rejects.toThrow(
      /tag "nope" in category "target" does not exist in vCenter: create it, or set VCENTER_TAG_CREATE_IF_MISSING=true/,
    );

    await vc.tagging.ensureTag('amb-a', 'twice', { create: true });
    await vc.tagging.ensureTag('amb-b', 'twice', { create: true });
    const ambiguous = createTagTarget(vc.tagging, associations, {
      tagName: 'twice',
      category: undefined,
      createIfMissing: false,
    });
    await expect(ambiguous.init()).rejects.toMatchObject({
      vapiType: 'TAG_AMBIGUOUS',
      message: expect.stringMatching(
        /tag name "twice" exists in 2 categories \("amb-[ab]", "amb-[ab]"\): set VCENTER_TAG_CATEGORY/,
      ) as string,
    });

    expect(() =>
      createTagTarget(vc.tagging, associations, {
        tagName: 'x',
        category: undefined,
        createIfMissing: true,
      }),
    ).toThrow(/needs VCENTER_TAG_CATEGORY/);
  });
});

describe('createAttachedTags', () => {
  it('reads the tags of a burst of VMs in few list-attached-tags-on-objects calls, each VM its own tags', async () => {
    const vc = client();
    const a = await vc.tagging.ensureTag('attached', 'a', { create: true });
    const b = await vc.tagging.ensureTag('attached', 'b', { create: true });
    const targets = vms('r', 30);
    await vc.tagging.attachToMany(a.id, targets.slice(0, 15));
    await vc.tagging.attachToMany(b.id, targets.slice(10));
    const attached = createAttachedTags(vc.tagging);
    const arrivals = targets.map(() => attached.announce());
    const before = vc.stats.byOperation['tag.list_attached_many'] ?? 0;

    const found = await Promise.all(
      targets.map((vm, i) => attached.of(vm, { arrival: arrivals[i] })),
    );

    // every read was announced, so they all waited for each other: one call
    expect((vc.stats.byOperation['tag.list_attached_many'] ?? 0) - before).toBe(1);
    expect(found[0]!.map((t) => t.name)).toEqual(['a']);
    expect(found[12]!.map((t) => t.name).sort()).toEqual(['a', 'b']);
    expect(found[29]!.map((t) => t.name)).toEqual(['b']);
    await attached.close();
  });
});

describe('tagging additions', () => {
  it('listAttachedTagsOnVms reads many VMs in one call; getTag is cached; ensureCategory creates once', async () => {
    const vc = client();
    const tag = await vc.tagging.ensureTag('more', 'listed', { create: true });
    await vc.tagging.attachToMany(tag.id, ['vm-l1', 'vm-l2']);
    const before = vc.stats.byOperation['tag.list_attached_many'] ?? 0;
    const tags = await vc.tagging.listAttachedTagsOnVms(['vm-l1', 'vm-l2', 'vm-l3']);
    expect(vc.stats.byOperation['tag.list_attached_many']).toBe(before + 1);
    expect(tags.get('vm-l1')).toContain(tag.id);
    expect(tags.get('vm-l3')).toEqual([]);

    const gets = vc.stats.byOperation['tag.get'] ?? 0;
    expect(await vc.tagging.getTag(tag.id)).toMatchObject({ name: 'listed' });
    expect(vc.stats.byOperation['tag.get'] ?? 0).toBe(gets);
    expect(await vc.tagging.getTag('urn:vmomi:InventoryServiceTag:none:GLOBAL')).toBeUndefined();

    const created = vc.stats.byOperation['category.create'] ?? 0;
    const categories = await Promise.all([
      vc.tagging.ensureCategory('Owner-x', { create: true, cardinality: 'SINGLE' }),
      vc.tagging.ensureCategory('Owner-x', { create: true, cardinality: 'SINGLE' }),
    ]);
    expect(categories[0]).toEqual(categories[1]);
    expect(categories[0]).toMatchObject({
      cardinality: 'SINGLE',
      associableTypes: ['VirtualMachine'],
    });
    expect(vc.stats.byOperation['category.create']).toBe(created + 1);
    await expect(vc.tagging.ensureCategory('not-there')).rejects.toMatchObject({
      vapiType: 'TAG_NOT_FOUND',
    });
  });

  it('ensureTag takes the new id from the create answer (one GET, no second walk); two replicas racing end with one tag', async () => {
    const a = client();
    const b = client();
    await a.tagging.ensureCategory('race', { create: true });
    await b.tagging.findCategory('race');

    const lists = a.stats.byOperation['tag.list'] ?? 0;
    const gets = a.stats.byOperation['tag.get'] ?? 0;
    const bob = await a.tagging.ensureTag('race', 'bob', { create: true });
    // the miss costs one list of the category; the new tag one GET by the id the create returned
    expect((a.stats.byOperation['tag.list'] ?? 0) - lists).toBe(1);
    expect((a.stats.byOperation['tag.get'] ?? 0) - gets).toBe(1);
    expect(bob.name).toBe('bob');

    const [ta, tb] = await Promise.all([
      a.tagging.ensureTag('race', 'alice', { create: true }),
      b.tagging.ensureTag('race', 'alice', { create: true }),
    ]);
    expect(ta.id).toBe(tb.id);
    const third = client();
    expect(await third.tagging.findTagsByName('alice')).toHaveLength(1);
  });
});
