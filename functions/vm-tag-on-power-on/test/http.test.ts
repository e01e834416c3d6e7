/**
 * The function over HTTP, as the broker delivers events, against real Redis and vcsim: real
 * vcsim power-ons reach it through the VEBA source emulator, tags really end up on the VMs,
 * duplicates across instances cost one attach, bursts share calls, and a vCenter that stops
 * answering (frozen, or 503 then silence) is recovered from at once.
 */
import type { ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  fixtureEvent,
  functionReadmeProblems,
  loadVebaFixture,
  sendCloudEvent,
  startVcsim,
  startVcsimProxy,
  type CloudEventInput,
  type TestFunction,
  type VcsimServer,
} from '@veba-functions/test-helpers';
import type { Tag, VCenterClient } from '@veba-functions/vcenter';
import {
  burstMeetingACallInFlight,
  useVCenterHarness,
  vcenterRequests,
  vcsimClient,
  vmEvent,
} from '@veba-functions/vcenter/testing';
import { createVmTagOnPowerOn } from '../src/index.js';

const CATEGORY = 'veba-lifecycle';
const TAG_NAME = 'powered-on';
const DRS = 'com.vmware.vsphere.DrsVmPoweredOnEvent.v0';

const h = useVCenterHarness();
let tag: Tag;

/** The file's variables: vcsim, Redis and the tag, under `overrides`. */
const env = (overrides: Record<string, string | undefined> = {}, server?: VcsimServer) =>
  h.env({ VCENTER_TAG_NAME: TAG_NAME, VCENTER_TAG_CATEGORY: CATEGORY, ...overrides }, server);

const startInstance = (variables = env()): Promise<TestFunction> =>
  h.start(createVmTagOnPowerOn(), variables);

/** A power-on for `vm` with its own Key (the kn-pcli-tag sample, as its send script posts it). */
const powerOn = (vm: string, key: number, name = vm, type = DRS): CloudEventInput =>
  vmEvent(type, vm, key, name);

const tagsOn = (vm: string, client: VCenterClient = h.admin): Promise<string[]> =>
  client.tagging.listAttachedTags(vm);

beforeAll(async () => {
  tag = await h.admin.tagging.ensureTag(CATEGORY, TAG_NAME, { create: true });
});

