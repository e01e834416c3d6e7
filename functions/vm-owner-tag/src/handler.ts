import { createHash } from 'node:crypto';
import type { HandleResult, HandlerContext } from '@veba-functions/runtime';
import {
  isTagGone,
  vmEventError,
  type Arrival,
  type AttachedTags,
  type Tag,
  type TagAssociations,
  type TagCategory,
  type VCenterClient,
} from '@veba-functions/vcenter';
import type { VSphereEvent } from '@veba-functions/vsphere-events';
import type { VmOwnerTagConfig } from './config.js';

/** What `init` keeps warm. */
export interface State {
  vcenter: VCenterClient;
  /** The owner category (created in init when missing). */
  category: TagCategory;
  associations: Pick<TagAssociations, 'attach' | 'detach' | 'announce' | 'close'>;
  attached: Pick<AttachedTags, 'of' | 'close'>;
  /** The owner tag of this name, created on first use (a replica racing us is fine). */
  ownerTag(name: string): Promise<Tag>;
  /** The announcement the arrival guard made for an event, to pass on to the batched read. */
  arrivalOf(event: VSphereEvent): Arrival | undefined;
}

export type Context = HandlerContext<State, VmOwnerTagConfig>;

/** What happened to the VM's owner tag. */
export type OwnerResult = 'attached' | 'replaced' | 'unchanged' | 'kept';

/** The 200 body of a processed event. */
export interface Outcome {
  vm: string;
  vmName: string | undefined;
  /** The event's `UserName`, as vCenter wrote it. */
  user: string;
  /** The owner tag now on the VM (for `kept`: the one it already had). */
  owner: string;
  tagId: string;
  result: OwnerResult;
}

/** A user name split the two ways vCenter writes it: `DOMAIN\user` or `user@domain`. */
export interface UserParts {
  user: string;
  domain: string;
  fullUser: string;
}

/** Longest owner tag name written (vCenter documents no limit; long names are cut with a hash). */
export const MAX_TAG_NAME = 256;

/**
 * `VSPHERE.LOCAL\Alice` and `alice@corp.local` both give user `alice`. Lower case: vSphere SSO and
 * Active Directory names are case-insensitive, and one person must not get two tags.
 */
export function splitUser(name: string): UserParts {
  const fullUser = name.trim().toLowerCase();
  const backslash = fullUser.indexOf('\\');
  if (backslash >= 0) {
    return { user: fullUser.slice(backslash + 1), domain: fullUser.slice(0, backslash), fullUser };
  }
  const at = fullUser.lastIndexOf('@');
  if (at >= 0) return { user: fullUser.slice(0, at), domain: fullUser.slice(at + 1), fullUser };
  return { user: fullUser, domain: '', fullUser };
}

/**
 * A tag name vCenter accepts: no control or format characters, whitespace collapsed, trimmed, at
 * most {@link MAX_TAG_NAME} characters (a longer name is cut and ends with `~` and 8 hex digits of
 * its hash, so two long names stay two tags).
 */
export function tagNameFrom(text: string): string {
  const clean = text
    .replace(/[\p{Cc}\p{Cf}]/gu, '')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...clean];
  if (chars.length <= MAX_TAG_NAME) return clean;
  const hash = createHash('sha256').update(clean).digest('hex').slice(0, 8);
  return `${chars
    .slice(0, MAX_TAG_NAME - 9)
    .join('')
    .trimEnd()}~${hash}`;
}

/**
 * Whose the new VM is: the event's `UserName`, through `OWNER_USER_MAP` (a key matches the full
 * user name or the user without its domain; `""` records no owner) and `OWNER_TAG_TEMPLATE`.
 */
