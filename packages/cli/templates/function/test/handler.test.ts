import { readFileSync } from 'node:fs';
import { InvalidEventError } from '@veba-functions/runtime';
import { parseVSphereEvent } from '@veba-functions/vsphere-events';
import { describe, expect, it } from 'vitest';
import { handleEvent } from '../src/handler.js';

/** A VEBA sample event (structured CloudEvent JSON) copied into test/fixtures. */
function fixture(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(new URL(`./fixtures/${file}`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;
}

describe('handleEvent', () => {
  it('reports the VM of a DRS power-on', () => {
    const event = parseVSphereEvent(fixture('drs-vm-powered-on.json'));

    expect(handleEvent(event)).toEqual({
      eventClass: 'DrsVmPoweredOnEvent',
      vm: 'vm-596',
      vmName: 'TestVM',
      message: 'DRS powered On TestVM on esxi1.local in Datacenter',
    });
  });

  it('rejects an event without a VM with the missing field named', () => {
    const raw = fixture('drs-vm-powered-on.json');
    const event = parseVSphereEvent({
      ...raw,
      data: { ...(raw.data as object), Vm: null },
    });

    expect(() => handleEvent(event)).toThrow(InvalidEventError);
    expect(() => handleEvent(event)).toThrow(/Vm/);
  });
});