describe('vm-tag-on-power-on over HTTP (Redis + vcsim)', () => {
  it('end to end on real events: vcsim powers a VM on, the VEBA source emulator delivers VmPoweredOnEvent, the tag is on the VM', async () => {
    const fn = await startInstance();
    const name = 'DC0_C0_RP0_VM0'; // in vcsim's DRS cluster: still a VmPoweredOnEvent
    const vm = h.vcsim.inventory.vms[name]!;
    await h.vcsim.actions.powerOff(name);
    await h.withSinks([fn.url], async () => {
      expect(await tagsOn(vm)).not.toContain(tag.id);

      const result = await h.vcsim.actions.powerOn(name);

      const poweredOn = result.events.find((e) => e.eventType === 'VmPoweredOnEvent')!;
      expect(poweredOn.vm).toBe(vm);
      expect(result.deliveries.find((d) => d.key === poweredOn.key)).toMatchObject({
        status: 200,
        outcome: 'delivered',
      });
      // VmStartingEvent went to the function too, and was skipped without a vCenter call
      expect(result.deliveries.filter((d) => d.status === 200)).toHaveLength(result.events.length);
      expect(await tagsOn(vm)).toContain(tag.id);
      expect(fn.logs.messages('info')).toContain(`attached tag ${TAG_NAME} to ${vm} (${name})`);
      expect(await vcenterRequests(fn, 'tag.attach_many')).toBe(1);
    });
  });

  it('tags the VM of a power-on event; each lone event costs one vCenter call and no wait for a window', async () => {
    const fn = await startInstance();
    const vm = h.vcsim.vms[0]!;
    const before = await vcenterRequests(fn);

    const answer = await sendCloudEvent(fn.url, powerOn(vm, 100_001, 'DC0_H0_VM0'));
    for (let i = 0; i < 5; i += 1) {
      expect((await sendCloudEvent(fn.url, powerOn(`vm-${7300 + i}`, 100_010 + i))).status).toBe(
        200,
      );
    }

    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ vm, vmName: 'DC0_H0_VM0', tag: TAG_NAME, tagId: tag.id });
    expect(await tagsOn(vm)).toContain(tag.id);
    expect((await vcenterRequests(fn)) - before).toBe(6);
  });

  it('starts from the VEBA PowerCLI TAG_SECRET unchanged (no category; URL server, CertificateAction) and tags the VM', async () => {
    const secret = {
      VCENTER_SERVER: h.vcsim.url,
      VCENTER_USERNAME: h.vcsim.username,
      VCENTER_PASSWORD: h.vcsim.password,
      VCENTER_TAG_NAME: TAG_NAME,
      VCENTER_CERTIFICATE_ACTION: 'Ignore',
    };
    const fn = await startInstance({ TAG_SECRET: JSON.stringify(secret), REDIS_URL: h.redis.url });
    const vm = h.vcsim.vms[3]!;
    expect(await tagsOn(vm)).not.toContain(tag.id);
    // the name alone was resolved by one walk in init
    expect(await vcenterRequests(fn, 'category.list')).toBe(1);

    const answer = await sendCloudEvent(fn.url, powerOn(vm, 100_201, 'secret-vm'));

    expect(answer.json()).toEqual({ vm, vmName: 'secret-vm', tag: TAG_NAME, tagId: tag.id });
    expect(await tagsOn(vm)).toContain(tag.id);
    expect(await vcenterRequests(fn, 'category.list')).toBe(1);
    expect(fn.logs.text()).not.toContain(h.vcsim.password);
  });

  it('without a category, a tag name found in two categories fails init naming both', async () => {
    await h.admin.tagging.ensureTag('ambiguous-ops', 'ambiguous-tag', { create: true });
    await h.admin.tagging.ensureTag('ambiguous-dev', 'ambiguous-tag', { create: true });
    const secret = {
      VCENTER_SERVER: h.vcsim.url,
      VCENTER_USERNAME: h.vcsim.username,
      VCENTER_PASSWORD: h.vcsim.password,
      VCENTER_TAG_NAME: 'ambiguous-tag',
      VCENTER_CERTIFICATE_ACTION: 'Ignore',
    };

    const error = await startInstance({
      TAG_SECRET: JSON.stringify(secret),
      REDIS_URL: h.redis.url,
    }).catch((e: unknown) => e);

    const message = (error as Error).message;
    expect(message).toMatch(/tag name "ambiguous-tag" exists in 2 categories/);
    expect(message).toContain('"ambiguous-ops"');
    expect(message).toContain('"ambiguous-dev"');
    expect(message).toMatch(/set VCENTER_TAG_CATEGORY/);
    expect(message).not.toContain(h.vcsim.password);

    // naming the category settles it
    const fn = await startInstance(
      env({ VCENTER_TAG_NAME: 'ambiguous-tag', VCENTER_TAG_CATEGORY: 'ambiguous-dev' }),
    );
    const answer = await sendCloudEvent(fn.url, powerOn('vm-7201', 100_501));
    const inDev = await h.admin.tagging.findTag('ambiguous-dev', 'ambiguous-tag');
    expect(answer.status).toBe(200);
    expect(await tagsOn('vm-7201')).toEqual([inDev!.id]);
  });

  it('fails init with a clear message when the tag does not exist and creation is off; creates it when allowed', async () => {
    const error = await startInstance(env({ VCENTER_TAG_NAME: 'no-such-tag' })).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(
      /tag "no-such-tag" in category "veba-lifecycle" does not exist in vCenter/,
    );

    const fn = await startInstance(
      env({ VCENTER_TAG_NAME: 'created-by-function', VCENTER_TAG_CREATE_IF_MISSING: 'true' }),
    );
    const answer = await sendCloudEvent(fn.url, powerOn('vm-7401', 100_301));
    const created = await h.admin.tagging.findTag(CATEGORY, 'created-by-function');
    expect(answer.status).toBe(200);
    expect(await tagsOn('vm-7401')).toContain(created!.id);
  });

  it('answers 400 with the reason for malformed power-on events, never 500, and calls no vCenter', async () => {
    const fn = await startInstance();
    const before = await vcenterRequests(fn);
    const base = powerOn('vm-1', 1);
    const bodies: Array<[string, CloudEventInput, string | undefined]> = [
      [
        'eventErr1 (null moref)',
        { ...base, id: 'm1', data: loadVebaFixture('kn-go-tagging__eventErr1.json').data },
        undefined,
      ],
      [
        'eventErr3 (Vm null)',
        { ...base, id: 'm3', data: loadVebaFixture('kn-go-tagging__eventErr3.json').data },
        undefined,
      ],
      [
        'not JSON',
        { ...base, id: 'm5' },
        loadVebaFixture('kn-pcli-template__test-payload.json').body,
      ],
    ];

    for (const [name, event, raw] of bodies) {
      const answer = await sendCloudEvent(fn.url, event, raw === undefined ? {} : { rawBody: raw });
      expect({ name, status: answer.status }).toEqual({ name, status: 400 });
      expect(answer.json()).toMatchObject({
        error: 'invalid_event',
        reason: expect.any(String) as string,
      });
    }
    expect(await vcenterRequests(fn)).toBe(before);
  });

  it('skips other event classes with 200 and no vCenter call', async () => {
    const fn = await startInstance();
    const before = await vcenterRequests(fn);
    const answer = await sendCloudEvent(fn.url, fixtureEvent('kn-ps-slack__test-payload.json'));
    expect(answer.status).toBe(200);
    expect(answer.json()).toEqual({ skipped: 'type not handled: VmPoweredOffEvent' });
    expect(await vcenterRequests(fn)).toBe(before);
  });

  it('three concurrent deliveries of one event to two instances sharing Redis: one attach call', async () => {
    const [a, b] = await Promise.all([startInstance(), startInstance()]);
    const vm = h.vcsim.vms[1]!;
    const event = powerOn(vm, 200_001, 'dup');
    const before = (await vcenterRequests(a)) + (await vcenterRequests(b));

    const statuses = await Promise.all([
      h.sendWithRetries(a, event, { pauseMs: 50 }),
      h.sendWithRetries(b, event, { pauseMs: 50 }),
      h.sendWithRetries(a, event, { pauseMs: 50 }),
    ]);

    const after = (await vcenterRequests(a)) + (await vcenterRequests(b));
    expect(statuses.map((s) => s.at(-1)!.status)).toEqual([200, 200, 200]);
    expect(after - before).toBe(1);
    expect(await tagsOn(vm)).toContain(tag.id);
  });

  it('an older power-on of the same VM after a newer one is skipped as stale; other VMs are not held up', async () => {
    const fn = await startInstance();
    const [vm, otherVm] = [h.vcsim.vms[2]!, 'vm-7001'];
    await sendCloudEvent(fn.url, powerOn(vm, 300_010));
    const before = await vcenterRequests(fn);

    const stale = await sendCloudEvent(fn.url, powerOn(vm, 300_005));
    const afterStale = await vcenterRequests(fn);
    const other = await sendCloudEvent(fn.url, powerOn(otherVm, 300_006));

    expect(stale.status).toBe(200);
    expect(stale.body).toMatch(/stale/);
    expect(afterStale).toBe(before);
    expect(other.status).toBe(200);
    expect(await tagsOn(otherVm)).toContain(tag.id);
  });

  it('a burst of 50 concurrent power-ons for 50 VMs meeting a call in flight: all tagged, at most 5 vCenter calls', async () => {
    const fn = await startInstance();
    // vcsim does not check VM existence on attach, so the burst uses synthetic morefs too
    const vms = Array.from({ length: 50 }, (_, i) => `vm-${5000 + i}`);
    // steady state first: connections open, code warm
    expect((await sendCloudEvent(fn.url, powerOn('vm-4999', 399_999))).status).toBe(200);

    const { answers, calls } = await burstMeetingACallInFlight(
      fn,
      h.vcsim,
      vms.map((vm, i) => powerOn(vm, 400_000 + i, `burst-${i}`)),
    );
    console.log(`vm-tag-on-power-on: a burst of 50 power-ons cost ${calls} vCenter call(s)`);
    expect(answers.map((a) => a.status)).toEqual(vms.map(() => 200));
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThanOrEqual(5);
    const tags = await h.admin.tagging.listAttachedTagsOnVms(vms);
    expect(vms.filter((vm) => !tags.get(vm)?.includes(tag.id))).toEqual([]);
  });

  it('stop() logs out of vCenter', async () => {
    const fn = await startInstance();
    expect((await sendCloudEvent(fn.url, powerOn('vm-7101', 100_401))).status).toBe(200);
    await h.stop(fn);
    const counter = await fn.metrics.getSingleMetric('veba_vcenter_requests_total')?.get();
    const deletes = counter?.values.filter((v) => v.labels.operation === 'session.delete') ?? [];
    expect(deletes.reduce((n, v) => n + v.value, 0)).toBe(1);
  });

  it('its README has the sections of every function and documents exactly its keys', () => {
    const dir = fileURLToPath(new URL('..', import.meta.url));
    expect(functionReadmeProblems(dir, createVmTagOnPowerOn())).toEqual([]);
  });
});

