import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  fixtureEvent,
  functionReadmeProblems,
  sendCloudEvent,
  startTestFunction,
  type TestFunction,
} from '@veba-functions/test-helpers';
import { create__FUNCTION_PASCAL__ } from '../src/index.js';

let fn: TestFunction | undefined;
afterEach(async () => {
  await fn?.stop();
  fn = undefined;
});

const powerOn = fixtureEvent('docs-extracted/docs-use-eventspec__DrsVmPoweredOnEvent.json');

describe('__FUNCTION_NAME__ over HTTP', () => {
  it('answers 200 with the outcome for a VEBA power-on, then 200 skipped for its duplicate', async () => {
    fn = await startTestFunction(create__FUNCTION_PASCAL__());
    const first = await sendCloudEvent(fn.url, powerOn);
    expect(first.status).toBe(200);
    expect(first.json()).toEqual({ vm: 'vm-2073', vmName: 'workload1' });
    const again = await sendCloudEvent(fn.url, powerOn);
    expect(again.status).toBe(200);
    expect(again.json()).toEqual({ skipped: 'duplicate: the same event was already processed' });
    expect(
      fn.logs.messages('info').filter((m) => m === 'DrsVmPoweredOnEvent: workload1'),
    ).toHaveLength(1);
    expect(await fn.metric('veba_function_events_total', { outcome: 'duplicate' })).toBe(1);
  });

  it('skips (200) an event type it does not handle, without reading its data', async () => {
    fn = await startTestFunction(create__FUNCTION_PASCAL__());
    const reply = await sendCloudEvent(
      fn.url,
      { ...powerOn, type: 'com.vmware.vsphere.VmPoweredOffEvent.v0' },
      { rawBody: 'not json' },
    );
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ skipped: 'type not handled: VmPoweredOffEvent' });
  });

  it('answers 400 naming the field when the event has no VM', async () => {
    fn = await startTestFunction(create__FUNCTION_PASCAL__());
    const reply = await sendCloudEvent(fn.url, {
      ...powerOn,
      id: 'no-vm',
      data: { ...(powerOn.data as object), Vm: null },
    });
    expect(reply.status).toBe(400);
    expect(reply.json()).toEqual({ error: 'invalid_event', reason: 'data.Vm is missing' });
  });

  it('refuses to start with an invalid VM_NAME_PATTERN, naming the key', async () => {
    await expect(
      startTestFunction(create__FUNCTION_PASCAL__(), { env: { VM_NAME_PATTERN: '(' } }),
    ).rejects.toThrow(/VM_NAME_PATTERN: invalid \(from env VM_NAME_PATTERN\)/);
  });

  it('its README has the sections of every function and documents exactly its keys', () => {
    const dir = fileURLToPath(new URL('..', import.meta.url));
    expect(functionReadmeProblems(dir, create__FUNCTION_PASCAL__())).toEqual([]);
  });
});
