// Every file of the VEBA sample corpus is either parsed or rejected with a clear reason. The
// expectations come from index.json (event_type / note), not from a per-file answer list.
import { InvalidEventError } from '@veba-functions/runtime';
import {
  listVebaFixtures,
  loadVebaFixture,
  type VebaFixture,
} from '@veba-functions/test-helpers/fixtures';
import { CloudEvent } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import {
  ENTITY_KINDS,
  isVSphereType,
  parseVSphereEvent,
  parseVSphereEventData,
  type VSphereEvent,
} from '../src/index.js';

/** The event class index.json says a file carries, in either notation it uses. */
function expectedClass(fixture: VebaFixture): string | undefined {
  const type = fixture.eventType ?? '';
  const v0 = /^com\.vmware\.vsphere\.(\S+)\.v0$/.exec(type);
  if (v0) return v0[1];
  if (/^com\.vmware\.event\.router\/(event|eventex|extendedevent)\b/.test(type)) {
    return /subject (\S+?)\)?$/.exec(type)?.[1] ?? /subject (\S+)/.exec(fixture.note ?? '')?.[1];
  }
  return undefined;
}

/** index.json's words for the legacy negative cases, and the reason each must produce. */
/** The family of every event class in the corpus that is not `generic` (written out, not derived). */
const CORPUS_FAMILIES: Record<string, string> = {
  DrsVmPoweredOnEvent: 'vm',
  VmPoweredOffEvent: 'vm',
  VmMigratedEvent: 'vm',
  VmReconfiguredEvent: 'vm',
  VmRemovedEvent: 'vm',
  VmDeployedEvent: 'vm',
  AlarmStatusChangedEvent: 'alarm',
  EnteredMaintenanceModeEvent: 'host-maintenance',
  ExitMaintenanceModeEvent: 'host-maintenance',
  TaskEvent: 'task',
  'com.vmware.cis.tagging.attach': 'tagging',
  'com.vmware.sso.LoginFailure': 'sso-login-failure',
  'com.vmware.vc.HA.ClusterFailoverActionCompletedEvent': 'ha-failover',
  'com.vmware.applmgmt.backup.job.failed.event': 'backup-job',
};

const NEGATIVE_REASONS: Record<string, string> = {
  'null moref': 'data.Vm.Vm.Value is missing',
  'Vm.Vm null': 'data.Vm.Vm is missing',
  'Vm null': 'data.Vm is missing',
  'data null': 'data is missing',
};

function reasonOf(action: () => unknown): string {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEventError);
    return (error as Error).message;
  }
  throw new Error('expected a rejection');
}

function tryParse(fixture: VebaFixture): { event?: VSphereEvent; reason?: string } {
  // Build the CloudEvent the way a receiver would: the SDK's validating constructor.
  const cloudEvent = new CloudEvent<unknown>(fixture.event as Record<string, unknown>);
  try {
    return { event: parseVSphereEvent(cloudEvent) };
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidEventError);
    return { reason: (error as Error).message };
  }
}

