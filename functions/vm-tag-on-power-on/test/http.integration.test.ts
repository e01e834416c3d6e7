/**
 * The function over HTTP, as the broker delivers events, against real Redis and vcsim:
 * tags really end up on the VMs, duplicates across instances cost one attach, bursts are batched.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CloudEvent, RunningFunction } from '@veba-functions/runtime';
import { startFunction } from '@veba-functions/runtime';
import {
  type RedisServer,
  type VcsimServer,
  startRedis,
  startVcsim,
} from '@veba-functions/test-helpers';
import { type Tag, type VCenterClient, createVCenterClient } from '@veba-functions/vcenter';
import { createVmTagOnPowerOn } from '../src/index.js';
import {
  DRS_POWER_ON,
  LEGACY_ROUTER,
  VM_POWER_ON,
  bodyFixture,
  fixtureText,
  powerOnEvent,
} from './fixtures.js';

const CATEGORY = 'veba-lifecycle';
const TAG_NAME = 'powered-on';

let redis: RedisServer;
let vcsim: VcsimServer;
let admin: VCenterClient;
let tag: Tag;
const started: RunningFunction[] = [];

/** Log lines of one instance, parsed (the runtime logs JSON). */
function logSink(): { stream: Writable; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { stream, lines };
}

function baseEnv(
  overrides: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    VCENTER_SERVER: vcsim.url,
    VCENTER_USERNAME: vcsim.username,
    VCENTER_PASSWORD: vcsim.password,
    VCENTER_CA_FILE: vcsim.caFile,
    VCENTER_TAG_NAME: TAG_NAME,
    VCENTER_TAG_CATEGORY: CATEGORY,
    REDIS_URL: redis.url,
    LOG_LEVEL: 'info',
    ...overrides,
  };
}

async function startInstance(
  env: Record<string, string | undefined> = baseEnv(),
): Promise<RunningFunction & { logs: Array<Record<string, unknown>> }> {
  const sink = logSink();
  const running = await startFunction(createVmTagOnPowerOn(), {
    env,
    port: 0,
    host: '127.0.0.1',
    logDestination: sink.stream,
  });
  started.push(running);
  return Object.assign(running, { logs: sink.lines });
}

/** POSTs a CloudEvent in binary mode, as the Knative broker does. */
async function deliver(
  url: string,
  event: CloudEvent<unknown>,
  rawBody?: string,
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'ce-specversion': event.specversion,
    'ce-id': event.id,
    'ce-source': event.source,
    'ce-type': event.type,
  };
  if (event.subject !== undefined) headers['ce-subject'] = event.subject;
  const response = await fetch(url, {
    method: 'POST',
    headers,
    body: rawBody ?? JSON.stringify(event.data),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : (JSON.parse(text) as unknown) };
}

/** Delivers like the broker: retries 409 (in progress) and 5xx a few times, with a short backoff. */
async function deliverWithRetries(url: string, event: CloudEvent<unknown>): Promise<number[]> {
  const statuses: number[] = [];
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const { status } = await deliver(url, event);
    statuses.push(status);
    if (status !== 409 && status < 500) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return statuses;
}

/** vCenter requests an instance has made, from its `veba_vcenter_requests_total` counter. */
async function vcenterRequests(running: RunningFunction, operation?: string): Promise<number> {
  const metric = running.metrics.getSingleMetric('veba_vcenter_requests_total');
  if (metric === undefined) return 0;
  const { values } = await metric.get();
  return values
    .filter((v) => operation === undefined || v.labels['operation'] === operation)
    .reduce((sum, v) => sum + v.value, 0);
}

async function tagsOn(vmId: string): Promise<string[]> {
  return admin.tagging.listAttachedTags(vmId);
}

beforeAll(async () => {
  [redis, vcsim] = await Promise.all([startRedis(), startVcsim()]);
  admin = createVCenterClient({
    server: vcsim.url,
    username: vcsim.username,
    password: vcsim.password,
    ca: vcsim.caFile,
  });
  await admin.connect();
  tag = await admin.tagging.ensureTag(CATEGORY, TAG_NAME, { create: true });
});

