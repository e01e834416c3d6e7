/**
 * What the functions over vCenter share (tag-function.ts): the session opened for `init` and
 * closed again when the rest of `init` fails, the tag function's pieces against vcsim, and the
 * error mapping of an apply; with the testing pieces they are tested through.
 */
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  DependencyUnavailableError,
  InvalidEventError,
  UpstreamRejectedError,
} from '@veba-functions/runtime';
import { freePort, startVcsim, type VcsimServer } from '@veba-functions/test-helpers';
import {
  applyTagToVm,
  createTagFunction,
  openVCenter,
  VCenterError,
  vcenterConfig,
  vcenterTagConfig,
  vmEventError,
  type VCenterClient,
} from '../src/index.js';
import { fakeTagTarget, vcsimClient, vmEvent } from '../src/testing/index.js';
import { captureLogs } from './helpers.js';

let vcsim: VcsimServer;
let admin: VCenterClient;
beforeAll(async () => {
  vcsim = await startVcsim();
  admin = vcsimClient(vcsim);
}, 300_000);
afterAll(async () => {
  await admin?.close();
  await vcsim?.stop();
});

/** The keys as a function loads them, pointing at vcsim (`overrides` as variables). */
const config = (overrides: Record<string, string> = {}) =>
  z.object({ ...vcenterConfig, ...vcenterTagConfig }).parse({
    VCENTER_SERVER: vcsim.url,
    VCENTER_USERNAME: vcsim.username,
    VCENTER_PASSWORD: vcsim.password,
    VCENTER_CA_FILE: vcsim.caFile,
    VCENTER_TAG_NAME: 'applied',
    ...overrides,
  });
const deps = () => ({ logger: pino({ enabled: false }), metrics: new Registry() });

describe('openVCenter', () => {
  it('builds on a logged-in session; when the build fails the session is deleted and the error goes on', async () => {
    let seen: VCenterClient | undefined;
    const error = await openVCenter(config(), deps(), (vcenter) => {
      seen = vcenter;
      expect(vcenter.flavour).toBe('rest');
      return Promise.reject(new Error('tag missing'));
    }).catch((e: unknown) => e);
    expect(error).toEqual(new Error('tag missing'));
    expect(seen!.stats.byOperation['session.delete']).toBe(1);
  });

  it('a vCenter that does not answer fails before the build', async () => {
    let built = false;
    const unreachable = `127.0.0.1:${await freePort()}`;
    const error = await openVCenter(
      config({ VCENTER_SERVER: unreachable, VCENTER_REQUEST_TIMEOUT_SECONDS: '2' }),
      deps(),
      () => {
        built = true;
        return Promise.resolve();
      },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VCenterError);
    expect(built).toBe(false);
  });
});

describe('createTagFunction against vcsim', () => {
  it('init resolves the tag over a session; the arrival guard announces only what `announces` lets; apply attaches; shutdown logs out', async () => {
    const tag = await admin.tagging.ensureTag('tag-function', 'applied', { create: true });
    const tagging = createTagFunction<{ vm?: string }>({ announces: (event) => !!event.vm });
    expect(tagging.tagId()).toBeUndefined();
    const { state, tag: resolved } = await tagging.init(config(), deps(), {
      action: 'detach',
      target: { tagName: 'applied', category: 'tag-function', createIfMissing: false },
    });
    expect(resolved).toEqual({ id: tag.id, name: 'applied' });
    expect([tagging.tagId(), tagging.action(), state.action]).toEqual([tag.id, 'detach', 'detach']);
    const base = { source: 'https://vc/sdk', id: '42' };
    expect(tagging.identity(base)).toEqual({ source: base.source, id: `42|${tag.id}` });
    expect(tagging.identity(base, { withAction: true })).toEqual({
      source: base.source,
      id: `42|detach|${tag.id}`,
    });
    expect(tagging.identity(undefined)).toBeUndefined();

    const named = { vm: 'vm-8801' };
    const none = {};
    for (const event of [named, none]) {
      await tagging.arrivals.enter(event, {} as never);
    }
    expect(state.arrivalOf(named)).toBeDefined();
    expect(state.arrivalOf(none)).toBeUndefined();

    const logs = captureLogs();
    await admin.tagging.attach(tag.id, 'vm-8801');
    const applied = await applyTagToVm(state, 'detach', 'vm-8801', {
      logger: logs.logger,
      arrival: state.arrivalOf(named),
    });
    expect(applied).toEqual({ tag: resolved, tagExists: true });
    expect(await admin.tagging.listAttachedTags('vm-8801')).not.toContain(tag.id);

    await tagging.shutdown({ state });
    expect(state.vcenter.stats.byOperation['session.delete']).toBe(1);
  });

  it('a tag that does not exist fails init, and the session is closed', async () => {
    const tagging = createTagFunction();
    const error = await tagging
      .init(config(), deps(), {
        action: 'attach',
        target: { tagName: 'no-such-tag', category: 'tag-function', createIfMissing: false },
      })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ vapiType: 'TAG_NOT_FOUND' });
  });
});

