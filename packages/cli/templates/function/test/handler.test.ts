import { CloudEvent } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { fixtureEvent, handlerContext } from '@veba-functions/test-helpers';
import { parseVSphereEvent } from '@veba-functions/vsphere-events';
import { InvalidEventError } from '@veba-functions/runtime';
import { VmNameMissingError } from '../src/errors.js';
import { handle, type State } from '../src/handler.js';
import type { FunctionConfig } from '../src/config.js';

/** A VEBA sample from the corpus of @veba-functions/test-helpers, with data overrides. */
function powerOn(data: Record<string, unknown> = {}) {
  const sample = fixtureEvent('docs-extracted/docs-use-eventspec__DrsVmPoweredOnEvent.json');
  return parseVSphereEvent(
    new CloudEvent<unknown>({ ...sample, data: { ...(sample.data as object), ...data } }),
  );
}

const context = (VM_NAME_PATTERN = /.*/) =>
  handlerContext<State, FunctionConfig>({ state: undefined, config: { VM_NAME_PATTERN } });

describe('handle(event, ctx)', () => {
  it('reports the VM of a DRS power-on and logs one line', () => {
    const ctx = context();
    expect(handle(powerOn(), ctx)).toEqual({
      status: 200,
      body: { vm: 'vm-2073', vmName: 'workload1' },
    });
    expect(ctx.logs.messages('info')).toEqual(['DrsVmPoweredOnEvent: workload1']);
  });

  it('skips a VM whose name does not match VM_NAME_PATTERN', () => {
    expect(handle(powerOn(), context(/^web-/))).toEqual({
      skipped: 'VM workload1 does not match VM_NAME_PATTERN',
    });
  });

  it('rejects (400) an event without a VM, naming the field', () => {
    expect(() => handle(powerOn({ Vm: null }), context())).toThrow(InvalidEventError);
    expect(() => handle(powerOn({ Vm: null }), context())).toThrow(/data\.Vm is missing/);
  });

  it('rejects (400) a VM without a name with its own error', () => {
    const event = powerOn({ Vm: { Vm: { Type: 'VirtualMachine', Value: 'vm-2073' } } });
    expect(() => handle(event, context())).toThrow(VmNameMissingError);
  });
});