describe('a vCenter that stops answering (issue 9)', () => {
  const FAST = { FUNCTION_TIMEOUT_SECONDS: '1', VCENTER_REQUEST_TIMEOUT_SECONDS: '30' };

  /**
   * Sends each event until it is processed, like the broker; then once more, which must be a
   * duplicate: a claim left in progress would answer 409 instead.
   */
  async function settle(fn: TestFunction, events: CloudEventInput[]): Promise<void> {
    const firstTry = await Promise.all(events.map((e) => sendCloudEvent(fn.url, e)));
    expect(firstTry.map((r) => r.status)).toEqual(events.map(() => 200));
    expect(firstTry.map((r) => r.json())).not.toContainEqual(
      expect.objectContaining({ skipped: expect.anything() as unknown }),
    );
    const again = await Promise.all(events.map((e) => sendCloudEvent(fn.url, e)));
    expect(again.map((r) => r.json<{ skipped?: string }>().skipped)).toEqual(
      events.map(() => 'duplicate: the same event was already processed'),
    );
  }

  it('vcsim frozen: every event answers 503 at its deadline, the silent call is abandoned, and after the thaw every VM is tagged at the first retry', async () => {
    const own = await startVcsim();
    const ownAdmin = vcsimClient(own);
    try {
      await ownAdmin.tagging.ensureTag(CATEGORY, TAG_NAME, { create: true });
      const fn = await startInstance(env(FAST, own));
      expect((await sendCloudEvent(fn.url, powerOn('vm-8000', 500_000))).status).toBe(200);
      const events = Array.from({ length: 5 }, (_, i) => powerOn(`vm-${8001 + i}`, 500_001 + i));

      own.freeze(); // returns once the kernel reports vcsim stopped
      const during = await Promise.all(events.map((e) => sendCloudEvent(fn.url, e)));
      const abandonedBeforeThaw = await fn.metric('veba_vcenter_tag_calls_abandoned_total');
      own.thaw();
      const thawedAt = performance.now();
      const firstRetry = await sendCloudEvent(fn.url, events[0]!);
      const recoveryMs = performance.now() - thawedAt;
      await settle(fn, events.slice(1));

      expect(during.map((r) => r.status)).toEqual(events.map(() => 503));
      expect(abandonedBeforeThaw).toBeGreaterThanOrEqual(1);
      // answered at once: not after the 30 s request timeout of the call sent into the freeze
      expect(firstRetry.status).toBe(200);
      const ownTag = await ownAdmin.tagging.findTag(CATEGORY, TAG_NAME);
      for (const e of events) {
        expect(
          await tagsOn((e.data as { Vm: { Vm: { Value: string } } }).Vm.Vm.Value, ownAdmin),
        ).toContain(ownTag!.id);
      }
      console.log(
        `vm-tag-on-power-on: first power-on after a vcsim thaw answered in ${recoveryMs.toFixed(1)} ms`,
      );
    } finally {
      own.thaw();
      await ownAdmin.close();
      await own.stop();
    }
  });

  it('a vCenter answering 503, then nothing at all: 503s, then recovery at the first retry once it answers again, no claim left in progress', async () => {
    const proxy = await startFaultProxy(h.vcsim);
    try {
      const fn = await startInstance(
        env({
          ...FAST,
          VCENTER_SERVER: proxy.url,
          VCENTER_CA_FILE: undefined,
          VCENTER_API_FLAVOUR: 'rest',
        }),
      );
      const events = Array.from({ length: 4 }, (_, i) => powerOn(`vm-${8101 + i}`, 510_001 + i));

      proxy.mode = 'fail';
      const refused = await Promise.all(events.map((e) => sendCloudEvent(fn.url, e)));
      proxy.mode = 'hang';
      const silent = await Promise.all(events.map((e) => sendCloudEvent(fn.url, e)));
      const abandoned = await fn.metric('veba_vcenter_tag_calls_abandoned_total');
      proxy.mode = 'pass';
      const backAt = performance.now();
      const first = await sendCloudEvent(fn.url, events[0]!);
      const recoveryMs = performance.now() - backAt;
      await settle(fn, events.slice(1));

      expect(refused.map((r) => r.status)).toEqual(events.map(() => 503));
      expect(silent.map((r) => r.status)).toEqual(events.map(() => 503));
      expect(abandoned).toBeGreaterThanOrEqual(1);
      expect(proxy.held()).toBeGreaterThanOrEqual(1); // those requests are never answered
      expect(first.status).toBe(200);
      const tags = await h.admin.tagging.listAttachedTagsOnVms(
        events.map((e) => (e.data as { Vm: { Vm: { Value: string } } }).Vm.Vm.Value),
      );
      expect([...tags.values()].every((ids) => ids.includes(tag.id))).toBe(true);
      console.log(
        `vm-tag-on-power-on: first power-on after vCenter answered again: ${recoveryMs.toFixed(1)} ms`,
      );
    } finally {
      await proxy.close();
    }
  });
});

