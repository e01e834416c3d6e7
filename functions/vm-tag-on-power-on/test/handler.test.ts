import { describe, expect, it } from 'vitest';
import { InvalidEventError, mapError } from '@veba-functions/runtime';
import type { CloudEvent } from '@veba-functions/runtime';
import { VCenterError } from '@veba-functions/vcenter';
import { createAttachBatcher } from '../src/attach-batcher.js';
import { vmOrderingScope } from '../src/index.js';
import { TagMissingError, VmAttachRejectedError } from '../src/errors.js';
import { type HandlerLogger, type PowerOnDeps, handlePowerOn } from '../src/handler.js';
import { type TagRef, createTagResolver } from '../src/tag-resolver.js';
import {
  DRS_POWER_ON,
  LEGACY_ROUTER,
  VM_POWER_ON,
  bodyFixture,
  cloudEvent,
  fixtureJson,
  fixtureText,
  powerOnEvent,
  structuredFixture,
} from './fixtures.js';

const TAG: TagRef = {
  id: 'urn:vmomi:InventoryServiceTag:11111111-aaaa:GLOBAL',
  name: 'powered-on',
};

interface LogLine {
  level: 'info' | 'warn' | 'error';
  obj: object;
  msg: string;
}

function captureLogger(): HandlerLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (obj: object, msg: string): void => {
      lines.push({ level, obj, msg });
    };
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

interface Harness {
  deps: PowerOnDeps;
  attached: Array<[tagId: string, vmId: string]>;
  logger: ReturnType<typeof captureLogger>;
}

/** Deps whose attach records its calls and fails as `fail` says (per call, in order). */
function harness(
  options: { fail?: Array<Error | undefined>; refresh?: () => Promise<TagRef | undefined> } = {},
): Harness {
  const attached: Harness['attached'] = [];
  const logger = captureLogger();
  const failures = [...(options.fail ?? [])];
  const deps: PowerOnDeps = {
    attach(tagId, vmId) {
      attached.push([tagId, vmId]);
      const failure = failures.shift();
      return failure ? Promise.reject(failure) : Promise.resolve();
    },
    tags: {
      current: () => TAG,
      refresh: options.refresh ?? (() => Promise.resolve(undefined)),
    },
    logger,
  };
  return { deps, attached, logger };
}

/** Runs the handler and returns the HTTP status the runtime would answer with. */
async function statusOf(event: CloudEvent<unknown>, deps: PowerOnDeps): Promise<number> {
  try {
    await handlePowerOn(event, deps);
    return 200;
  } catch (error) {
    return mapError(error).status;
  }
}

function vcenterError(message: string, fields: { retryable: boolean; vapiType?: string }): Error {
  return Object.assign(new Error(message), { name: 'VCenterError', ...fields });
}

describe('handlePowerOn: power-on events from the VEBA samples', () => {
  const powerOns: Array<[string, () => CloudEvent<unknown>, string, string | undefined]> = [
    [
      'kn-pcli-tag (binary mode, DRS)',
      () => bodyFixture('kn-pcli-tag__test-payload.json', { type: DRS_POWER_ON }),
      'vm-11099',
      'REPLACE-ME',
    ],
    [
      'kn-pcli-tag body as VmPoweredOnEvent',
      () => bodyFixture('kn-pcli-tag__test-payload.json', { type: VM_POWER_ON }),
      'vm-11099',
      'REPLACE-ME',
    ],
    [
      'kn-pcli-tag body via the legacy router (subject DrsVmPoweredOnEvent)',
      () =>
        bodyFixture('kn-pcli-tag__test-payload.json', {
          type: LEGACY_ROUTER,
          subject: 'DrsVmPoweredOnEvent',
        }),
      'vm-11099',
      'REPLACE-ME',
    ],
    [
      'kn-pcli-tag body via the legacy router (subject VmPoweredOnEvent)',
      () =>
        bodyFixture('kn-pcli-tag__test-payload.json', {
          type: LEGACY_ROUTER,
          subject: 'VmPoweredOnEvent',
        }),
      'vm-11099',
      'REPLACE-ME',
    ],
    [
      'kn-py-vm-attr (structured)',
      () => structuredFixture('kn-py-vm-attr__testevent.json'),
      'vm-596',
      'TestVM',
    ],
    [
      'docs: intro-tanzu-sources (Sockeye dump)',
      () => structuredFixture('docs-extracted__docs-intro-tanzu-sources__DrsVmPoweredOnEvent.json'),
      'vm-81',
      'vm1',
    ],
    [
      'docs: use-eventspec',
      () => structuredFixture('docs-extracted__docs-use-eventspec__DrsVmPoweredOnEvent.json'),
      'vm-2073',
      'workload1',
    ],
    [
      'openfaas tagging valid-event-2 (only data.Vm)',
      () =>
        cloudEvent(
          { type: VM_POWER_ON },
          fixtureJson('legacy__openfaas-vm-reconfig-via-tag__valid-event-2.json')['data'],
        ),
      'vm-2',
      undefined,
    ],
    [
      'kn-go-tagging event2 body as a power-on',
      () => bodyFixture('kn-go-tagging__event2.json', { type: DRS_POWER_ON }),
      'vm-60',
      'test-01',
    ],
  ];

  it.each(powerOns)(
    '%s: attaches the tag to the VM the event names',
    async (_name, make, vmId, vmName) => {
      const { deps, attached, logger } = harness();

      const result = await handlePowerOn(make(), deps);

      expect(attached).toEqual([[TAG.id, vmId]]);
      expect(result).toEqual({
        status: 200,
        body: { vm: vmId, vmName, tag: TAG.name, tagId: TAG.id },
      });
      const info = logger.lines.filter((l) => l.level === 'info');
      expect(info.map((l) => l.msg)).toEqual([
        `attached tag ${TAG.name} to ${vmId} (${vmName ?? 'unnamed'})`,
      ]);
    },
  );
});

