/**
 * Event families: how a notifier groups vSphere events when it formats them (one layout per family).
 * `eventex` covers EventEx and ExtendedEvent (identified by an EventTypeId such as
 * `com.vmware.cis.tagging.attach`); `other` is everything without a dedicated layout.
 */
export type EventFamily =
  | 'vm-power'
  | 'vm-migrate'
  | 'vm-reconfigure'
  | 'vm-remove'
  | 'alarm'
  | 'host-maintenance'
  | 'task'
  | 'eventex'
  | 'other';

const FAMILIES: Readonly<Record<string, EventFamily>> = Object.freeze({
  // power state changes, including DRS-initiated ones and the failures to change it
  VmPoweredOnEvent: 'vm-power',
  DrsVmPoweredOnEvent: 'vm-power',
  VmPoweredOffEvent: 'vm-power',
  VmStartingEvent: 'vm-power',
  VmStoppingEvent: 'vm-power',
  VmSuspendedEvent: 'vm-power',
  VmSuspendingEvent: 'vm-power',
  VmResumingEvent: 'vm-power',
  VmResettingEvent: 'vm-power',
  VmGuestShutdownEvent: 'vm-power',
  VmGuestRebootEvent: 'vm-power',
  VmGuestStandbyEvent: 'vm-power',
  VmFailedToPowerOnEvent: 'vm-power',
  VmFailedToPowerOffEvent: 'vm-power',
  VmFailedToSuspendEvent: 'vm-power',
  VmFailedToResetEvent: 'vm-power',
  VmFailedToRebootGuestEvent: 'vm-power',
  VmFailedToShutdownGuestEvent: 'vm-power',
  VmFailedToStandbyGuestEvent: 'vm-power',
  // migrations and relocations (vMotion, Storage vMotion, DRS)
  VmMigratedEvent: 'vm-migrate',
  DrsVmMigratedEvent: 'vm-migrate',
  VmBeingMigratedEvent: 'vm-migrate',
  VmBeingHotMigratedEvent: 'vm-migrate',
  VmEmigratingEvent: 'vm-migrate',
  VmFailedMigrateEvent: 'vm-migrate',
  VmBeingRelocatedEvent: 'vm-migrate',
  VmRelocatedEvent: 'vm-migrate',
  VmRelocateFailedEvent: 'vm-migrate',
  VmReconfiguredEvent: 'vm-reconfigure',
  VmRemovedEvent: 'vm-remove',
  EnteringMaintenanceModeEvent: 'host-maintenance',
  EnteredMaintenanceModeEvent: 'host-maintenance',
  ExitMaintenanceModeEvent: 'host-maintenance',
  TaskEvent: 'task',
  TaskTimeoutEvent: 'task',
});

/**
 * The family of an event class (or EventTypeId). Alarm events (`Alarm*Event`) are `alarm`; any
 * dotted EventTypeId is `eventex`.
 *
 * @example
 * eventFamily('DrsVmPoweredOnEvent');          // 'vm-power'
 * eventFamily('AlarmStatusChangedEvent');      // 'alarm'
 * eventFamily('com.vmware.sso.LoginFailure');  // 'eventex'
 */
export function eventFamily(eventClass: string): EventFamily {
  const known = Object.hasOwn(FAMILIES, eventClass) ? FAMILIES[eventClass] : undefined;
  if (known) return known;
  if (/^Alarm[A-Za-z]*Event$/.test(eventClass)) return 'alarm';
  if (eventClass.includes('.')) return 'eventex';
  return 'other';
}