interface FaultProxy {
  url: string;
  /** `pass`: forward to vcsim; `fail`: tag calls answer 503; `hang`: tag calls get no answer. */
  mode: 'pass' | 'fail' | 'hang';
  held(): number;
  close(): Promise<void>;
}

/** Plain-HTTP front for vcsim whose tag-association calls can fail or go silent. */
async function startFaultProxy(target: VcsimServer): Promise<FaultProxy> {
  const held: ServerResponse[] = [];
  const fault: FaultProxy = {
    url: '',
    mode: 'pass',
    held: () => held.length,
    close: () => Promise.resolve(),
  };
  const proxy = await startVcsimProxy(target, {
    intercept(req, res) {
      const tagging = (req.url ?? '').includes('/tagging/tag-association');
      if (tagging && fault.mode === 'hang') {
        held.push(res);
        return true;
      }
      if (tagging && fault.mode === 'fail') {
        // the /rest error body (https://vmware.github.io/vsphere-automation-sdk-rest/vsphere/operations/com/vmware/cis/tagging/tag_association.attach_tag_to_multiple_objects-operation.html)
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            type: 'com.vmware.vapi.std.errors.service_unavailable',
            value: { messages: [] },
          }),
        );
        return true;
      }
      return false;
    },
  });
  return Object.assign(fault, { url: proxy.url, close: proxy.close });
}
