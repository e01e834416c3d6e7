/**
 * The VEBA sample corpus (from @veba-functions/test-helpers) as parsed vSphere events, with the
 * outcome every notifier must produce for each: a message of a given family, or a 400 naming the
 * field. Samples the broker would not deliver to a vSphere function (other types, spec 0.3, bare
 * bodies) are not here; the Go unit-test bodies get the v0 envelope their test gave them.
 */
import { CloudEvent } from 'cloudevents';
import { loadVebaFixture, loadVebaFixtures } from '@veba-functions/test-helpers';
import {
  isVSphereType,
  parseVSphereEvent,
  type VSphereEvent,
} from '@veba-functions/vsphere-events';

export type Expected =
  { outcome: 'posted'; family: string } | { outcome: 'invalid'; reason: RegExp };

/** Outcomes by file, for every vSphere sample of the corpus. */
export const EXPECTED: ReadonlyMap<string, Expected> = new Map<string, Expected>([
  ['kn-go-echo__cloudevent.json', posted('vm')],
  ['kn-go-tagging__event.json', posted('vm')],
  ['kn-go-tagging__event2.json', posted('vm')],
  ['kn-go-tagging__eventErr1.json', invalid(/data\./)],
  ['kn-go-tagging__eventErr2.json', invalid(/data\./)],
  ['kn-go-tagging__eventErr3.json', invalid(/data\./)],
  ['kn-go-tagging__eventErr4.json', invalid(/data\./)],
  ['kn-pcli-datastore-usage-email__test-payload.json', posted('alarm')],
  ['kn-pcli-ha-restarted-vms__test-payload.json', posted('ha-failover')],
  ['kn-pcli-hostmaint-alarms__enter-maint-payload.json', posted('host-maintenance')],
  ['kn-pcli-hostmaint-alarms__exit-maint-payload.json', posted('host-maintenance')],
  ['kn-pcli-nsx-tag-sync__test-payload.json', posted('tagging')],
  ['kn-pcli-pg-check__test-payload.json', posted('vm')],
  ['kn-pcli-tag__test-payload.json', posted('vm')],
  ['kn-pcli-telegram__test-payload.json', posted('vm')],
  ['kn-pcli-vds-pg-config__test-payload.json', posted('generic')],
  ['kn-ps-echo__test-payload.json', posted('vm')],
  ['kn-ps-email__test-payload.json', posted('vm')],
  ['kn-ps-google-chat__test-payload.json', posted('backup-job')],
  ['kn-ps-slack-vsphere-alarm__test-payload.json', posted('alarm')],
  ['kn-ps-slack__test-payload.json', posted('vm')],
  ['kn-ps-twillio-sms__test-payload.json', posted('task')],
  ['kn-ps-vsphere-inv-slack__test-payload.json', posted('task')],
  ['kn-ps-vsphere-inv-slack__test-payload-2.json', posted('task')],
  ['kn-ps-zapier__test-payload.json', posted('sso-login-failure')],
  ['kn-py-echo__testevent.json', posted('vm')],
  ['kn-py-slack__testevent.json', posted('vm')],
  ['kn-py-vm-attr__testevent.json', posted('vm')],
  ['docs-extracted/docs-intro-tanzu-sources__DrsVmPoweredOnEvent.json', posted('vm')],
  ['docs-extracted/docs-use-eventspec__DrsVmPoweredOnEvent.json', posted('vm')],
  ['docs-extracted/tanzu-sources-for-knative-README__VmPoweredOffEvent.json', posted('vm')],
  ['legacy/go-kn-echo__cloudevent.json', posted('vm')],
  ['legacy/kn-py-cbc-slack-PR928__deploy.json', posted('vm')],
  ['legacy/kn-py-cbc-slack-PR928__remove.json', posted('vm')],
  ['legacy/openfaas-pagerduty-trigger__valid-event.json', posted('vm')],
  ['legacy/openfaas-vm-reconfig-via-tag__valid-event-1.json', posted('vm')],
  ['legacy/veba-slack-notification__testevent.json', posted('vm')],
]);

/** The Go unit tests wrapped these bare bodies in a VmPoweredOffEvent CloudEvent. */
const GO_BODIES = new Set([
  'kn-go-tagging__event.json',
  'kn-go-tagging__event2.json',
  'kn-go-tagging__eventErr1.json',
  'kn-go-tagging__eventErr2.json',
  'kn-go-tagging__eventErr3.json',
  'kn-go-tagging__eventErr4.json',
]);

/** A corpus sample as the CloudEvent the broker delivers (attributes and data). */
export function corpusCloudEvent(file: string): Record<string, unknown> {
  const fixture = loadVebaFixture(file);
  if (GO_BODIES.has(file)) {
    return {
      specversion: '1.0',
      id: `go-${file}`,
      source: 'https://vcenter.local/sdk',
      type: 'com.vmware.vsphere.VmPoweredOffEvent.v0',
      datacontenttype: 'application/json',
      data: fixture.data,
    };
  }
  if (!fixture.valid || fixture.event === undefined)
    throw new Error(`${file}: ${fixture.reason ?? ''}`);
  return structuredClone(fixture.event);
}

/** A corpus sample parsed as a vSphere event. */
export function corpusEvent(file: string, data?: Record<string, unknown>): VSphereEvent {
  const event = corpusCloudEvent(file);
  if (data !== undefined) event.data = { ...(event.data as object), ...data };
  return parseVSphereEvent(new CloudEvent<unknown>(event, false));
}

/** Every corpus file that is a deliverable vSphere event (checked against EXPECTED). */
export function vsphereCorpusFiles(): string[] {
  return loadVebaFixtures()
    .filter(
      (f) =>
        GO_BODIES.has(f.file) ||
        (f.valid &&
          f.attributes?.specversion === '1.0' &&
          typeof f.attributes.type === 'string' &&
          isVSphereType(f.attributes.type)),
    )
    .map((f) => f.file);
}

function posted(family: string): Expected {
  return { outcome: 'posted', family };
}
function invalid(reason: RegExp): Expected {
  return { outcome: 'invalid', reason };
}
