/**
 * vm-tag over HTTP with real Redis and vcsim: real vcsim power-ons and power-offs reach an
 * attaching and a detaching deployment through the VEBA source emulator (each behind a stand-in
 * for its Knative Trigger's type filter), kn-go-tagging's configuration is read unchanged, and the
 * two deployments of one tag are ordered against each other.
 */
import http from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  fixtureEvent,
  functionReadmeProblems,
  httpRequest,
  sendCloudEvent,
  type TestFunction,
} from '@veba-functions/test-helpers';
import type { Tag } from '@veba-functions/vcenter';
import {
  burstMeetingACallInFlight,
  useVCenterHarness,
  vcenterRequests,
  vmEvent,
} from '@veba-functions/vcenter/testing';
import { createVmTag } from '../src/index.js';

const CATEGORY = 'veba-state';
const TAG_NAME = 'running';
const ON = 'com.vmware.vsphere.VmPoweredOnEvent.v0';
const OFF = 'com.vmware.vsphere.VmPoweredOffEvent.v0';

const h = useVCenterHarness();
let tag: Tag;
const closers: Array<() => Promise<void>> = [];

/** The file's variables: vcsim, Redis and the tag, under `overrides`. */
const env = (overrides: Record<string, string | undefined> = {}) =>
  h.env({ VCENTER_TAG_NAME: TAG_NAME, VCENTER_TAG_CATEGORY: CATEGORY, ...overrides });

const start = (variables: Record<string, string | undefined>): Promise<TestFunction> =>
  h.start(createVmTag(), variables);

/**
 * A stand-in for a Knative Trigger: passes the event types it filters on to the function and
 * acknowledges the rest (which a real Trigger would never deliver).
 */
async function trigger(target: string, types: string[]): Promise<string> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!types.includes(String(req.headers['ce-type']))) {
        res.writeHead(200).end();
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([k]) => k.startsWith('ce-') || k === 'content-type'),
      ) as Record<string, string>;
      void httpRequest(target, { headers, body: Buffer.concat(chunks) }).then(
        (answer) =>
          res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body),
        () => res.writeHead(502).end(),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
}

beforeAll(async () => {
  tag = await h.admin.tagging.ensureTag(CATEGORY, TAG_NAME, { create: true });
});

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

