import { request } from 'node:http';
import { VcsimActionError, VcsimHelperError } from './vcsim-errors.js';
import type { VcsimDeliveryLog } from './vcsim-log.js';

/** A VM or host as vcsim names it (`DC0_H0_VM0`) and its moref (`vm-57`). */
export interface VcsimEntity {
  readonly name: string;
  readonly moref: string;
}

/** One event an action produced, as vcsim recorded it. */
export interface VcsimActionEvent {
  /** The event's `Key`; the CloudEvent's `id` is `String(key)`. */
  readonly key: number;
  readonly id: string;
  /** The CloudEvent `type`, e.g. `com.vmware.vsphere.VmClonedEvent.v0`. */
  readonly type: string;
  /** The class name (`VmClonedEvent`), or the `EventTypeId` of an EventEx / ExtendedEvent. */
  readonly eventType: string;
  /** The `eventclass` extension: `event`, `eventex` or `extendedevent`. */
  readonly class: 'event' | 'eventex' | 'extendedevent';
  /** `vcsim`: recorded by vcsim itself; `driver`: posted by the driver (see tools/vcsim/README.md). */
  readonly origin: 'vcsim' | 'driver';
  readonly userName: string;
  /** `Vm.Vm.Value` and `Host.Host.Value` of the event, when it has them. */
  readonly vm?: string;
  readonly host?: string;
}

/** The final outcome of one event at one sink. */
export interface VcsimDeliveryResult {
  readonly sink: string;
  readonly key: number;
  readonly status: number;
  readonly attempts: number;
  readonly outcome: 'delivered' | 'failed';
  readonly error?: string;
}

/** What an action did: the VM or host it acted on (or created), its events and their deliveries. */
export interface VcsimActionResult {
  readonly action: string;
  readonly user: string;
  readonly vm?: VcsimEntity;
  readonly host?: VcsimEntity;
  /** In Key order; includes the `UserLoginSessionEvent` when the action logged its user in. */
  readonly events: readonly VcsimActionEvent[];
  /** One entry per event and sink that had dealt with it when the answer was sent. */
  readonly deliveries: readonly VcsimDeliveryResult[];
  /** True when every sink had dealt with every event (delivered or given up) in time. */
  readonly delivered: boolean;
}

export interface VcsimActionOptions {
  /** The vCenter user the action runs as: the events' `UserName`. Default `VSPHERE.LOCAL\Administrator`. */
  user?: string;
  /** Wait until every sink has dealt with the action's events. Default true. */
  wait?: boolean;
  /** Bound on the action plus the wait, in milliseconds. Default 30 000. */
  timeoutMs?: number;
}

/** Real vSphere operations on vcsim; each resolves once the task has finished (and, by default, the events were delivered). */
export interface VcsimActions {
  /** PowerOnVM_Task. vcsim records VmStartingEvent, VmPoweredOnEvent (also in a DRS cluster). */
  powerOn(vm: string, options?: VcsimActionOptions): Promise<VcsimActionResult>;
  /** PowerOffVM_Task. vcsim records VmStoppingEvent, VmPoweredOffEvent. */
  powerOff(vm: string, options?: VcsimActionOptions): Promise<VcsimActionResult>;
  /** CloneVM_Task into the source VM's folder; `result.vm` is the new VM. */
  clone(vm: string, name: string, options?: VcsimActionOptions): Promise<VcsimActionResult>;
  /** CreateVM_Task on `host` (default `DC0_H0`), its first datastore and resource pool. */
  create(
    name: string,
    options?: VcsimActionOptions & { host?: string },
  ): Promise<VcsimActionResult>;
  /**
   * EnterMaintenanceMode_Task. vcsim 0.24.2 records no event for it, so the driver posts
   * EnteringMaintenanceModeEvent and EnteredMaintenanceModeEvent around the task (`origin: 'driver'`)
   * unless `postEvents` is false.
   */
  enterMaintenance(
    host: string,
    options?: VcsimActionOptions & { postEvents?: boolean },
  ): Promise<VcsimActionResult>;
  /** ExitMaintenanceMode_Task; the driver posts ExitMaintenanceModeEvent unless `postEvents` is false. */
  exitMaintenance(
    host: string,
    options?: VcsimActionOptions & { postEvents?: boolean },
  ): Promise<VcsimActionResult>;
  /** Posts an EventEx or ExtendedEvent (vcsim records neither class by itself), about a VM or host. */
  postEvent(
    event: {
      class: 'eventex' | 'extendedevent';
      eventTypeId: string;
      vm?: string;
      host?: string;
      message?: string;
    },
    options?: VcsimActionOptions,
  ): Promise<VcsimActionResult>;
}

/** VM and host names mapped to morefs, e.g. `vms['DC0_H0_VM0'] === 'vm-57'`. */
export interface VcsimInventory {
  readonly vms: Readonly<Record<string, string>>;
  readonly hosts: Readonly<Record<string, string>>;
}

