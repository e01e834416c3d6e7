/**
 * The one message model every target renders: what a person needs to know about one vSphere
 * event (title, severity, who, what object, where, when, which vCenter), laid out per event family
 * (families come from the one classifier of @veba-functions/vsphere-events). Pure: no I/O, no
 * clock, no config. Every lookup keyed by event text is a `Map`, so an event class, an alarm
 * status or a severity named like an `Object.prototype` member (`constructor`, `__proto__`) is
 * simply unknown.
 */
import { isRecord } from '@veba-functions/runtime';
import {
  recordField,
  refName,
  textField,
  type EventFamily,
  type VSphereEvent,
} from '@veba-functions/vsphere-events';
import { defaultIdentity } from '@veba-functions/state';
import { firstLine, words } from './text.js';

/** How alarming the event is; renderers map it to a colour or a container style. */
export type Severity = 'good' | 'info' | 'warning' | 'danger' | 'neutral';

/** A symbol for the title; each renderer maps it to its own emoji spelling. */
export type Icon =
  | 'green-circle'
  | 'red-circle'
  | 'yellow-circle'
  | 'white-circle'
  | 'pause'
  | 'reset'
  | 'migrate'
  | 'gear'
  | 'wastebasket'
  | 'new'
  | 'rocket'
  | 'clone'
  | 'pencil'
  | 'computer'
  | 'hourglass'
  | 'construction'
  | 'check'
  | 'cross'
  | 'clipboard'
  | 'label'
  | 'siren'
  | 'info'
  | 'warning'
  | 'user'
  | 'shield'
  | 'floppy';

/** One line of the facts table. Values are raw event text: each renderer escapes and cuts them. */
export interface Fact {
  label: string;
  value: string;
  /** Set when the value is a timestamp (renderers may show it in the reader's time zone). */
  time?: Date;
}

/** The alarm part of an `AlarmStatusChangedEvent`. */
export interface AlarmChange {
  name: string;
  /** Lower-case `From`, when given. */
  from: string | undefined;
  /** Lower-case `To` (`gray` when missing). */
  to: string;
  /** `red`, `yellow`, `green` or `gray` (an unknown `To` reads as gray). */
  status: 'red' | 'yellow' | 'green' | 'gray';
  /** True when `To` was given and is one of the four statuses (targets that act on it check this). */
  known: boolean;
  /** The alarm's moref (`Alarm.Alarm.Value`), else its name, when the event names it. */
  alarmRef?: string;
  /** The alarmed object's moref (`Entity.Entity.Value`), else its name, when the event names it. */
  entityRef?: string;
}

/** The message model of one event. */
export interface Notification {
  family: EventFamily;
  /** The event class, or the EventTypeId of an EventEx. */
  eventClass: string;
  icon: Icon;
  title: string;
  severity: Severity;
  /** vCenter's own description (`FullFormattedMessage`), or the title. */
  summary: string;
  /** The first non-empty line of `summary` (one-line notifications, digests). */
  headline: string;
  /** Non-empty facts, in display order. */
  facts: Fact[];
  /** Extra preformatted text, e.g. a reconfiguration's change list. */
  detail?: { label: string; text: string };
  /** The object the event is about, with its kind (`VM`, `host`, `datastore`, ...). */
  object?: { kind: string; name: string };
  /** The host of the vCenter that sent it (from the CloudEvent `source`). */
  vcenter?: string;
  /** The vCenter event `Key`. */
  key?: number;
  alarm?: AlarmChange;
  /**
   * Events of one conversation share it: one alarm on one object in one vCenter (so a
   * red -> yellow -> green sequence reads as one thread where the target supports threads).
   */
  conversation?: string;
  /** The host the event names (`Host`, or an alarm's entity when it is a host): maintenance checks. */
  host?: { moref: string; name: string | undefined };
  /**
   * The event's identity, the same across broker retries: (`source`, `id`), or (`source`, `Key`)
   * for legacy router events whose `id` is random per emission (the dedupe guard's identity).
   * Set by `buildNotification`; targets derive idempotency keys from it (an email's Message-ID).
   */
  identity?: { source: string; id: string };
}