describe('vm-tag over HTTP (Redis + vcsim)', () => {
  it('end to end on real events: tag on power-on, untag on power-off, through the VEBA source emulator', async () => {
    const attach = await start(env({ TAG_ACTION: 'attach' }));
    const detach = await start(env({ TAG_ACTION: 'detach' }));
    const name = 'DC0_H0_VM1';
    const vm = h.vcsim.inventory.vms[name]!;
    await h.vcsim.actions.powerOff(name);
    const sinks = [await trigger(attach.url, [ON]), await trigger(detach.url, [OFF])];
    await h.withSinks(sinks, async () => {
      const on = await h.vcsim.actions.powerOn(name);
      expect(on.delivered).toBe(true);
      expect(await h.admin.tagging.listAttachedTags(vm)).toContain(tag.id);
      expect(attach.logs.messages('info')).toContain(
        `attached tag ${TAG_NAME} to ${vm} (${name}) on VmPoweredOnEvent`,
      );

      const off = await h.vcsim.actions.powerOff(name);
      expect(off.deliveries.every((d) => d.status === 200)).toBe(true);
      expect(await h.admin.tagging.listAttachedTags(vm)).not.toContain(tag.id);
      expect(detach.logs.messages('info')).toContain(
        `detached tag ${TAG_NAME} from ${vm} (${name}) on VmPoweredOffEvent`,
      );
    });
  });

  it("starts from kn-go-tagging's configuration unchanged: VCENTER_URL, a mounted vsphere-credentials secret, TAG_NAME, TAG_ACTION", async () => {
    const secret = mkdtempSync(join(tmpdir(), 'vsphere-credentials-'));
    writeFileSync(join(secret, 'username'), h.vcsim.username);
    writeFileSync(join(secret, 'password'), h.vcsim.password);
    const fn = await start({
      VCENTER_URL: h.vcsim.url,
      VCENTER_INSECURE: 'true',
      VCENTER_SECRET_PATH: secret,
      TAG_NAME: TAG_NAME,
      TAG_ACTION: 'detach',
      REDIS_URL: h.redis.url,
    });
    await h.admin.tagging.attach(tag.id, 'vm-6101');

    const answer = await sendCloudEvent(fn.url, vmEvent(OFF, 'vm-6101', 600_001));

    expect(answer.json()).toMatchObject({ vm: 'vm-6101', action: 'detach', tagId: tag.id });
    expect(await h.admin.tagging.listAttachedTags('vm-6101')).not.toContain(tag.id);
    expect(fn.logs.text()).not.toContain(h.vcsim.password);
  });

  it('detaching a tag that is not on the VM is a success', async () => {
    const fn = await start(env({ TAG_ACTION: 'detach' }));
    const answer = await sendCloudEvent(fn.url, vmEvent(OFF, 'vm-6201', 610_001));
    expect(answer.status).toBe(200);
    expect(answer.json()).toMatchObject({ action: 'detach', tagExists: true });
  });

  it('two deployments on one tag share the ordering mark: a late power-on never undoes a newer power-off', async () => {
    const attach = await start(env({ TAG_ACTION: 'attach' }));
    const detach = await start(env({ TAG_ACTION: 'detach' }));
    const vm = 'vm-6301';
    await h.admin.tagging.attach(tag.id, vm);

    expect((await sendCloudEvent(detach.url, vmEvent(OFF, vm, 620_020))).status).toBe(200);
    const late = await sendCloudEvent(attach.url, vmEvent(ON, vm, 620_010));

    expect(late.json()).toEqual({
      skipped: 'stale: key 620010 is older than 620020 already handled',
    });
    expect(await h.admin.tagging.listAttachedTags(vm)).not.toContain(tag.id);
    // a newer power-on is handled
    expect((await sendCloudEvent(attach.url, vmEvent(ON, vm, 620_030))).status).toBe(200);
    expect(await h.admin.tagging.listAttachedTags(vm)).toContain(tag.id);
  });

  it('one event reaching two deployments (different tags) is done by both: the dedupe identity holds the action and the tag', async () => {
    const other = await h.admin.tagging.ensureTag(CATEGORY, 'other', { create: true });
    const a = await start(env({ TAG_ACTION: 'attach' }));
    const b = await start(env({ TAG_ACTION: 'attach', VCENTER_TAG_NAME: 'other' }));
    const event = vmEvent(ON, 'vm-6401', 630_001);

    const answers = await Promise.all([sendCloudEvent(a.url, event), sendCloudEvent(b.url, event)]);

    expect(answers.map((r) => r.status)).toEqual([200, 200]);
    expect(await h.admin.tagging.listAttachedTags('vm-6401')).toEqual(
      expect.arrayContaining([tag.id, other.id]),
    );
    // and a redelivery to one of them is a duplicate
    expect((await sendCloudEvent(a.url, event)).json()).toEqual({
      skipped: 'duplicate: the same event was already processed',
    });
  });

  it('steady state one vCenter call per event; a burst of 50 attaches meeting a call in flight costs at most 5 calls', async () => {
    const fn = await start(env({ TAG_ACTION: 'attach' }));
    const before = await vcenterRequests(fn);
    for (let i = 0; i < 5; i += 1)
      await sendCloudEvent(fn.url, vmEvent(ON, `vm-65${i}0`, 640_000 + i));
    expect((await vcenterRequests(fn)) - before).toBe(5);

    const vms = Array.from({ length: 50 }, (_, i) => `vm-66${String(i).padStart(2, '0')}`);
    const { answers, calls } = await burstMeetingACallInFlight(
      fn,
      h.vcsim,
      vms.map((vm, i) => vmEvent(ON, vm, 641_000 + i)),
    );
    console.log(`vm-tag attach: a burst of 50 events cost ${calls} vCenter call(s)`);
    expect(answers.every((r) => r.status === 200)).toBe(true);
    expect(calls).toBeLessThanOrEqual(5);
    const tags = await h.admin.tagging.listAttachedTagsOnVms(vms);
    expect(vms.filter((vm) => !tags.get(vm)?.includes(tag.id))).toEqual([]);
  });

  it('a burst of 50 detaches on vcsim: one batch detach call finds vcsim has none, then one detach per VM', async () => {
    const fn = await start(env({ TAG_ACTION: 'detach' }));
    const vms = Array.from({ length: 50 }, (_, i) => `vm-67${String(i).padStart(2, '0')}`);
    await h.admin.tagging.attachToMany(tag.id, vms);

    const answers = await Promise.all(
      vms.map((vm, i) => sendCloudEvent(fn.url, vmEvent(OFF, vm, 650_000 + i))),
    );

    console.log(
      `vm-tag detach on vcsim: a burst of 50 events cost ${await vcenterRequests(fn, 'tag.detach_many')} batch + ${await vcenterRequests(fn, 'tag.detach')} single call(s)`,
    );
    expect(answers.every((r) => r.status === 200)).toBe(true);
    expect(await vcenterRequests(fn, 'tag.detach_many')).toBe(1);
    expect(await vcenterRequests(fn, 'tag.detach')).toBe(50);
    const tags = await h.admin.tagging.listAttachedTagsOnVms(vms);
    expect(vms.filter((vm) => tags.get(vm)?.includes(tag.id))).toEqual([]);
  });

  it('skips an event that names no VM, and answers 400 for an unusable VM reference', async () => {
    const fn = await start(env({ TAG_ACTION: 'detach' }));
    const host = await sendCloudEvent(
      fn.url,
      fixtureEvent('kn-pcli-hostmaint-alarms__enter-maint-payload.json'),
    );
    expect(host.json()).toEqual({ skipped: 'EnteredMaintenanceModeEvent names no VM' });
    const bad = vmEvent(OFF, 'vm-1', 660_001);
    const answer = await sendCloudEvent(fn.url, {
      ...bad,
      data: { ...(bad.data as object), Vm: { Vm: null } },
    });
    expect(answer.status).toBe(400);
  });

  it('refuses to start without a tag name, naming both keys', async () => {
    await expect(start(env({ VCENTER_TAG_NAME: undefined }))).rejects.toThrow(
      /VCENTER_TAG_NAME: missing \(looked in VCENTER_TAG_NAME and TAG_NAME/,
    );
  });

  it('its README has the sections of every function and documents exactly its keys', () => {
    const dir = fileURLToPath(new URL('..', import.meta.url));
    expect(functionReadmeProblems(dir, createVmTag())).toEqual([]);
  });
});