describe('handlePowerOn: other event classes are skipped', () => {
  const others: Array<[string, () => CloudEvent<unknown>]> = [
    ['kn-py-echo VmPoweredOffEvent', () => structuredFixture('kn-py-echo__testevent.json')],
    [
      'kn-ps-echo legacy router VmPoweredOffEvent',
      () =>
        bodyFixture('kn-ps-echo__test-payload.json', {
          type: LEGACY_ROUTER,
          subject: 'VmPoweredOffEvent',
        }),
    ],
    [
      'kn-ps-slack VmPoweredOffEvent',
      () =>
        bodyFixture('kn-ps-slack__test-payload.json', {
          type: 'com.vmware.vsphere.VmPoweredOffEvent.v0',
        }),
    ],
    [
      'openfaas valid-event-1 (legacy router, power-off)',
      () => structuredFixture('legacy__openfaas-vm-reconfig-via-tag__valid-event-1.json'),
    ],
    [
      'kn-py-vro (power-off type around a power-on body)',
      () => structuredFixture('kn-py-vro__testevent.json'),
    ],
    [
      'kn-pcli-nsx-tag-sync EventEx',
      () =>
        bodyFixture('kn-pcli-nsx-tag-sync__test-payload.json', {
          type: 'com.vmware.vsphere.com.vmware.cis.tagging.attach.v0',
          eventclass: 'eventex',
        }),
    ],
    [
      'kn-pcli-snapshot-cron PingSource',
      () =>
        bodyFixture('kn-pcli-snapshot-cron__test-payload.json', {
          type: 'dev.knative.sources.ping',
        }),
    ],
    [
      'legacy router event without subject',
      () => bodyFixture('kn-pcli-tag__test-payload.json', { type: LEGACY_ROUTER }),
    ],
  ];

  it.each(others)('%s -> skipped, no vCenter call', async (_name, make) => {
    const { deps, attached } = harness();

    await expect(handlePowerOn(make(), deps)).resolves.toEqual({ skipped: 'type not handled' });
    expect(attached).toEqual([]);
  });
});