const ALARM_STATUS: ReadonlyMap<string, { icon: Icon; severity: Severity }> = new Map([
  ['red', { icon: 'red-circle', severity: 'danger' }],
  ['yellow', { icon: 'yellow-circle', severity: 'warning' }],
  ['green', { icon: 'green-circle', severity: 'good' }],
  ['gray', { icon: 'white-circle', severity: 'neutral' }],
] as const);

const VM_TITLES: ReadonlyMap<string, readonly [Icon, string, Severity]> = new Map([
  ['VmPoweredOnEvent', ['green-circle', 'VM powered on', 'good']],
  ['DrsVmPoweredOnEvent', ['green-circle', 'VM powered on by DRS', 'good']],
  ['VmPoweredOffEvent', ['red-circle', 'VM powered off', 'warning']],
  ['VmSuspendedEvent', ['pause', 'VM suspended', 'info']],
  ['VmGuestShutdownEvent', ['red-circle', 'VM guest shut down', 'warning']],
  ['VmResettingEvent', ['reset', 'VM reset', 'info']],
  ['VmMigratedEvent', ['migrate', 'VM migrated', 'info']],
  ['DrsVmMigratedEvent', ['migrate', 'VM migrated by DRS', 'info']],
  ['VmRelocatedEvent', ['migrate', 'VM relocated', 'info']],
  ['VmReconfiguredEvent', ['gear', 'VM reconfigured', 'info']],
  ['VmRemovedEvent', ['wastebasket', 'VM removed', 'warning']],
  ['VmCreatedEvent', ['new', 'VM created', 'info']],
  ['VmDeployedEvent', ['rocket', 'VM deployed', 'info']],
  ['VmClonedEvent', ['clone', 'VM cloned', 'info']],
  ['VmRenamedEvent', ['pencil', 'VM renamed', 'info']],
] as const);

const HOST_MAINTENANCE: ReadonlyMap<string, readonly [Icon, string, Severity]> = new Map([
  ['EnteringMaintenanceModeEvent', ['hourglass', 'Host entering maintenance mode', 'info']],
  ['EnteredMaintenanceModeEvent', ['construction', 'Host entered maintenance mode', 'warning']],
  ['ExitMaintenanceModeEvent', ['check', 'Host exited maintenance mode', 'good']],
  ['CanceledHostMaintenanceEvent', ['cross', 'Host maintenance canceled', 'info']],
] as const);

const EVENTEX_SEVERITY: ReadonlyMap<string, readonly [Icon, Severity]> = new Map([
  ['error', ['red-circle', 'danger']],
  ['warning', ['warning', 'warning']],
  ['info', ['info', 'info']],
  ['user', ['user', 'info']],
] as const);

/** vSphere managed object types as a person calls them. */
const OBJECT_KINDS: ReadonlyMap<string, string> = new Map([
  ['VirtualMachine', 'VM'],
  ['HostSystem', 'host'],
  ['Datastore', 'datastore'],
  ['StoragePod', 'datastore cluster'],
  ['ClusterComputeResource', 'cluster'],
  ['ComputeResource', 'compute resource'],
  ['Datacenter', 'datacenter'],
  ['Folder', 'folder'],
  ['ResourcePool', 'resource pool'],
  ['VirtualApp', 'vApp'],
  ['Network', 'network'],
  ['DistributedVirtualPortgroup', 'port group'],
  ['OpaqueNetwork', 'network'],
  ['VmwareDistributedVirtualSwitch', 'distributed switch'],
  ['DistributedVirtualSwitch', 'distributed switch'],
]);

/** What the layouts read; `VSphereEvent` provides it (tests may hand a plain stand-in). */
type EventView = Pick<
  VSphereEvent,
  | 'eventClass'
  | 'family'
  | 'data'
  | 'source'
  | 'key'
  | 'text'
  | 'record'
  | 'refName'
  | 'argument'
  | 'entity'
  | 'userName'
  | 'fullFormattedMessage'
  | 'eventTypeId'
>;

interface Layout {
  icon: Icon;
  title: string;
  severity: Severity;
  facts: Array<Fact | undefined>;
  detail?: { label: string; text: string };
  object?: { kind: string; name: string };
  alarm?: AlarmChange;
}

/**
 * Builds the message model of one parsed vSphere event. Checks what a message needs, throwing
 * `InvalidEventError` (400) naming the field: every event needs a `Key`; VM events a well-formed
 * `Vm`; host maintenance events a `Host`.
 *
 * @example
 * const notification = buildNotification(event); // event: VSphereEvent from vsphereEventParser()
 * await notifier.deliver(notification, ctx);
 */