export function ownerOf(
  userName: string | undefined,
  c: Pick<VmOwnerTagConfig, 'OWNER_TAG_TEMPLATE' | 'OWNER_USER_MAP'>,
): { tagName: string } | { skipped: string } {
  if (userName === undefined) return { skipped: 'the event has no UserName: no owner to record' };
  let parts = splitUser(userName);
  const mapped = c.OWNER_USER_MAP.get(parts.fullUser) ?? c.OWNER_USER_MAP.get(parts.user);
  if (mapped === '') return { skipped: `${userName} records no owner (OWNER_USER_MAP)` };
  if (mapped !== undefined) parts = splitUser(mapped);
  const tagName = tagNameFrom(
    c.OWNER_TAG_TEMPLATE.replace(
      /\{(user|domain|fullUser)\}/g,
      (_, key: keyof UserParts) => parts[key],
    ),
  );
  if (tagName === '') return { skipped: `${userName} gives an empty owner tag name` };
  return { tagName };
}

/**
 * Records the owner of a new VM (VmCreatedEvent, VmClonedEvent, VmDeployedEvent: the parser
 * skipped every other class) as a tag in the owner category.
 *
 * - no usable `data.Vm` -> 400; no `UserName`, or a user mapped to `""` -> `{ skipped }` (200)
 * - the VM already has this owner -> 200 `unchanged`; another owner -> 200 `kept` (logged), or
 *   with `OWNER_TAG_REPLACE=true` that tag is detached and this one attached (`replaced`)
 * - the VM no longer exists -> 400; vCenter down -> 503; privileges -> 502
 */
export async function handle(event: VSphereEvent, ctx: Context): Promise<HandleResult> {
  const vm = event.requireVm();
  const who = ownerOf(event.userName, ctx.config);
  if ('skipped' in who) return who;
  const { state, signal } = ctx;
  const user = event.userName ?? '';
  // Both at once; the owner tag is cached after its first use, so it is known before the read
  // of the VM's tags returns, and the attach can be announced: a burst's attaches then share calls.
  const reading = state.attached.of(vm.moref, { signal, arrival: state.arrivalOf(event) });
  void reading.catch(() => undefined); // awaited below; an owner tag failure must not leave it unhandled
  let announced: Arrival | undefined;
  try {
    let tag = await state.ownerTag(who.tagName);
    announced = state.associations.announce('attach', tag.id);
    const onVm = await reading;
    const owners = onVm.filter((t) => t.categoryId === state.category.id);
    const outcome = (result: OwnerResult, owner: Tag): HandleResult => {
      const body: Outcome = {
        vm: vm.moref,
        vmName: vm.name,
        user,
        owner: owner.name,
        tagId: owner.id,
        result,
      };
      return { status: 200, body };
    };
    if (owners.some((t) => t.id === tag.id)) {
      ctx.logger.info(
        { vm: vm.moref, owner: tag.name },
        `${vm.moref} is owned by ${tag.name} already`,
      );
      return outcome('unchanged', tag);
    }
    const current = owners[0];
    if (current !== undefined && !ctx.config.OWNER_TAG_REPLACE) {
      ctx.logger.info(
        { vm: vm.moref, owner: current.name, wanted: tag.name },
        `${vm.moref} keeps its owner tag ${current.name} (not ${tag.name}: OWNER_TAG_REPLACE is off)`,
      );
      return outcome('kept', current);
    }
    for (const old of owners) await state.associations.detach(old.id, vm.moref, { signal });
    try {
      await state.associations.attach(tag.id, vm.moref, { signal, arrival: announced });
    } catch (error) {
      // The owner tag was deleted since we cached it: the client forgot it, so this finds or
      // creates it again.
      if (!isTagGone(error)) throw error;
      tag = await state.ownerTag(who.tagName);
      await state.associations.attach(tag.id, vm.moref, { signal });
    }
    ctx.logger.info(
      { vm: vm.moref, vmName: vm.name, owner: tag.name, user, event: event.eventClass },
      `${vm.moref} (${vm.name ?? 'unnamed'}) is owned by ${tag.name}`,
    );
    return outcome(current === undefined ? 'attached' : 'replaced', tag);
  } catch (error) {
    throw vmEventError(error, {
      vm: vm.moref,
      doing: `recording the owner of ${vm.moref}`,
      logger: ctx.logger,
    });
  } finally {
    // No attach after all (unchanged, kept, failed): the batch must not wait for this event.
    announced?.cancel();
  }
}
