/**
 * The VEBA sample events this function is tested with (copied from the VEBA repository into
 * test/fixtures; see packages/test-helpers/fixtures/veba-events/README.md for provenance), each
 * turned into the CloudEvent the broker would deliver, with the outcome slack-alert must produce.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DIR = fileURLToPath(new URL('./fixtures/', import.meta.url));

export type Expected =
  { outcome: 'posted'; family: string } | { outcome: 'invalid'; reason: RegExp };

export interface Fixture {
  file: string;
  /** structured: the file is a whole CloudEvent; binary: the file is `data`, attributes from the send script; raw: not JSON. */
  mode: 'structured' | 'binary' | 'raw';
  /** CloudEvent attributes for binary mode (the send script's `ce-*` headers, or a v0 wrapper for Go test bodies). */
  attributes?: Record<string, string>;
  /** For structured files that are not whole CloudEvents (old Go/OpenFaaS tests wrapped `data` themselves). */
  wrapData?: boolean;
  expected: Expected;
}

const V0 = (cls: string, id = 'd70079f9-fddd-4b7f-aa76-1193f28b0611'): Record<string, string> => ({
  specversion: '1.0',
  id,
  source: 'https://vcenter.local/sdk',
  type: `com.vmware.vsphere.${cls}.v0`,
});
const LEGACY = (subject: string, kind = 'event'): Record<string, string> => ({
  specversion: '1.0',
  id: 'd70079f9-fddd-4b7f-aa76-1193f28b0611',
  source: 'https://vcenter.local/sdk',
  type: `com.vmware.event.router/${kind}`,
  subject,
});
const posted = (family: string): Expected => ({ outcome: 'posted', family });
const invalid = (reason: RegExp): Expected => ({ outcome: 'invalid', reason });