export function buildNotification(event: VSphereEvent): Notification {
  event.requireKey();
  const family = event.family;
  if (family === 'vm') event.requireVm();
  if (family === 'host-maintenance') event.requireHost();
  const notification = notificationOf(event);
  const identity = defaultIdentity(event);
  if (identity) notification.identity = identity;
  return notification;
}

/** The model without the checks (for tests and fuzzing over partial events). */
export function notificationOf(event: EventView): Notification {
  const family = event.family;
  const layout = LAYOUTS.get(family)?.(event) ?? genericLayout(event);
  const summary = event.fullFormattedMessage?.trim() || layout.title;
  const notification: Notification = {
    family,
    eventClass: event.eventClass,
    icon: layout.icon,
    title: layout.title,
    severity: layout.severity,
    summary,
    headline: firstLine(summary) || layout.title,
    facts: layout.facts.filter((fact): fact is Fact => fact !== undefined),
  };
  if (layout.detail) notification.detail = layout.detail;
  if (layout.object) notification.object = layout.object;
  if (layout.alarm) {
    notification.alarm = layout.alarm;
    notification.conversation = alarmConversation(event.source, layout.alarm);
  }
  const vcenter = sourceHost(event.source);
  if (vcenter) notification.vcenter = vcenter;
  if (event.key !== undefined) notification.key = event.key;
  const host = hostOf(event);
  if (host) notification.host = host;
  return notification;
}

type LayoutFn = (event: EventView) => Layout;

const LAYOUTS: ReadonlyMap<EventFamily, LayoutFn> = new Map<EventFamily, LayoutFn>([
  ['vm', vmLayout],
  ['alarm', alarmLayout],
  ['host-maintenance', hostMaintenanceLayout],
  ['ha-failover', haLayout],
  ['tagging', taggingLayout],
  ['sso-login-failure', ssoLayout],
  ['task', taskLayout],
  ['backup-job', backupLayout],
  ['eventex', eventexLayout],
  ['generic', genericLayout],
]);

function vmLayout(event: EventView): Layout {
  const [icon, title, severity] = VM_TITLES.get(event.eventClass) ?? [
    'computer',
    `VM: ${words(event.eventClass)}`,
    'info',
  ];
  const facts = commonFacts(event);
  const cls = event.eventClass;
  if (cls.endsWith('MigratedEvent') || cls === 'VmRelocatedEvent') {
    facts.splice(
      1,
      0,
      fact('From host', event.refName('SourceHost')),
      fact('From datastore', event.refName('SourceDatastore')),
    );
  }
  const layout: Layout = { icon, title, severity, facts };
  const detail = configChanges(event);
  if (detail) layout.detail = detail;
  const vm = event.refName('Vm');
  if (vm) layout.object = { kind: 'VM', name: vm };
  return layout;
}

function alarmLayout(event: EventView): Layout {
  const given = event.text('To')?.toLowerCase();
  const to = given ?? 'gray';
  const from = event.text('From')?.toLowerCase();
  const known = ALARM_STATUS.get(to);
  const status = known ? (to as AlarmChange['status']) : 'gray';
  const { icon, severity } = known ?? ALARM_STATUS.get('gray')!;
  const name = event.refName('Alarm') ?? 'alarm';
  const change = from ? `${from} → ${to}` : to;
  const entity = entityOf(event, 'Entity') ?? entityOf(event, 'Source');
  const layout: Layout = {
    icon,
    title: `Alarm ${name}: ${change}`,
    severity,
    facts: [
      fact('Entity', entity ? `${entity.name} (${entity.kind})` : undefined),
      fact('Status', change),
      ...commonFacts(event).filter((f) => f?.label !== 'User'),
    ],
    alarm: { name, from, to, status, known: given !== undefined && known !== undefined },
  };
  const refs = alarmRefs(event);
  if (refs.alarm) layout.alarm!.alarmRef = refs.alarm;
  if (refs.entity) layout.alarm!.entityRef = refs.entity;
  if (entity) layout.object = entity;
  return layout;
}