afterAll(async () => {
  await Promise.all(started.map((f) => f.stop()));
  await admin?.close();
  await Promise.all([redis?.stop(), vcsim?.stop()]);
});

describe('vm-tag-on-power-on over HTTP (Redis + vcsim)', () => {
  it('tags the VM of a power-on event: the tag really is on the VM afterwards', async () => {
    const fn = await startInstance();
    const vm = vcsim.vms[0]!;
    expect(await tagsOn(vm)).not.toContain(tag.id);

    const answer = await deliver(fn.url, powerOnEvent(vm, 100_001, 'DC0_H0_VM0'));

    expect(answer).toEqual({
      status: 200,
      body: { vm, vmName: 'DC0_H0_VM0', tag: TAG_NAME, tagId: tag.id },
    });
    expect(await tagsOn(vm)).toContain(tag.id);
    expect(fn.logs.map((l) => l['msg'])).toContain(
      `attached tag ${TAG_NAME} to ${vm} (DC0_H0_VM0)`,
    );
  });

  it('handles VmPoweredOnEvent and the legacy router format too', async () => {
    const fn = await startInstance();
    const [vmA, vmB] = [vcsim.vms[1]!, vcsim.vms[2]!];

    const v0 = await deliver(fn.url, powerOnEvent(vmA, 100_101, 'a', VM_POWER_ON));
    const legacyEvent = {
      ...powerOnEvent(vmB, 100_102, 'b', LEGACY_ROUTER),
      id: 'c0ffee00-0000-4000-8000-000000000001',
      subject: 'DrsVmPoweredOnEvent',
    } as CloudEvent<unknown>;
    const legacy = await deliver(fn.url, legacyEvent);

    expect([v0.status, legacy.status]).toEqual([200, 200]);
    expect(await tagsOn(vmA)).toContain(tag.id);
    expect(await tagsOn(vmB)).toContain(tag.id);
  });

  it('starts from the VEBA PowerCLI TAG_SECRET unchanged (no category; URL server, CertificateAction) and tags the VM', async () => {
    // Exactly the keys of VEBA's kn-pcli-tag secret, and nothing next to it but Redis.
    const secret = {
      VCENTER_SERVER: vcsim.url,
      VCENTER_USERNAME: vcsim.username,
      VCENTER_PASSWORD: vcsim.password,
      VCENTER_TAG_NAME: TAG_NAME,
      VCENTER_CERTIFICATE_ACTION: 'Ignore',
    };
    const fn = await startInstance({ TAG_SECRET: JSON.stringify(secret), REDIS_URL: redis.url });
    const vm = vcsim.vms[3] ?? 'vm-9001';
    expect(await tagsOn(vm)).not.toContain(tag.id);
    // the name alone was resolved by one walk in init
    expect(await vcenterRequests(fn, 'category.list')).toBe(1);

    const answer = await deliver(fn.url, powerOnEvent(vm, 100_201, 'secret-vm'));

    expect(answer).toEqual({
      status: 200,
      body: { vm, vmName: 'secret-vm', tag: TAG_NAME, tagId: tag.id },
    });
    expect(await tagsOn(vm)).toContain(tag.id);
    expect(await vcenterRequests(fn, 'category.list')).toBe(1);
    expect(JSON.stringify(fn.logs)).not.toContain(vcsim.password);
  });

  it('without a category, a tag name found in two categories fails init naming both', async () => {
    await admin.tagging.ensureTag('ambiguous-ops', 'ambiguous-tag', { create: true });
    await admin.tagging.ensureTag('ambiguous-dev', 'ambiguous-tag', { create: true });
    const secret = {
      VCENTER_SERVER: vcsim.url,
      VCENTER_USERNAME: vcsim.username,
      VCENTER_PASSWORD: vcsim.password,
      VCENTER_TAG_NAME: 'ambiguous-tag',
      VCENTER_CERTIFICATE_ACTION: 'Ignore',
    };

    const error = await startInstance({
      TAG_SECRET: JSON.stringify(secret),
      REDIS_URL: redis.url,
    }).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toMatch(/tag name "ambiguous-tag" exists in 2 categories/);
    expect(message).toContain('"ambiguous-ops"');
    expect(message).toContain('"ambiguous-dev"');
    expect(message).toMatch(/set VCENTER_TAG_CATEGORY/);
    expect(message).not.toContain(vcsim.password);

    // naming the category settles it
    const fn = await startInstance(
      baseEnv({ VCENTER_TAG_NAME: 'ambiguous-tag', VCENTER_TAG_CATEGORY: 'ambiguous-dev' }),
    );
    const answer = await deliver(fn.url, powerOnEvent('vm-7201', 100_501));
    const inDev = await admin.tagging.findTag('ambiguous-dev', 'ambiguous-tag');
    expect(answer.status).toBe(200);
    expect(await tagsOn('vm-7201')).toEqual([inDev!.id]);
  });

  it('stop() lets an event waiting in its batch finish, then logs out of vCenter', async () => {
    const fn = await startInstance(baseEnv({ VCENTER_TAG_BATCH_WINDOW_MS: '1000' }));
    const vm = 'vm-7101';
    const answer = deliver(fn.url, powerOnEvent(vm, 100_401));
    await new Promise((resolve) => setTimeout(resolve, 200)); // the event is waiting in its batch

    await fn.stop();

    expect((await answer).status).toBe(200);
    expect(await tagsOn(vm)).toContain(tag.id);
    expect(await vcenterRequests(fn, 'session.delete')).toBe(1);
  });

  it('fails init with a clear message when the tag does not exist and creation is off', async () => {
    const error = await startInstance(baseEnv({ VCENTER_TAG_NAME: 'no-such-tag' })).catch(
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(
      /tag "no-such-tag" in category "veba-lifecycle" does not exist in vCenter/,
    );
  });

  it('creates the tag in init when VCENTER_TAG_CREATE_IF_MISSING=true', async () => {
    const fn = await startInstance(
      baseEnv({ VCENTER_TAG_NAME: 'created-by-function', VCENTER_TAG_CREATE_IF_MISSING: 'true' }),
    );
    const vm = vcsim.vms[0]!;

    const answer = await deliver(fn.url, powerOnEvent(vm, 100_301));
    const created = await admin.tagging.findTag(CATEGORY, 'created-by-function');

    expect(answer.status).toBe(200);
    expect(created).toBeDefined();
    expect(await tagsOn(vm)).toContain(created!.id);
  });

  it('answers 400 with the reason for malformed power-on events, never 500', async () => {
    const fn = await startInstance();
    const before = await vcenterRequests(fn);
    const bodies: Array<[string, CloudEvent<unknown>, string | undefined]> = [
      [
        'eventErr1',
        bodyFixture('kn-go-tagging__eventErr1.json', { type: DRS_POWER_ON, id: 'm1' }),
        undefined,
      ],
      [
        'eventErr2',
        bodyFixture('kn-go-tagging__eventErr2.json', { type: DRS_POWER_ON, id: 'm2' }),
        undefined,
      ],
      [
        'eventErr3',
        bodyFixture('kn-go-tagging__eventErr3.json', { type: VM_POWER_ON, id: 'm3' }),
        undefined,
      ],
      [
        'eventErr4',
        bodyFixture('kn-go-tagging__eventErr4.json', { type: VM_POWER_ON, id: 'm4' }),
        undefined,
      ],
      [
        'not JSON',
        bodyFixture('kn-pcli-tag__test-payload.json', { type: DRS_POWER_ON, id: 'm5' }),
        fixtureText('kn-pcli-template__test-payload.json'),
      ],
    ];

    for (const [name, event, raw] of bodies) {
      const answer = await deliver(fn.url, event, raw);
      expect({ name, status: answer.status }).toEqual({ name, status: 400 });
      expect(answer.body).toMatchObject({
        error: 'invalid_event',
        reason: expect.any(String) as string,
      });
    }
    expect(await vcenterRequests(fn)).toBe(before);
  });

  it('skips other event classes with 200 and no vCenter call', async () => {
    const fn = await startInstance();
    const before = await vcenterRequests(fn);

    const answer = await deliver(
      fn.url,
      bodyFixture('kn-ps-slack__test-payload.json', {
        type: 'com.vmware.vsphere.VmPoweredOffEvent.v0',
        id: 'off-1',
      }),
    );

    expect(answer.status).toBe(200);
    expect(await vcenterRequests(fn)).toBe(before);
  });

  it('three concurrent deliveries of one event to two instances sharing Redis: one attach call', async () => {
    const [a, b] = await Promise.all([startInstance(), startInstance()]);
    const vm = vcsim.vms[1]!;
    const event = powerOnEvent(vm, 200_001, 'dup');
    const before = (await vcenterRequests(a)) + (await vcenterRequests(b));

    const statuses = await Promise.all([
      deliverWithRetries(a.url, event),
      deliverWithRetries(b.url, event),
      deliverWithRetries(a.url, event),
    ]);

    const after = (await vcenterRequests(a)) + (await vcenterRequests(b));
    expect(statuses.map((s) => s.at(-1))).toEqual([200, 200, 200]);
    expect(after - before).toBe(1);
    expect(
      (await vcenterRequests(a, 'tag.attach_many')) + (await vcenterRequests(b, 'tag.attach_many')),
    ).toBeGreaterThan(0);
    expect(await tagsOn(vm)).toContain(tag.id);
  });

  it('an older power-on of the same VM after a newer one is skipped as stale; other VMs are not held up', async () => {
    const fn = await startInstance();
    const [vm, otherVm] = [vcsim.vms[2]!, 'vm-7001'];
    await deliver(fn.url, powerOnEvent(vm, 300_010));
    const before = await vcenterRequests(fn);

    const stale = await deliver(fn.url, powerOnEvent(vm, 300_005));
    const afterStale = await vcenterRequests(fn);
    const other = await deliver(fn.url, powerOnEvent(otherVm, 300_006));

    expect(stale.status).toBe(200);
    expect(JSON.stringify(stale.body)).toMatch(/stale/);
    expect(afterStale).toBe(before);
    expect(other.status).toBe(200);
    expect(await tagsOn(otherVm)).toContain(tag.id);
  });

  it('a burst of 50 power-ons for 50 VMs: all tagged, at most 10 vCenter calls', async () => {
    const fn = await startInstance();
    // vcsim's inventory has only a few VMs; it does not check VM existence on attach, so the
    // rest of the burst uses synthetic morefs (their tags are still recorded and listed).
    const vms = Array.from({ length: 50 }, (_, i) => vcsim.vms[i] ?? `vm-${5000 + i}`);
    // Steady state: one event first, so connections (Redis, vCenter) are open and code is warm.
    expect((await deliver(fn.url, powerOnEvent('vm-4999', 399_999))).status).toBe(200);
    const before = await vcenterRequests(fn);

    const answers = await Promise.all(
      vms.map((vm, i) => deliver(fn.url, powerOnEvent(vm, 400_000 + i, `burst-${i}`))),
    );

    const calls = (await vcenterRequests(fn)) - before;
    console.log(
      `burst of 50 power-on events: ${calls} vCenter call(s), ${await vcenterRequests(fn, 'tag.attach_many')} bulk attach call(s) in total for this instance`,
    );
    expect(answers.map((a) => a.status)).toEqual(vms.map(() => 200));
    expect(calls).toBeGreaterThan(0);
    expect(calls).toBeLessThanOrEqual(10);
    for (const vm of vms) expect(await tagsOn(vm)).toContain(tag.id);
  });
});