/** A sink as the emulator reports it. */
export interface VcsimSinkInfo {
  readonly url: string;
  /** It receives events with a Key above this one. */
  readonly from: number;
  /** The highest Key it has dealt with. */
  readonly done: number;
  readonly pending: number;
}

/** The VEBA source emulator: where vcsim's events go. */
export interface VcsimSource {
  /** The CloudEvent `source` of every event: `https://<address>/sdk`. */
  readonly address: string;
  /**
   * Sends every event recorded from now on to `url` too (starting the source when it is the first
   * sink). Rejects with `VcsimActionError` 400 for a bad URL, 409 when it is already a sink.
   */
  addSink(url: string): Promise<VcsimSinkInfo>;
  /** Stops sending to `url`; rejects with `VcsimActionError` 404 when it is not a sink. */
  removeSink(url: string): Promise<void>;
  sinks(): Promise<readonly VcsimSinkInfo[]>;
  /** Every POST attempt so far (parsed from vcsim's stderr), with a way to wait for more. */
  readonly deliveries: VcsimDeliveryLog;
}

interface Answer {
  status: number;
  body: unknown;
}

function call(base: string, method: string, path: string, payload?: unknown): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const body = payload === undefined ? undefined : JSON.stringify(payload);
    const req = request(
      new URL(path, base),
      {
        method,
        // An explicit length: Node sends a DELETE body unframed otherwise.
        headers:
          body === undefined
            ? {}
            : {
                'content-type': 'application/json',
                'content-length': String(Buffer.byteLength(body)),
              },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          try {
            resolve({
              status: res.statusCode ?? 0,
              body: text === '' ? undefined : JSON.parse(text),
            });
          } catch (cause) {
            reject(
              new VcsimHelperError(`vcsim control ${method} ${path}: unreadable answer`, { cause }),
            );
          }
        });
        res.on('error', reject);
      },
    );
    req.on('error', (cause) =>
      reject(
        new VcsimHelperError(`vcsim control ${method} ${path} failed: ${cause.message}`, { cause }),
      ),
    );
    req.end(body);
  });
}

function refuse(method: string, path: string, answer: Answer): VcsimActionError {
  const body = (answer.body ?? {}) as { error?: string; fault?: string; events?: unknown };
  return new VcsimActionError(
    `vcsim control ${method} ${path} answered ${answer.status}: ${body.error ?? 'no reason given'}`,
    {
      status: answer.status,
      ...(body.fault ? { fault: body.fault } : {}),
      ...(Array.isArray(body.events) ? { result: body as unknown as VcsimActionResult } : {}),
    },
  );
}

/** The typed client of tools/vcsim's control endpoint (`-control`). */
export function createVcsimControl(
  controlUrl: string,
  address: string,
  deliveries: VcsimDeliveryLog,
): { actions: VcsimActions; source: VcsimSource; readInventory(): Promise<VcsimInventory> } {
  const act = async (
    payload: Record<string, unknown>,
    options: VcsimActionOptions = {},
  ): Promise<VcsimActionResult> => {
    const answer = await call(controlUrl, 'POST', '/actions', { ...payload, ...options });
    if (answer.status !== 200) throw refuse('POST', `/actions (${String(payload.action)})`, answer);
    return answer.body as VcsimActionResult;
  };

  const actions: VcsimActions = {
    powerOn: (vm, options) => act({ action: 'powerOn', vm }, options),
    powerOff: (vm, options) => act({ action: 'powerOff', vm }, options),
    clone: (vm, name, options) => act({ action: 'clone', vm, name }, options),
    create: (name, { host, ...options } = {}) =>
      act({ action: 'create', name, ...(host === undefined ? {} : { host }) }, options),
    enterMaintenance: (host, options) => act({ action: 'enterMaintenance', host }, options),
    exitMaintenance: (host, options) => act({ action: 'exitMaintenance', host }, options),
    postEvent: (event, options) => act({ action: 'postEvent', ...event }, options),
  };

  const source: VcsimSource = {
    address,
    deliveries,
    async addSink(url) {
      const answer = await call(controlUrl, 'POST', '/sinks', { url });
      if (answer.status !== 201) throw refuse('POST', '/sinks', answer);
      return (answer.body as { sink: VcsimSinkInfo }).sink;
    },
    async removeSink(url) {
      const answer = await call(controlUrl, 'DELETE', '/sinks', { url });
      if (answer.status !== 200) throw refuse('DELETE', '/sinks', answer);
    },
    async sinks() {
      const answer = await call(controlUrl, 'GET', '/sinks');
      if (answer.status !== 200) throw refuse('GET', '/sinks', answer);
      return (answer.body as { sinks: VcsimSinkInfo[] }).sinks;
    },
  };
  const readInventory = async (): Promise<VcsimInventory> => {
    const answer = await call(controlUrl, 'GET', '/inventory');
    if (answer.status !== 200) throw refuse('GET', '/inventory', answer);
    return answer.body as VcsimInventory;
  };
  return { actions, source, readInventory };
}
