/** Loads the copied VEBA fixtures and turns them into CloudEvents the way the broker delivers them. */
import { readFileSync } from 'node:fs';
import type { CloudEvent } from '@veba-functions/runtime';

const FIXTURES = new URL('./fixtures/', import.meta.url);

export const DRS_POWER_ON = 'com.vmware.vsphere.DrsVmPoweredOnEvent.v0';
export const VM_POWER_ON = 'com.vmware.vsphere.VmPoweredOnEvent.v0';
export const LEGACY_ROUTER = 'com.vmware.event.router/event';

/** The raw text of a fixture file (some are not valid JSON on purpose). */
export function fixtureText(file: string): string {
  return readFileSync(new URL(file, FIXTURES), 'utf8');
}

/** A fixture parsed as JSON. */
export function fixtureJson(file: string): Record<string, unknown> {
  return JSON.parse(fixtureText(file)) as Record<string, unknown>;
}

export interface CloudEventAttributes {
  id?: string;
  source?: string;
  type?: string;
  subject?: string;
  specversion?: string;
  [extension: string]: unknown;
}

/** A CloudEvent as the runtime hands it to the handler (plain object: the handler only reads it). */
export function cloudEvent(attributes: CloudEventAttributes, data: unknown): CloudEvent<unknown> {
  return {
    specversion: '1.0',
    id: 'd70079f9-fddd-4b7f-aa76-1193f28b0611',
    source: 'https://vcenter.local/sdk',
    datacontenttype: 'application/json',
    ...attributes,
    data,
  } as unknown as CloudEvent<unknown>;
}

/** A structured-mode fixture (attributes and data in one JSON object). */
export function structuredFixture(file: string): CloudEvent<unknown> {
  const { data, ...attributes } = fixtureJson(file);
  return cloudEvent(attributes, data);
}

/** A data-only fixture wrapped with the given attributes (what a VEBA send script does with ce-* headers). */
export function bodyFixture(file: string, attributes: CloudEventAttributes): CloudEvent<unknown> {
  return cloudEvent(attributes, fixtureJson(file));
}

/**
 * A data-only power-on event for `vmId`, shaped like kn-pcli-tag's payload, with a distinct Key.
 */
export function powerOnEvent(
  vmId: string,
  key: number,
  vmName = vmId,
  type = DRS_POWER_ON,
): CloudEvent<unknown> {
  const data = { ...fixtureJson('kn-pcli-tag__test-payload.json') };
  data['Key'] = key;
  data['Vm'] = { Name: vmName, Vm: { Type: 'VirtualMachine', Value: vmId } };
  return cloudEvent({ id: String(key), source: 'https://vcenter.local/sdk', type }, data);
}
