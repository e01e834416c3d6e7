import { InvalidEventError, mapError } from '@veba-functions/runtime';
import { describe, expect, it } from 'vitest';
import { handleSlackAlert, type SlackAlertContext } from '../src/handler.js';
import type { SlackMessage } from '../src/slack-message.js';
import type { PostOptions } from '../src/slack-webhook.js';
import { FIXTURES, fixtureEvent } from './fixtures.js';

function fakeContext(pretext?: string) {
  const posted: Array<{ message: SlackMessage; options: PostOptions }> = [];
  const logs: string[] = [];
  const log = (_obj: object, msg?: string) => void logs.push(msg ?? '');
  const ctx: SlackAlertContext = {
    state: {
      slack: { post: (message, options) => (posted.push({ message, options }), Promise.resolve()) },
      pretext,
    },
    logger: { debug: log, info: log, warn: log, error: log },
    deadline: Date.now() + 30_000,
  };
  return { ctx, posted, logs };
}

describe('handleSlackAlert over the VEBA sample events', () => {
  const jsonFixtures = FIXTURES.filter((f) => f.mode !== 'raw');

  it.each(jsonFixtures.map((f) => [f.file, f] as const))('%s', async (_file, fixture) => {
    const { ctx, posted } = fakeContext();
    const event = fixtureEvent(fixture);
    if (fixture.expected.outcome === 'posted') {
      const result = await handleSlackAlert(event, ctx);
      expect(result).toMatchObject({
        status: 200,
        body: { posted: true, family: fixture.expected.family },
      });
      expect(posted).toHaveLength(1);
      expect(posted[0]!.options.deadline).toBe(ctx.deadline);
    } else {
      const error = await handleSlackAlert(event, ctx).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(InvalidEventError);
      expect(mapError(error).status).toBe(400);
      expect((error as Error).message).toMatch(fixture.expected.reason);
      expect(posted).toHaveLength(0);
    }
  });
});

describe('handleSlackAlert checks', () => {
  const base = {
    specversion: '1.0',
    id: '42',
    source: 'https://vc.example/sdk',
    datacontenttype: 'application/json',
  };
  const vmData = {
    Key: 42,
    FullFormattedMessage: 'web-01 is powered off',
    Vm: { Name: 'web-01', Vm: { Type: 'VirtualMachine', Value: 'vm-42' } },
  };

  async function reason(event: Record<string, unknown>): Promise<string> {
    const { ctx, posted } = fakeContext();
    const error = await handleSlackAlert(event, ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(posted).toHaveLength(0);
    return (error as Error).message;
  }

  it.each([
    ['a VM event without Vm', { ...vmData, Vm: null }, 'VmPoweredOffEvent', /data\.Vm is missing/],
    [
      'a VM event whose Vm is a host',
      { ...vmData, Vm: { Name: 'x', Vm: { Type: 'HostSystem', Value: 'host-1' } } },
      'VmPoweredOffEvent',
      /data\.Vm\.Vm\.Type/,
    ],
    [
      'a VM event with a null moref',
      { ...vmData, Vm: { Name: 'x', Vm: { Type: null, Value: null } } },
      'DrsVmPoweredOnEvent',
      /data\.Vm\.Vm\.Value is missing/,
    ],
    [
      'a host maintenance event without Host',
      { Key: 1, Host: null },
      'EnteredMaintenanceModeEvent',
      /data\.Host is missing/,
    ],
    ['a Key that is not a number', { ...vmData, Key: 'abc' }, 'VmPoweredOffEvent', /data\.Key/],
    ['data that is a number', 42, 'VmPoweredOffEvent', /data is 42/],
    ['data that is an array', [vmData], 'VmPoweredOffEvent', /data is an array/],
  ])('%s: 400 naming the field', async (_name, data, cls, expected) => {
    expect(await reason({ ...base, type: `com.vmware.vsphere.${cls}.v0`, data })).toMatch(expected);
  });

  it('a legacy router event without subject: 400', async () => {
    expect(await reason({ ...base, type: 'com.vmware.event.router/event', data: vmData })).toMatch(
      /subject is missing/,
    );
  });

  it('decodes data that arrived as a JSON string', async () => {
    const { ctx, posted } = fakeContext();
    await handleSlackAlert(
      { ...base, type: 'com.vmware.vsphere.VmPoweredOffEvent.v0', data: JSON.stringify(vmData) },
      ctx,
    );
    expect(posted[0]!.message.text).toContain('web-01 is powered off');
  });

  it('skips (200) a type that is not a vSphere event, without posting', async () => {
    const { ctx, posted } = fakeContext();
    const result = await handleSlackAlert(
      { ...base, type: 'com.vmware.harbor.push_artifact.v0', data: {} },
      ctx,
    );
    expect(result).toEqual({
      skipped: 'type com.vmware.harbor.push_artifact.v0 is not a vSphere event type',
    });
    expect(posted).toHaveLength(0);
  });

  it('passes the pretext, the deadline and the signal to the client, and lets its errors through', async () => {
    const { ctx, posted } = fakeContext(':rotating_light: prod');
    const controller = new AbortController();
    ctx.signal = controller.signal;
    await handleSlackAlert(
      { ...base, type: 'com.vmware.vsphere.VmPoweredOffEvent.v0', data: vmData },
      ctx,
    );
    expect(posted[0]!.message.blocks[0]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: ':rotating_light: prod' },
    });
    expect(posted[0]!.options.signal).toBe(controller.signal);

    const failing = new Error('slack down');
    ctx.state.slack = { post: () => Promise.reject(failing) };
    await expect(
      handleSlackAlert(
        { ...base, type: 'com.vmware.vsphere.VmPoweredOffEvent.v0', data: vmData },
        ctx,
      ),
    ).rejects.toBe(failing);
  });
});
