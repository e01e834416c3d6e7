/**
 * The one event-family classifier: how every notifier groups vSphere events when it lays out a
 * message (one layout per family). Lookups are `Map`s, so an event class named like an
 * `Object.prototype` member (`constructor`, `__proto__`) is just an unknown class.
 */
export type EventFamily =
  /** Any VM event: power, migration, reconfiguration, create / clone / deploy / remove / rename. */
  | 'vm'
  /** `AlarmStatusChangedEvent` and the other `Alarm*Event` classes. */
  | 'alarm'
  /** Host entering / entered / exiting maintenance mode, or maintenance canceled. */
  | 'host-maintenance'
  /** vSphere HA failover: `com.vmware.vc.HA.*` and the `Das*` host failure events. */
  | 'ha-failover'
  /** `com.vmware.cis.tagging.attach` / `.detach`. */
  | 'tagging'
  /** `com.vmware.sso.LoginFailure`. */
  | 'sso-login-failure'
  /** `TaskEvent`, `TaskTimeoutEvent`. */
  | 'task'
  /** vCenter appliance file-based backup jobs: `com.vmware.applmgmt.backup.job.*`. */
  | 'backup-job'
  /** Any other EventEx / ExtendedEvent (a dotted EventTypeId). */
  | 'eventex'
  /** Everything else. */
  | 'generic';

const BY_CLASS: ReadonlyMap<string, EventFamily> = new Map<string, EventFamily>([
  ['AlarmStatusChangedEvent', 'alarm'],
  ['EnteringMaintenanceModeEvent', 'host-maintenance'],
  ['EnteredMaintenanceModeEvent', 'host-maintenance'],
  ['ExitMaintenanceModeEvent', 'host-maintenance'],
  ['CanceledHostMaintenanceEvent', 'host-maintenance'],
  ['TaskEvent', 'task'],
  ['TaskTimeoutEvent', 'task'],
  ['com.vmware.cis.tagging.attach', 'tagging'],
  ['com.vmware.cis.tagging.detach', 'tagging'],
  ['com.vmware.sso.LoginFailure', 'sso-login-failure'],
  // vSphere HA's classic events (vim.event.DasHostFailedEvent and friends)
  ['DasHostFailedEvent', 'ha-failover'],
  ['DasHostIsolatedEvent', 'ha-failover'],
  ['DasClusterIsolatedEvent', 'ha-failover'],
]);

const PREFIXES: ReadonlyArray<readonly [string, EventFamily]> = [
  // kn-pcli-ha-restarted-vms: com.vmware.vc.HA.ClusterFailoverActionCompletedEvent; older builds
  // spell the namespace in lower case (com.vmware.vc.ha.VmRestartedByHAEvent).
  ['com.vmware.vc.HA.', 'ha-failover'],
  ['com.vmware.vc.ha.', 'ha-failover'],
  // kn-ps-google-chat: com.vmware.applmgmt.backup.job.failed.event
  ['com.vmware.applmgmt.backup.job.', 'backup-job'],
];

/**
 * The family of an event class (or EventTypeId). An `EventTypeId` in the payload, when given,
 * wins over the class (an EventEx delivered under its class name).
 *
 * @example
 * eventFamily('DrsVmPoweredOnEvent');          // 'vm'
 * eventFamily('AlarmStatusChangedEvent');      // 'alarm'
 * eventFamily('com.vmware.sso.LoginFailure');  // 'sso-login-failure'
 * eventFamily('constructor');                  // 'generic'
 */
export function eventFamily(eventClass: string, eventTypeId?: string): EventFamily {
  const name = eventTypeId ?? eventClass;
  const known = BY_CLASS.get(name);
  if (known !== undefined) return known;
  for (const [prefix, family] of PREFIXES) if (name.startsWith(prefix)) return family;
  if (/^Alarm[A-Za-z]*Event$/.test(name)) return 'alarm';
  if (/^(Drs)?Vm[A-Z]/.test(name)) return 'vm';
  if (name.includes('.')) return 'eventex';
  return 'generic';
}