function hostMaintenanceLayout(event: EventView): Layout {
  const [icon, title, severity] = HOST_MAINTENANCE.get(event.eventClass) ?? [
    'construction',
    words(event.eventClass),
    'info',
  ];
  const layout: Layout = { icon, title, severity, facts: commonFacts(event) };
  const host = event.refName('Host');
  if (host) layout.object = { kind: 'host', name: host };
  return layout;
}

function haLayout(event: EventView): Layout {
  const typeId = event.eventTypeId ?? event.eventClass;
  const last = typeId.split('.').at(-1) ?? typeId;
  const what = words(last.replace(/Event$/, '')).toLowerCase();
  const failed = /failed|isolat/i.test(typeId);
  const objectName = event.text('ObjectName');
  const objectType = event.text('ObjectType');
  const layout: Layout = {
    icon: failed ? 'siren' : 'shield',
    title: `vSphere HA: ${what}`,
    severity: failed ? 'danger' : 'warning',
    facts: [
      fact(
        'Object',
        objectName && objectType ? `${objectName} (${kindOf(objectType)})` : objectName,
      ),
      ...commonFacts(event),
    ],
  };
  if (objectName) layout.object = { kind: kindOf(objectType ?? 'object'), name: objectName };
  return layout;
}

function taggingLayout(event: EventView): Layout {
  const detach = (event.eventTypeId ?? event.eventClass).endsWith('detach');
  return {
    icon: 'label',
    title: detach ? 'Tag detached' : 'Tag attached',
    severity: 'info',
    facts: [
      fact('Tag', event.argument('Tag')),
      fact('Object', event.argument('Object')),
      fact('User', event.argument('User') ?? event.userName),
      timeFact(event),
    ],
  };
}

function ssoLayout(event: EventView): Layout {
  return {
    icon: 'siren',
    title: 'SSO login failure',
    severity: 'danger',
    facts: [
      fact('User', event.argument('userName') ?? event.userName),
      fact('From', event.argument('userIp')),
      fact('SSO host', event.argument('_sourcehost_')),
      fact('Reason', event.argument('description')),
      timeFact(event),
    ],
  };
}

function taskLayout(event: EventView): Layout {
  const info = event.record('Info');
  const state = textField(info, 'State');
  const errorMessage = textField(recordField(info, 'Error'), 'LocalizedMessage');
  const name = textField(info, 'DescriptionId') ?? textField(info, 'Name') ?? 'task';
  const objectName = textField(info, 'EntityName');
  const layout: Layout = {
    icon: state === 'error' ? 'cross' : state === 'success' ? 'check' : 'clipboard',
    title: `Task ${name}${state ? ` (${state})` : ''}`,
    severity: state === 'error' ? 'danger' : state === 'success' ? 'good' : 'info',
    facts: [
      fact('Task', textField(info, 'Name')),
      fact('Object', objectName),
      fact('State', state),
      fact('Error', errorMessage),
      ...commonFacts(event).filter((f) => f?.label !== 'User'),
      fact('User', textField(recordField(info, 'Reason'), 'UserName') ?? event.userName),
    ],
  };
  if (objectName) layout.object = { kind: 'object', name: objectName };
  return layout;
}

function backupLayout(event: EventView): Layout {
  const typeId = event.eventTypeId ?? event.eventClass;
  // com.vmware.applmgmt.backup.job.failed.event -> failed
  const outcome = /\.job\.([a-z]+)/i.exec(typeId)?.[1]?.toLowerCase() ?? 'event';
  const failed = outcome === 'failed';
  return {
    icon: failed ? 'cross' : outcome === 'finished' || outcome === 'succeeded' ? 'check' : 'floppy',
    title: `vCenter backup job ${outcome}`,
    severity: failed ? 'danger' : 'info',
    facts: [
      fact('Appliance', event.argument('_sourcehost_')),
      fact('User', event.userName),
      timeFact(event),
    ],
  };
}

function eventexLayout(event: EventView): Layout {
  const typeId = event.eventTypeId ?? event.eventClass;
  const level = (event.text('Severity') ?? 'info').toLowerCase();
  const [icon, severity] = EVENTEX_SEVERITY.get(level) ?? ['info', 'info'];
  const args = Array.isArray(event.data['Arguments']) ? (event.data['Arguments'] as unknown[]) : [];
  const argFacts = args.map((arg) => fact(textField(arg, 'Key') ?? '?', textField(arg, 'Value')));
  return { icon, title: typeId, severity, facts: [...commonFacts(event), ...argFacts] };
}