export const FIXTURES: Fixture[] = [
  { file: 'kn-go-echo__cloudevent.json', mode: 'structured', expected: posted('vm') },
  {
    file: 'kn-go-tagging__event.json',
    mode: 'binary',
    attributes: V0('VmPoweredOffEvent', '9902'),
    expected: posted('vm'),
  },
  {
    file: 'kn-go-tagging__event2.json',
    mode: 'binary',
    attributes: V0('VmPoweredOffEvent', '9903'),
    expected: posted('vm'),
  },
  {
    file: 'kn-go-tagging__eventErr1.json',
    mode: 'binary',
    attributes: V0('VmPoweredOffEvent'),
    expected: invalid(/data\./),
  },
  {
    file: 'kn-go-tagging__eventErr2.json',
    mode: 'binary',
    attributes: V0('VmPoweredOffEvent'),
    expected: invalid(/data\./),
  },
  {
    file: 'kn-go-tagging__eventErr3.json',
    mode: 'binary',
    attributes: V0('VmPoweredOffEvent'),
    expected: invalid(/data\./),
  },
  {
    file: 'kn-go-tagging__eventErr4.json',
    mode: 'binary',
    attributes: V0('VmPoweredOffEvent'),
    expected: invalid(/data\./),
  },
  {
    file: 'kn-pcli-datastore-usage-email__test-payload.json',
    mode: 'binary',
    attributes: V0('AlarmStatusChangedEvent'),
    expected: posted('alarm'),
  },
  {
    file: 'kn-pcli-ha-restarted-vms__test-payload.json',
    mode: 'binary',
    attributes: V0('com.vmware.vc.HA.ClusterFailoverActionCompletedEvent'),
    expected: posted('eventex'),
  },
  {
    file: 'kn-pcli-hostmaint-alarms__enter-maint-payload.json',
    mode: 'binary',
    attributes: V0('EnteredMaintenanceModeEvent'),
    expected: posted('host-maintenance'),
  },
  // The send script reuses the "entered" type; the payload is the exit event.
  {
    file: 'kn-pcli-hostmaint-alarms__exit-maint-payload.json',
    mode: 'binary',
    attributes: V0('ExitMaintenanceModeEvent'),
    expected: posted('host-maintenance'),
  },
  {
    file: 'kn-pcli-nsx-tag-sync__test-payload.json',
    mode: 'binary',
    attributes: V0('com.vmware.cis.tagging.attach'),
    expected: posted('tagging'),
  },
  {
    file: 'kn-pcli-pg-check__test-payload.json',
    mode: 'binary',
    attributes: V0('VmReconfiguredEvent'),
    expected: posted('vm'),
  },
  {
    file: 'kn-pcli-tag__test-payload.json',
    mode: 'binary',
    attributes: V0('DrsVmPoweredOnEvent'),
    expected: posted('vm'),
  },
  {
    file: 'kn-pcli-telegram__test-payload.json',
    mode: 'binary',
    attributes: V0('VmMigratedEvent', '41289fef-0727-46f7-b1a9-b8145972c734'),
    expected: posted('vm'),
  },
  {
    file: 'kn-pcli-template__test-payload.json',
    mode: 'raw',
    attributes: V0('DvsReconfiguredEvent'),
    expected: invalid(/json|JSON|parse|body/),
  },
  {
    file: 'kn-pcli-vds-config__test-payload.json',
    mode: 'raw',
    attributes: V0('DvsReconfiguredEvent'),
    expected: invalid(/json|JSON|parse|body/),
  },
  {
    file: 'kn-pcli-vds-pg-config__test-payload.json',
    mode: 'binary',
    attributes: V0('DVPortgroupReconfiguredEvent'),
    expected: posted('generic'),
  },
  {
    file: 'kn-ps-echo__test-payload.json',
    mode: 'binary',
    attributes: LEGACY('VmPoweredOffEvent'),
    expected: posted('vm'),
  },
  {
    file: 'kn-ps-email__test-payload.json',
    mode: 'binary',
    attributes: V0('VmRemovedEvent'),
    expected: posted('vm'),
  },
  {
    file: 'kn-ps-google-chat__test-payload.json',
    mode: 'binary',
    attributes: {
      ...V0('com.vmware.applmgmt.backup.job.failed.event', '2112913'),
      source: 'https://vcenter.primp-industries.local/sdk',
    },
    expected: posted('eventex'),
  },
  {
    file: 'kn-ps-slack-vsphere-alarm__test-payload.json',
    mode: 'binary',
    attributes: V0('AlarmStatusChangedEvent'),
    expected: posted('alarm'),
  },
  {
    file: 'kn-ps-slack__test-payload.json',
    mode: 'binary',
    attributes: V0('VmPoweredOffEvent'),
    expected: posted('vm'),
  },
  {
    file: 'kn-ps-twillio-sms__test-payload.json',
    mode: 'binary',
    attributes: V0('TaskEvent'),
    expected: posted('task'),
  },
  {
    file: 'kn-ps-vsphere-inv-slack__test-payload.json',
    mode: 'binary',
    attributes: V0('TaskEvent'),
    expected: posted('task'),
  },
  {
    file: 'kn-ps-vsphere-inv-slack__test-payload-2.json',
    mode: 'binary',
    attributes: V0('TaskEvent'),
    expected: posted('task'),
  },
  {
    file: 'kn-ps-zapier__test-payload.json',
    mode: 'binary',
    attributes: LEGACY('com.vmware.sso.LoginFailure', 'eventex'),
    expected: posted('sso-login-failure'),
  },
  { file: 'kn-py-echo__testevent.json', mode: 'structured', expected: posted('vm') },
  { file: 'kn-py-slack__testevent.json', mode: 'structured', expected: posted('vm') },
  { file: 'kn-py-vm-attr__testevent.json', mode: 'structured', expected: posted('vm') },
  {
    file: 'docs-extracted/docs-intro-tanzu-sources__DrsVmPoweredOnEvent.json',
    mode: 'structured',
    expected: posted('vm'),
  },
  {
    file: 'docs-extracted/docs-use-eventspec__DrsVmPoweredOnEvent.json',
    mode: 'structured',
    expected: posted('vm'),
  },
  {
    file: 'docs-extracted/tanzu-sources-for-knative-README__VmPoweredOffEvent.json',
    mode: 'structured',
    expected: posted('vm'),
  },
  { file: 'legacy/go-kn-echo__cloudevent.json', mode: 'structured', expected: posted('vm') },
  { file: 'legacy/kn-py-cbc-slack-PR928__deploy.json', mode: 'structured', expected: posted('vm') },
  { file: 'legacy/kn-py-cbc-slack-PR928__remove.json', mode: 'structured', expected: posted('vm') },
  {
    file: 'legacy/openfaas-pagerduty-trigger__valid-event.json',
    mode: 'structured',
    expected: posted('vm'),
  },
  {
    file: 'legacy/openfaas-vm-reconfig-via-tag__valid-event-1.json',
    mode: 'structured',
    expected: posted('vm'),
  },
  {
    file: 'legacy/veba-slack-notification__testevent.json',
    mode: 'structured',
    expected: posted('vm'),
  },
  // specversion 0.3 and a power-off type around a DRS power-on body: VEBA never sends 0.3.
  { file: 'kn-py-vro__testevent.json', mode: 'structured', expected: invalid(/specversion/) },
  // A bare moref from a moref-parsing test: no Key, nothing to tell anyone.
  {
    file: 'legacy/openfaas-vm-reconfig-via-tag__valid-event-2.json',
    mode: 'structured',
    wrapData: true,
    expected: invalid(/data\.Key/),
  },
  // Negative cases of the old examples: each is unusable and must be a 400, never a 500.
  {
    file: 'legacy/openfaas-pagerduty-trigger__invalid-event-1.json',
    mode: 'structured',
    expected: invalid(/source|specversion/),
  },
  {
    file: 'legacy/openfaas-vm-reconfig-via-tag__invalid-event-1.json',
    mode: 'structured',
    wrapData: true,
    expected: invalid(/data\./),
  },
  {
    file: 'legacy/openfaas-vm-reconfig-via-tag__invalid-event-2.json',
    mode: 'structured',
    wrapData: true,
    expected: invalid(/data\./),
  },
  {
    file: 'legacy/openfaas-vm-reconfig-via-tag__invalid-event-3.json',
    mode: 'structured',
    wrapData: true,
    expected: invalid(/data\./),
  },
  {
    file: 'legacy/openfaas-vm-reconfig-via-tag__invalid-event-4.json',
    mode: 'structured',
    wrapData: true,
    expected: invalid(/data/),
  },
];

/** The file's text, exactly as stored. */
export function readFixtureText(file: string): string {
  return readFileSync(DIR + file, 'utf8');
}

/** A structured CloudEvent (a plain object) for the fixture; `raw` fixtures have none. */
export function fixtureEvent(fixture: Fixture): Record<string, unknown> {
  if (fixture.mode === 'raw') throw new Error(`${fixture.file} is not JSON`);
  const parsed = JSON.parse(readFixtureText(fixture.file)) as unknown;
  if (fixture.mode === 'binary')
    return { ...fixture.attributes, datacontenttype: 'application/json', data: parsed };
  if (fixture.wrapData) {
    const body = parsed as { data?: unknown };
    return {
      ...V0('VmPoweredOffEvent', `wrapped-${fixture.file}`),
      datacontenttype: 'application/json',
      data: body.data,
    };
  }
  return parsed as Record<string, unknown>;
}