describe('applyTagToVm and vmEventError: the one mapping, and the one warning', () => {
  const TAG = { id: 'urn:tag:t', name: 't' };

  it.each([
    [new VCenterError('gone', { type: 'NOT_FOUND', objectId: 'vm-1' }), InvalidEventError],
    [new VCenterError('down', { type: 'NETWORK_ERROR' }), DependencyUnavailableError],
    [new VCenterError('403', { type: 'UNAUTHORIZED', status: 403 }), UpstreamRejectedError],
  ])('%s -> %o', async (failure, mapped) => {
    const { target, calls } = fakeTagTarget(TAG, [failure]);
    const logs = captureLogs();
    const error = await applyTagToVm({ target }, 'detach', 'vm-1', { logger: logs.logger }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(mapped);
    expect(calls).toEqual([['detach', 'vm-1']]);
    const warnings = logs.lines().filter((l) => l.level === 40);
    expect(warnings.map((l) => l.msg)).toEqual(
      mapped === InvalidEventError ? ['vm-1 does not exist in vCenter (untagging vm-1)'] : [],
    );
  });

  it('an attach says "tagging", and a hint follows the warning', async () => {
    const logs = captureLogs();
    const error = vmEventError(new VCenterError('gone', { type: 'NOT_FOUND', objectId: 'vm-2' }), {
      vm: 'vm-2',
      doing: 'tagging vm-2',
      logger: logs.logger,
      hint: 'deleted since it powered on?',
    });
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(logs.lines().map((l) => [l.vm, l.msg])).toEqual([
      ['vm-2', 'vm-2 does not exist in vCenter (tagging vm-2): deleted since it powered on?'],
    ]);
    const { target } = fakeTagTarget(TAG, [
      new VCenterError('gone', { type: 'NOT_FOUND', objectId: 'vm-3' }),
    ]);
    await expect(
      applyTagToVm({ target }, 'attach', 'vm-3', { logger: logs.logger }),
    ).rejects.toThrow('vm-3 does not exist in vCenter (tagging vm-3)');
  });

  it('fakeTagTarget answers in order; vmEvent puts a VM, a Key and a type on the kn-pcli-tag sample', async () => {
    const { target } = fakeTagTarget(TAG, [{ tagExists: false }]);
    expect(await target.apply('detach', 'vm-4')).toEqual({ tag: TAG, tagExists: false });
    expect(await target.apply('attach', 'vm-4')).toEqual({ tag: TAG, tagExists: true });
    const event = vmEvent('com.vmware.vsphere.VmPoweredOffEvent.v0', 'vm-5', 42, 'web');
    expect(event).toMatchObject({
      id: '42',
      type: 'com.vmware.vsphere.VmPoweredOffEvent.v0',
      data: { Key: 42, Vm: { Name: 'web', Vm: { Type: 'VirtualMachine', Value: 'vm-5' } } },
    });
  });
});
