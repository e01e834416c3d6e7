import {
  startVcsim,
  type VcsimActionEvent,
  type VcsimActionResult,
  type VcsimServer,
} from '@veba-functions/test-helpers';
import { createVCenterClient } from '@veba-functions/vcenter';
import { DemoError } from './errors.js';

/** One real vSphere operation the demo drives on vcsim (through its control endpoint). */
export type ScenarioStep = (
  | { readonly action: 'powerOn' | 'powerOff'; readonly vm: string }
  | { readonly action: 'clone'; readonly vm: string; readonly name: string }
) & {
  /** The vCenter user it runs as (the events' `UserName`). Default: vcsim's administrator. */
  readonly user?: string;
  /** Part of the quick run too. */
  readonly quick?: boolean;
};

/** A vSphere tag by category and name. */
export interface TagName {
  readonly category: string;
  readonly name: string;
}

/** vcsim with the VEBA source emulator, as a peer of the demo. */
export interface VcsimPeer {
  readonly server: VcsimServer;
  /** VM morefs with a VmPoweredOnEvent among the events of the scenario's actions. */
  readonly poweredOn: ReadonlySet<string>;
  /** Every event the scenario's actions produced, in Key order. */
  readonly events: readonly VcsimActionEvent[];
  /** The actions run so far. */
  readonly actions: readonly VcsimActionResult[];
  /**
   * Runs the steps one at a time; each resolves once the source emulator has handed its events
   * to every sink. Rejects with DemoError naming a refused action.
   */
  runScenario(steps: readonly ScenarioStep[]): Promise<void>;
  /**
   * The VMs carrying `tag` now (of every VM in vcsim's inventory), asked of vcsim through the
   * project's vCenter client.
   */
  taggedVms(tag: TagName): Promise<{ tagged: string[]; vms: number }>;
  stop(): Promise<void>;
}

/** Starts vcsim (building it on first use) with its source emulator posting to `sinks`. */
export async function startVcsimPeer(options: {
  sinks: readonly string[];
  startTimeoutMs?: number;
}): Promise<VcsimPeer> {
  const server = await startVcsim({
    sinks: options.sinks,
    startTimeoutMs: options.startTimeoutMs ?? 20_000,
  });
  const poweredOn = new Set<string>();
  const events: VcsimActionEvent[] = [];
  const actions: VcsimActionResult[] = [];

  const run = (step: ScenarioStep): Promise<VcsimActionResult> => {
    const options = step.user === undefined ? {} : { user: step.user };
    if (step.action === 'clone') return server.actions.clone(step.vm, step.name, options);
    return server.actions[step.action](step.vm, options);
  };

  return {
    server,
    poweredOn,
    events,
    actions,
    async runScenario(steps) {
      for (const step of steps) {
        let result: VcsimActionResult;
        try {
          result = await run(step);
        } catch (error) {
          throw new DemoError(
            `vcsim refused ${step.action} ${step.vm}: ${(error as Error).message}`,
            { cause: error },
          );
        }
        if (!result.delivered) {
          throw new DemoError(
            `vcsim's source did not hand the events of ${step.action} ${step.vm} to the broker ingress`,
          );
        }
        actions.push(result);
        events.push(...result.events);
        for (const event of result.events) {
          if (event.eventType === 'VmPoweredOnEvent' && event.vm !== undefined)
            poweredOn.add(event.vm);
        }
      }
    },
    async taggedVms(tag) {
      const client = createVCenterClient({
        server: server.url,
        username: server.username,
        password: server.password,
        ca: server.caFile,
      });
      try {
        await client.connect();
        const vms = Object.values((await server.readInventory()).vms);
        const found = await client.tagging.findTag(tag.category, tag.name);
        if (found === undefined) return { tagged: [], vms: vms.length };
        const tagged: string[] = [];
        for (const vm of vms) {
          if ((await client.tagging.listAttachedTags(vm)).includes(found.id)) tagged.push(vm);
        }
        return { tagged: tagged.sort(), vms: vms.length };
      } finally {
        await client.close().catch(() => undefined);
      }
    },
    stop: () => server.stop(),
  };
}