describe('VEBA corpus: parsed or rejected with a clear reason', () => {
  it.each(listVebaFixtures())('%s', (file) => {
    const fixture = loadVebaFixture(file);
    const eventClass = expectedClass(fixture);

    if (!fixture.valid) {
      // Rejected before parsing: the loader names why no CloudEvent can be formed.
      expect(fixture.reason).toMatch(/^(not valid JSON|missing CloudEvent attribute|a bare body)/);
      const negative = /^negative: (.+)$/.exec(fixture.eventType ?? '')?.[1];
      if (negative !== undefined) {
        // The body-level defect the old examples tested for is reported as such.
        expect(reasonOf(() => parseVSphereEventData(fixture.data).requireVm())).toBe(
          NEGATIVE_REASONS[negative],
        );
      }
      const missing = /missing ([a-z/]+)$/.exec(fixture.eventType ?? '')?.[1];
      if (missing !== undefined) {
        for (const attribute of missing.split('/')) expect(fixture.reason).toContain(attribute);
        // Parsing it anyway names the first missing attribute.
        expect(
          reasonOf(() => parseVSphereEvent({ ...fixture.attributes, data: fixture.data })),
        ).toMatch(new RegExp(`^(${missing.replace('/', '|')}) is missing$`));
      }
      if (fixture.reason?.startsWith('not valid JSON') && fixture.attributes !== undefined) {
        // Delivered anyway, the raw body reaches the parser as a string and is refused there too.
        expect(
          reasonOf(() => parseVSphereEvent({ ...fixture.attributes, data: fixture.body })),
        ).toMatch(/^data is not valid JSON: /);
      }
      if (/negative/.test(fixture.note ?? '') && fixture.mode === 'data-only') {
        // kn-go-tagging's malformed inputs: a bare body whose VM reference is unusable.
        expect(reasonOf(() => parseVSphereEventData(fixture.data).requireVm())).toMatch(
          /^data(\.Vm(\.Vm(\.Value)?)?)? is missing$/,
        );
      }
      return;
    }

    const { event, reason } = tryParse(fixture);
    const specversion = fixture.attributes?.['specversion'];
    if (specversion !== '1.0') {
      expect(fixture.note).toMatch(new RegExp(`specversion ${specversion?.replace('.', '\\.')}`));
      expect(reason).toBe(`specversion is '${specversion}', expected '1.0'`);
      return;
    }
    if (eventClass === undefined) {
      // Not a vSphere event (Harbor, Horizon, VMC, PingSource): refused by type.
      expect(isVSphereType(fixture.attributes?.['type'])).toBe(false);
      expect(reason).toBe(
        `type '${fixture.attributes?.['type']}' is not a vSphere event type ` +
          '(expected com.vmware.vsphere.<EventClass>.v0 or com.vmware.event.router/event|eventex|extendedevent)',
      );
      return;
    }

    expect(reason).toBeUndefined();
    if (event === undefined) throw new Error('unreachable');
    expect(event.eventClass).toBe(eventClass);
    expect(event.format).toBe(
      fixture.attributes?.['type']?.startsWith('com.vmware.vsphere.') ? 'v0' : 'legacy',
    );
    const data = fixture.data as Record<string, unknown>;
    expect(event.key).toBe(data['Key']);
    expect(event.chainId).toBe(data['ChainId']);
    expect(event.createdTime?.toISOString().slice(0, 19)).toBe(
      (data['CreatedTime'] as string).slice(0, 19),
    );
    expect(event.fullFormattedMessage).toBe(data['FullFormattedMessage']);
    const eventTypeId = /EventTypeId (\S+?)\)/.exec(fixture.note ?? '')?.[1];
    if (eventTypeId !== undefined) expect(event.eventTypeId).toBe(eventTypeId);
    if (eventClass.includes('.')) expect(event.eventTypeId).toBe(eventClass);
    expect(event.family).toBe(CORPUS_FAMILIES[eventClass] ?? 'generic');
    for (const kind of ENTITY_KINDS) {
      // Every well-formed reference is read; null ones (and the "None" strings of one sample) are absent.
      const raw = data[kind];
      const ref = event.entity(kind);
      if (typeof raw === 'object' && raw !== null) {
        const inner = Object.values(raw).find(
          (value) => typeof value === 'object' && value !== null,
        ) as Record<string, unknown> | undefined;
        expect(ref?.moref).toBe(inner?.['Value']);
        expect(ref?.type).toBe(inner?.['Type']);
        expect(ref?.name).toBe((raw as Record<string, unknown>)['Name']);
      } else {
        expect(ref).toBeUndefined();
        expect(() => event.requireEntity(kind)).toThrow(new RegExp(`^data\\.${kind} is `));
      }
    }
    if (event.family === 'vm') expect(event.requireVm().type).toBe('VirtualMachine');
  });
});