describe('handlePowerOn: malformed power-on events -> 400 with the reason', () => {
  const malformed: Array<[string, () => CloudEvent<unknown>, RegExp]> = [
    [
      'kn-go-tagging eventErr1 (null moref)',
      () => bodyFixture('kn-go-tagging__eventErr1.json', { type: DRS_POWER_ON }),
      /data\.Vm\.Vm\.Value is missing/,
    ],
    [
      'kn-go-tagging eventErr2 (nested data, Vm.Vm null)',
      () => bodyFixture('kn-go-tagging__eventErr2.json', { type: DRS_POWER_ON }),
      /data\.Vm is missing/,
    ],
    [
      'kn-go-tagging eventErr3 (Vm null)',
      () => bodyFixture('kn-go-tagging__eventErr3.json', { type: VM_POWER_ON }),
      /data\.Vm is missing/,
    ],
    [
      'kn-go-tagging eventErr4 (nested data null)',
      () => bodyFixture('kn-go-tagging__eventErr4.json', { type: VM_POWER_ON }),
      /data\.Vm is missing/,
    ],
    [
      'openfaas invalid-event-1 (null moref)',
      () =>
        cloudEvent(
          { type: DRS_POWER_ON },
          fixtureJson('legacy__openfaas-vm-reconfig-via-tag__invalid-event-1.json')['data'],
        ),
      /data\.Vm\.Vm\.Value is missing/,
    ],
    [
      'openfaas invalid-event-2 (Vm.Vm null)',
      () =>
        cloudEvent(
          { type: DRS_POWER_ON },
          fixtureJson('legacy__openfaas-vm-reconfig-via-tag__invalid-event-2.json')['data'],
        ),
      /data\.Vm\.Vm is missing/,
    ],
    [
      'openfaas invalid-event-3 (Vm null)',
      () =>
        cloudEvent(
          { type: DRS_POWER_ON },
          fixtureJson('legacy__openfaas-vm-reconfig-via-tag__invalid-event-3.json')['data'],
        ),
      /data\.Vm is missing/,
    ],
    [
      'openfaas invalid-event-4 (data null)',
      () =>
        cloudEvent(
          { type: DRS_POWER_ON },
          fixtureJson('legacy__openfaas-vm-reconfig-via-tag__invalid-event-4.json')['data'],
        ),
      /data is missing/,
    ],
    [
      'kn-pcli-template body (not valid JSON) as a power-on',
      () => cloudEvent({ type: DRS_POWER_ON }, fixtureText('kn-pcli-template__test-payload.json')),
      /not valid JSON/,
    ],
    [
      'kn-pcli-vds-config body (not valid JSON) as a power-on',
      () => cloudEvent({ type: VM_POWER_ON }, fixtureText('kn-pcli-vds-config__test-payload.json')),
      /not valid JSON/,
    ],
    [
      'Vm naming a host',
      () =>
        cloudEvent(
          { type: DRS_POWER_ON },
          {
            ...fixtureJson('kn-pcli-tag__test-payload.json'),
            Vm: { Name: 'esx', Vm: { Type: 'HostSystem', Value: 'host-11' } },
          },
        ),
      /data\.Vm\.Vm\.Type is 'HostSystem'/,
    ],
    [
      'moref that is not a managed object id',
      () =>
        cloudEvent(
          { type: DRS_POWER_ON },
          {
            ...fixtureJson('kn-pcli-tag__test-payload.json'),
            Vm: { Name: 'x', Vm: { Type: 'VirtualMachine', Value: '../../session' } },
          },
        ),
      /not a valid managed object id/,
    ],
    [
      'kn-py-vro body under a power-on type with specversion 0.3',
      () => {
        const { data, ...attributes } = fixtureJson('kn-py-vro__testevent.json');
        return cloudEvent({ ...attributes, type: DRS_POWER_ON }, data);
      },
      /specversion/,
    ],
  ];

  it.each(malformed)('%s', async (_name, make, reason) => {
    const { deps, attached } = harness();
    const event = make();

    const error = await handlePowerOn(event, deps).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as Error).message).toMatch(reason);
    expect(mapError(error).status).toBe(400);
    expect(attached).toEqual([]);
  });
});

