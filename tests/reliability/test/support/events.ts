/**
 * Events the suite sends: VEBA v0.8 vSphere events built from one corpus sample (the kn-pcli-tag
 * power-on, as its send script posts it) with another class, object, user and Key, and a run
 * identity so that runs sharing a Redis never see each other's events.
 */
import { randomInt } from 'node:crypto';
import { fixtureEvent, type CloudEventInput } from '@veba-functions/test-helpers';

/** What varies between the events of one run. */
export interface VmEventOptions {
  /** vSphere event class, e.g. `VmPoweredOnEvent` (the type is `com.vmware.vsphere.<class>.v0`). */
  eventClass: string;
  /** The VM's moref, e.g. `vm-1234`. */
  vm: string;
  /** The VM's name: the marker side effects are counted by. */
  vmName: string;
  /** vCenter event Key (also the CloudEvent id, as VEBA v0.8 sends it). */
  key: number;
  /** The CloudEvent source (`https://<vcenter>/sdk`). */
  source: string;
  /** The event's `UserName`. */
  user?: string;
}

/** A VEBA v0.8 event about one VM, from the kn-pcli-tag sample. */
export function vmEvent(options: VmEventOptions): CloudEventInput {
  const sample = fixtureEvent('kn-pcli-tag__test-payload.json');
  return {
    ...sample,
    id: String(options.key),
    source: options.source,
    type: `com.vmware.vsphere.${options.eventClass}.v0`,
    data: {
      ...(sample.data as Record<string, unknown>),
      Key: options.key,
      ChainId: options.key,
      UserName: options.user ?? 'VSPHERE.LOCAL\\Administrator',
      Vm: { Name: options.vmName, Vm: { Type: 'VirtualMachine', Value: options.vm } },
      FullFormattedMessage: `${options.eventClass} on ${options.vmName}`,
    },
  };
}

/** The VM moref of an event built by {@link vmEvent}. */
export function vmOf(event: CloudEventInput): string {
  return (event.data as { Vm: { Vm: { Value: string } } }).Vm.Vm.Value;
}

/** The VM name (the marker) of an event built by {@link vmEvent}. */
export function markerOf(event: CloudEventInput): string {
  return (event.data as { Vm: { Name: string } }).Vm.Name;
}

/**
 * One run's identity: a vCenter source of its own and a Key range of its own (vCenter keys are
 * int32), so dedupe records and ordering marks of other runs and test files never interfere.
 */
export interface Run {
  readonly id: string;
  readonly source: string;
  /** The n-th Key of the run (n < 100 000). */
  key(n: number): number;
  /** The n-th marker: fixed width, so no marker is a prefix of another. */
  marker(n: number): string;
  /** The n-th VM moref of the run. */
  vm(n: number): string;
}

/** A fresh run identity. */
export function newRun(label: string): Run {
  const id = `${label}-${randomInt(1e6, 1e7)}`;
  const base = randomInt(1_000_000, 2_000_000_000);
  const vmBase = randomInt(100_000, 900_000) * 10;
  return {
    id,
    source: `https://${id}.vcenter.local/sdk`,
    key: (n) => base + n,
    marker: (n) => `${id}-n${String(n).padStart(5, '0')}z`,
    vm: (n) => `vm-${vmBase + n * 10}`,
  };
}