function genericLayout(event: EventView): Layout {
  return {
    icon: 'info',
    title: words(event.eventClass),
    severity: 'info',
    facts: commonFacts(event),
  };
}

/** Who, where and when: the facts every layout shows when the event has them. */
function commonFacts(event: EventView): Array<Fact | undefined> {
  return [
    fact('VM', event.refName('Vm')),
    fact('Host', event.refName('Host')),
    fact('Cluster', event.refName('ComputeResource')),
    fact('Datacenter', event.refName('Datacenter')),
    fact('Datastore', event.refName('Ds')),
    fact('Network', event.refName('Net')),
    fact('User', event.userName),
    timeFact(event),
  ];
}

function fact(label: string, value: string | undefined): Fact | undefined {
  const trimmed = value?.trim();
  return trimmed ? { label, value: trimmed } : undefined;
}

function timeFact(event: EventView): Fact | undefined {
  const raw = event.text('CreatedTime')?.trim();
  if (!raw) return undefined;
  const ms = Date.parse(raw);
  return Number.isNaN(ms)
    ? { label: 'Time', value: raw }
    : { label: 'Time', value: raw, time: new Date(ms) };
}

/** `VmReconfiguredEvent`'s change list. */
function configChanges(event: EventView): { label: string; text: string } | undefined {
  const changes = event.record('ConfigChanges');
  if (!changes) return undefined;
  const parts: string[] = [];
  for (const kind of ['Modified', 'Added', 'Deleted']) {
    const list = textField(changes, kind)?.trim();
    if (list) parts.push(`${kind}:\n${list}`);
  }
  return parts.length === 0 ? undefined : { label: 'Changes', text: parts.join('\n') };
}

function kindOf(type: string): string {
  return OBJECT_KINDS.get(type) ?? type;
}

/** A reference field (`{ Name, <Kind>: { Type, Value } }`) as `{ kind, name }`, when named. */
function entityOf(event: EventView, field: string): { kind: string; name: string } | undefined {
  const ref = event.record(field);
  const name = refName(event.data, field)?.trim();
  if (!ref || !name) return undefined;
  const inner = Object.values(ref).find(isRecord);
  const type = textField(inner, 'Type');
  return { kind: type ? kindOf(type) : 'object', name };
}

/** The host an event names: its `Host`, or an alarm's `Entity` when that is a host. */
function hostOf(event: EventView): { moref: string; name: string | undefined } | undefined {
  const host = event.entity('Host');
  if (host) return { moref: host.moref, name: host.name };
  const entity = recordField(event.record('Entity'), 'Entity');
  if (textField(entity, 'Type') === 'HostSystem') {
    const moref = textField(entity, 'Value');
    if (moref) return { moref, name: event.refName('Entity') };
  }
  return undefined;
}

/** An alarm's moref (else name) and its object's moref (else name). */
function alarmRefs(event: EventView): { alarm: string | undefined; entity: string | undefined } {
  const alarm =
    textField(recordField(event.record('Alarm'), 'Alarm'), 'Value') ?? event.refName('Alarm');
  const entity =
    textField(recordField(event.record('Entity'), 'Entity'), 'Value') ?? event.refName('Entity');
  return { alarm: alarm?.trim() || undefined, entity: entity?.trim() || undefined };
}

/** One alarm on one object in one vCenter: `<source>|<alarm>|<entity>`. */
function alarmConversation(source: string, alarm: AlarmChange): string {
  return `${source}|${alarm.alarmRef ?? ''}|${alarm.entityRef ?? ''}`;
}

function sourceHost(source: string | undefined): string | undefined {
  if (!source) return undefined;
  try {
    return new URL(source).hostname || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The line that places a notification: `vCenter <host> · event <Key> · <EventClass>` (no vCenter
 * part when the source names none; `?` for a missing Key). Each target escapes and fits it.
 */
export function eventContext(n: Pick<Notification, 'vcenter' | 'key' | 'eventClass'>): string {
  return [n.vcenter ? `vCenter ${n.vcenter}` : undefined, `event ${n.key ?? '?'}`, n.eventClass]
    .filter((part): part is string => part !== undefined)
    .join(' · ');
}
