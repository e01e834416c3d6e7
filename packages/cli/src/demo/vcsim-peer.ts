import {
  startVcsim,
  type VcsimActionEvent,
  type VcsimActionResult,
  type VcsimServer,
} from '@veba-functions/test-helpers';
import { createVCenterClient, type VCenterClient } from '@veba-functions/vcenter';
import { DemoError } from './errors.js';

/** One real vSphere operation the demo drives on vcsim (through its control endpoint). */
export type ScenarioStep = (
  | { readonly action: 'powerOn' | 'powerOff'; readonly vm: string }
  | { readonly action: 'clone'; readonly vm: string; readonly name: string }
  /** CreateVM_Task: `vm` is the new VM's name. */
  | { readonly action: 'create'; readonly vm: string }
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

/** A VM and the tags it carries. */
export interface VmTags {
  readonly name: string;
  readonly moref: string;
  readonly tags: readonly TagName[];
}

/** vcsim with the VEBA source emulator, as a peer of the demo. */
export interface VcsimPeer {
  readonly server: VcsimServer;
  /** VM morefs with a VmPoweredOnEvent among the events of the scenario's actions. */
  readonly poweredOn: ReadonlySet<string>;
  /**
   * Per VM moref, the power event of the scenario's actions with the highest Key: `on`
   * (VmPoweredOnEvent) or `off` (VmPoweredOffEvent).
   */
  readonly lastPower: ReadonlyMap<string, 'on' | 'off'>;
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
  /**
   * Every VM of vcsim's inventory by name (with its moref) and the tags of `categories` it
   * carries now, asked of vcsim through the project's vCenter client.
   */
  vmTags(categories: readonly string[]): Promise<VmTags[]>;
  /** Creates `tag` (and its category) unless it exists: what an operator does beforehand. */
  ensureTag(tag: TagName): Promise<void>;
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
  const lastPower = new Map<string, 'on' | 'off'>();
  const events: VcsimActionEvent[] = [];
  const actions: VcsimActionResult[] = [];

  const run = (step: ScenarioStep): Promise<VcsimActionResult> => {
    const options = step.user === undefined ? {} : { user: step.user };
    if (step.action === 'clone') return server.actions.clone(step.vm, step.name, options);
    if (step.action === 'create') return server.actions.create(step.vm, options);
    return server.actions[step.action](step.vm, options);
  };
  const withClient = async <T>(work: (client: VCenterClient) => Promise<T>): Promise<T> => {
    const client = createVCenterClient({
      server: server.url,
      username: server.username,
      password: server.password,
      ca: server.caFile,
      keepAliveIntervalMs: 0,
    });
    try {
      await client.connect();
      return await work(client);
    } finally {
      await client.close().catch(() => undefined);
    }
  };
  const vmTags = (categories: readonly string[]): Promise<VmTags[]> =>
    withClient(async (client) => {
      const names = new Map<string, string>();
      for (const category of categories) {
        const found = await client.tagging.findCategory(category);
        if (found !== undefined) names.set(found.id, category);
      }
      const result: VmTags[] = [];
      const inventory = Object.entries((await server.readInventory()).vms);
      for (const [name, moref] of inventory.sort(([a], [b]) => a.localeCompare(b))) {
        const tags: TagName[] = [];
        for (const id of await client.tagging.listAttachedTags(moref)) {
          const tag = await client.tagging.getTag(id);
          const category = tag && names.get(tag.categoryId);
          if (tag && category !== undefined) tags.push({ category, name: tag.name });
        }
        result.push({ name, moref, tags });
      }
      return result;
    });

  return {
    server,
    poweredOn,
    lastPower,
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
          if (event.vm === undefined) continue;
          if (event.eventType === 'VmPoweredOnEvent') {
            poweredOn.add(event.vm);
            lastPower.set(event.vm, 'on');
          } else if (event.eventType === 'VmPoweredOffEvent') {
            lastPower.set(event.vm, 'off');
          }
        }
      }
    },
    async taggedVms(tag) {
      const vms = await vmTags([tag.category]);
      const tagged = vms.filter((vm) => vm.tags.some((t) => t.name === tag.name));
      return { tagged: tagged.map((vm) => vm.moref).sort(), vms: vms.length };
    },
    vmTags,
    ensureTag: (tag) =>
      withClient(async (client) => {
        await client.tagging.ensureTag(tag.category, tag.name, { create: true });
      }),
    stop: () => server.stop(),
  };
}
