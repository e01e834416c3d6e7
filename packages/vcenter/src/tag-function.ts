/**
 * What the functions that keep a vCenter session share: the session opened in `init` (and closed
 * again when the rest of `init` fails), and for the functions that apply one configured tag to the
 * VM of each event (vm-tag-on-power-on, vm-tag) the rest of their state: the batched associations,
 * the resolved tag, the arrival guard announcing each event, the apply with its error mapping.
 */
import type { Registry } from 'prom-client';
import { createArrivalGuard, type ArrivalGuard } from './arrival-guard.js';
import { createVCenterClient, type VCenterClient, type VCenterClientOptions } from './client.js';
import { vcenterOptionsFromConfig, type VCenterConfigInput } from './config.js';
import type { Arrival } from './group-commit.js';
import { vmEventError } from './runtime-errors.js';
import { createTagAssociations, type TagAction, type TagAssociations } from './tag-associations.js';
import {
  createTagTarget,
  type AppliedTag,
  type ApplyOptions,
  type TagRef,
  type TagTarget,
  type TagTargetOptions,
} from './tag-target.js';

/** What `init` hands the client besides the config. */
export type VCenterInitContext = Pick<VCenterClientOptions, 'logger'> & { metrics: Registry };

/**
 * Opens the function's vCenter session from its config (bad credentials or TLS fail start-up) and
 * builds the rest of its state on it; when that fails, the session is closed again before the
 * error goes on (init fails, and nothing would close it later).
 *
 * @example
 * async init({ config, logger, metrics }) {
 *   return openVCenter(config, { logger, metrics }, async (vcenter) => ({ vcenter, ... }));
 * }
 */
export async function openVCenter<T>(
  config: VCenterConfigInput,
  ctx: VCenterInitContext,
  build: (vcenter: VCenterClient) => Promise<T>,
): Promise<T> {
  const vcenter = createVCenterClient(vcenterOptionsFromConfig(config, ctx));
  try {
    await vcenter.connect();
    return await build(vcenter);
  } catch (error) {
    await vcenter.close().catch(() => undefined);
    throw error;
  }
}

/** What a tag function's `init` keeps warm and its handler gets as `ctx.state`. */
export interface TagFunctionState<E> {
  vcenter: VCenterClient;
  associations: TagAssociations;
  target: Pick<TagTarget, 'apply' | 'current'>;
  action: TagAction;
  /** The announcement the arrival guard made for an event, to pass on to the batch. */
  arrivalOf(event: E): Arrival | undefined;
}

/** What a tag function does, from its loaded keys. */
export interface TagSettings {
  action: TagAction;
  target: TagTargetOptions;
}

/** The tag function's pieces, for one definition (see {@link createTagFunction}). */
export interface TagFunction<E extends object> {
  /** The first guard: announces each event's apply as it arrives (see `createArrivalGuard`). */
  readonly arrivals: ArrivalGuard<E>;
  /** The resolved tag's id, once `init` resolved it: part of the dedupe identity and ordering scope. */
  tagId: () => string | undefined;
  /** The action, once `init` read it. */
  action: () => TagAction;
  /**
   * The dedupe identity of an event for this deployment: the event's own (`base`, e.g. the state
   * package's `defaultIdentity(event)`) with the resolved tag's id, and with `withAction` the
   * action, appended to its id: `<id>|<tag id>` or `<id>|<action>|<tag id>`. Two deployments
   * applying different tags (or actions) to the same events then each do their own work.
   */
  identity: <I extends { source: string; id: string }>(
    base: I | undefined,
    options?: { withAction?: boolean },
  ) => I | undefined;
  /** Opens the session, the batched associations and the tag target, and resolves the tag. */
  init: (
    config: VCenterConfigInput & { VCENTER_TAG_BATCH_MAX: number },
    ctx: VCenterInitContext,
    settings: TagSettings,
  ) => Promise<{ state: TagFunctionState<E>; tag: TagRef }>;
  /** Flushes the associations, then logs out of vCenter. */
  shutdown: (ctx: { state: TagFunctionState<E> }) => Promise<void>;
}

/**
 * The pieces of a function applying one configured tag to the VM of each event. `announces`
 * says which events will apply the tag (default: all); the others are not waited for.
 *
 * @example
 * const tagging = createTagFunction<VSphereEvent>();
 * defineFunction({
 *   guards: [tagging.arrivals, ...createStateGuards(...)],
 *   async init({ config, logger, metrics }) {
 *     const { state } = await tagging.init(config, { logger, metrics }, { action: 'attach', target });
 *     return state;
 *   },
 *   handle,
 *   shutdown: tagging.shutdown,
 * });
 */
export function createTagFunction<E extends object>(
  options: { announces?: (event: E) => boolean } = {},
): TagFunction<E> {
  let target: TagTarget | undefined;
  let action: TagAction = 'attach';
  const arrivals = createArrivalGuard<E>((event) =>
    (options.announces?.(event) ?? true) ? target?.announce(action) : undefined,
  );
  return {
    arrivals,
    tagId: () => target?.current().id,
    action: () => action,
    identity: (base, identityOptions = {}) => {
      if (base === undefined) return undefined;
      const tag = target?.current().id;
      const id = identityOptions.withAction ? `${base.id}|${action}|${tag}` : `${base.id}|${tag}`;
      return { ...base, id };
    },
    init: async (config, ctx, settings) => {
      action = settings.action;
      return openVCenter(config, ctx, async (vcenter) => {
        const associations = createTagAssociations(vcenter.tagging, {
          maxBatchSize: config.VCENTER_TAG_BATCH_MAX,
          metrics: ctx.metrics,
        });
        target = createTagTarget(vcenter.tagging, associations, settings.target);
        const tag = await target.init();
        const state = { vcenter, associations, target, action, arrivalOf: arrivals.arrivalOf };
        return { state, tag };
      });
    },
    shutdown: async ({ state }) => {
      await state.associations.close();
      await state.vcenter.close();
    },
  };
}

/** Options of {@link applyTagToVm}. */
export interface ApplyToVmOptions extends Required<Pick<ApplyOptions, 'logger'>> {
  signal?: AbortSignal;
  arrival?: Arrival | undefined;
  /** Appended to the warning when the VM no longer exists. */
  hint?: string;
}

/**
 * Applies the function's tag to `vm` for one event: through the batch (with the event's
 * announcement), vCenter's refusals mapped by `vmEventError` (the VM gone: 400, logged at warn;
 * vCenter down: 503; the rest: 502).
 *
 * @example
 * const { tag } = await applyTagToVm(ctx.state, 'attach', vm.moref, { signal: ctx.signal, logger: ctx.logger });
 */
export async function applyTagToVm(
  state: Pick<TagFunctionState<never>, 'target'>,
  action: TagAction,
  vm: string,
  options: ApplyToVmOptions,
): Promise<AppliedTag> {
  try {
    return await state.target.apply(action, vm, {
      signal: options.signal,
      logger: options.logger,
      arrival: options.arrival,
    });
  } catch (error) {
    throw vmEventError(error, {
      vm,
      doing: `${action === 'attach' ? 'tagging' : 'untagging'} ${vm}`,
      logger: options.logger,
      ...(options.hint !== undefined ? { hint: options.hint } : {}),
    });
  }
}