describe('handlePowerOn: vCenter answers', () => {
  const event = (): CloudEvent<unknown> => powerOnEvent('vm-42', 1001, 'web-01');

  it('a VM deleted since its power-on -> 400 with the reason, logged at warn', async () => {
    const { deps, logger } = harness({
      fail: [new VmAttachRejectedError('vm-42', true, 'object not found')],
    });

    const error = await handlePowerOn(event(), deps).catch((e: unknown) => e);

    expect(mapError(error).status).toBe(400);
    expect((error as Error).message).toMatch(/vm-42 does not exist in vCenter/);
    expect(logger.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
  });

  it('a VM vCenter refuses for another reason (permissions) -> 502', async () => {
    const { deps } = harness({
      fail: [new VmAttachRejectedError('vm-42', false, 'not authorized')],
    });

    expect(await statusOf(event(), deps)).toBe(502);
  });

  it('vCenter unavailable (retryable) -> 503', async () => {
    const { deps } = harness({
      fail: [vcenterError('connect ECONNREFUSED', { retryable: true, vapiType: 'NETWORK_ERROR' })],
    });

    expect(await statusOf(event(), deps)).toBe(503);
  });

  it('vCenter refusing the privilege (403) -> 502', async () => {
    const { deps } = harness({
      fail: [new VCenterError('403 Forbidden', { type: 'UNAUTHORIZED', status: 403 })],
    });

    expect(await statusOf(event(), deps)).toBe(502);
  });

  it('an unexpected, non-retryable failure stays a 500', async () => {
    const { deps } = harness({
      fail: [vcenterError('bad request', { retryable: false, vapiType: 'INVALID_ARGUMENT' })],
    });

    expect(await statusOf(event(), deps)).toBe(500);
  });

  it('the tag was deleted and recreated: looks it up again and attaches the new one', async () => {
    const recreated: TagRef = {
      id: 'urn:vmomi:InventoryServiceTag:22222222-bbbb:GLOBAL',
      name: TAG.name,
    };
    const { deps, attached } = harness({
      fail: [new TagMissingError(TAG.id)],
      refresh: () => Promise.resolve(recreated),
    });

    const result = await handlePowerOn(event(), deps);

    expect(attached).toEqual([
      [TAG.id, 'vm-42'],
      [recreated.id, 'vm-42'],
    ]);
    expect(result).toMatchObject({ body: { tagId: recreated.id } });
  });

  it('the tag was deleted and is not found again -> 502 (misconfiguration), logged at error', async () => {
    const { deps, attached, logger } = harness({ fail: [new TagMissingError(TAG.id)] });

    expect(await statusOf(event(), deps)).toBe(502);
    expect(attached).toHaveLength(1);
    expect(logger.lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([
      `tag ${TAG.name} no longer exists in vCenter: recreate it, or set VCENTER_TAG_CREATE_IF_MISSING=true`,
    ]);
  });

  it('the tag lookup itself fails with a retryable error -> 503', async () => {
    const { deps } = harness({
      fail: [new TagMissingError(TAG.id)],
      refresh: () => Promise.reject(vcenterError('503 Service Unavailable', { retryable: true })),
    });

    expect(await statusOf(event(), deps)).toBe(503);
  });
});

describe('handlePowerOn with the real batcher and tag resolver', () => {
  it('a deleted tag is looked up once for a whole burst, and the burst retried in one call', async () => {
    let tagId = TAG.id;
    const calls: Array<[string, string[]]> = [];
    let lookups = 0;
    const tags = createTagResolver({
      describe: `"${TAG.name}"`,
      find: () => {
        lookups += 1;
        return Promise.resolve({ id: tagId, name: TAG.name });
      },
    });
    await tags.init();
    tagId = 'urn:recreated';
    lookups = 0;

    const batchers = new Map<string, ReturnType<typeof createAttachBatcher>>();
    const batcherFor = (id: string): ReturnType<typeof createAttachBatcher> => {
      let b = batchers.get(id);
      if (b === undefined) {
        b = createAttachBatcher({
          windowMs: 20,
          attachMany: (vmIds) => {
            calls.push([id, [...vmIds]]);
            if (id !== tagId) return Promise.reject(new TagMissingError(id));
            return Promise.resolve(new Map(vmIds.map((vm) => [vm, { ok: true as const }])));
          },
        });
        batchers.set(id, b);
      }
      return b;
    };
    const deps: PowerOnDeps = {
      attach: (id, vm, signal) => batcherFor(id).attach(vm, signal),
      tags,
      logger: captureLogger(),
    };

    const vms = Array.from({ length: 10 }, (_, i) => `vm-${100 + i}`);
    const results = await Promise.all(
      vms.map((vm, i) => handlePowerOn(powerOnEvent(vm, 5000 + i), deps)),
    );

    expect(results.every((r) => 'status' in r && r.status === 200)).toBe(true);
    expect(lookups).toBe(1);
    expect(calls).toEqual([
      [TAG.id, vms],
      ['urn:recreated', vms],
    ]);
  });
});

describe('vmOrderingScope', () => {
  it('is one VM of one vCenter', () => {
    const event = powerOnEvent('vm-42', 1);

    expect(vmOrderingScope(event)).toBe('https://vcenter.local/sdk|vm-42');
  });

  it('lets events without a usable VM through unchecked (the handler rejects them)', () => {
    expect(
      vmOrderingScope(bodyFixture('kn-go-tagging__eventErr3.json', { type: DRS_POWER_ON })),
    ).toBeUndefined();
    expect(vmOrderingScope(cloudEvent({ type: DRS_POWER_ON }, 'not json'))).toBeUndefined();
  });
});
