/**
 * The per-function table: one entry per folder under functions/ (coverage.test.ts fails for a
 * folder without one). An entry says how to start the function against the suite's peers, which
 * events it acts on, and how to count what it did upstream; the suite's files pick the entries a
 * fault applies to (an upstream to stall, a Redis to crash, a vCenter to freeze).
 *
 * Adding a function is one entry: its factory from the built package, its upstream (or a new
 * `UpstreamKind` with a stand-in in peers.ts), its env, one handled event, and its effects.
 * The table's field meanings are listed in the README.
 */
import { createEcho } from '@veba-functions/echo';
import { createGoogleChatAlert } from '@veba-functions/google-chat-alert';
import type { ReceiverKind, WebhookReceiver } from '@veba-functions/notifier/testing';
import type { AnyFunctionDefinition } from '@veba-functions/runtime';
import { createSlackAlert } from '@veba-functions/slack-alert';
import { createTeamsAlert } from '@veba-functions/teams-alert';
import type { CloudEventInput, VcsimServer } from '@veba-functions/test-helpers';
import { createVmOwnerTag } from '@veba-functions/vm-owner-tag';
import { createVmTag } from '@veba-functions/vm-tag';
import { createVmTagOnPowerOn } from '@veba-functions/vm-tag-on-power-on';
import { markerOf, vmEvent, vmOf, type Run } from './events.js';
import type { Peers, TagPurpose, UpstreamKind } from './peers.js';

/** How a test wants the function built. */
export interface CreateOptions {
  /** Puts the function's Redis keys (dedupe, pacing) under this prefix, where it can. */
  keyPrefix: string;
  /**
   * Lifts pacing (notifiers): every event is its own message, so side effects can be counted per
   * event at the stand-in. Statuses and dedupe are the same code either way.
   */
  unpaced: boolean;
}

/** A configuration the function must refuse at start, naming the key and never the secret. */
export interface RefusedConfig {
  env: Record<string, string>;
  /** What the start-up error says. */
  message: RegExp;
  /** What it must not print. */
  secret: string;
}

/** One function of the collection, as the fault suite drives it. */
export interface FunctionEntry {
  /** Its folder under functions/. */
  name: string;
  /** A fresh definition from the built package (its dist). */
  create(options: CreateOptions): AnyFunctionDefinition;
  upstream: UpstreamKind;
  /** Deduplicates by event identity in Redis: a redelivery must not repeat its side effect. */
  dedupe: boolean;
  /**
   * Never parses a binary-mode event's data (echo): malformed or deeply nested JSON data, or
   * none at all, is not its concern and is answered 2xx. Every other function answers 400.
   */
  opaqueData?: boolean;
  /** Its environment against `peers` (the upstream's URL and credentials, Redis). */
  env(peers: Peers): Record<string, string>;
  /** An event it acts on, about the n-th object of `run` (marker in the VM name). */
  event(run: Run, n: number): CloudEventInput;
  /** Side effects of each event at the upstream (absent: the function has none to count). */
  effects?(peers: Peers, events: readonly CloudEventInput[]): Promise<number[]>;
  /**
   * The real vSphere action (vcsim's driver) whose events this function acts on, for the VM named
   * `vmName`; resolves once every sink has answered, with the moref of the VM it acts on (a
   * clone's is new). vCenter functions only.
   */
  act?(vcsim: VcsimServer, vmName: string): Promise<string>;
  /** Configurations it must refuse at start (e.g. a webhook URL with user:password). */
  refused?(peers: Peers): RefusedConfig[];
}

/** How many posts carry each event's marker (each event its own message when unpaced). */
function postsCarrying(receiver: WebhookReceiver, events: readonly CloudEventInput[]): number[] {
  const bodies = receiver.posts.map((post) => JSON.stringify(post.body));
  return events.map((event) => {
    const marker = markerOf(event);
    return bodies.filter((body) => body.includes(marker)).length;
  });
}

/** 1 for each event whose VM carries the function's tag. */
async function taggedVms(
  peers: Peers,
  purpose: TagPurpose,
  events: readonly CloudEventInput[],
): Promise<number[]> {
  const vms = events.map(vmOf);
  const tagged = await peers.vcenter.tagged(peers.vcenter.tag(purpose), vms);
  return vms.map((vm) => (tagged.has(vm) ? 1 : 0));
}

/** A webhook URL with `user:password@`, which the notifiers refuse at start. */
function credentialedUrl(
  receiver: WebhookReceiver,
  key: string,
  fixedEnv: Record<string, string>,
): RefusedConfig {
  const password = `pw-${receiver.secret}`;
  return {
    env: { ...fixedEnv, [key]: receiver.url.replace('http://', `http://admin:${password}@`) },
    message: new RegExp(`${key}: invalid .*user name or password`),
    secret: password,
  };
}

/** The three notifier functions differ in their factory, stand-in and key. */
function notifier(
  name: string,
  kind: ReceiverKind,
  urlKey: string,
  factory: (options: {
    state: { storeOptions: { keyPrefix: string } };
    notifier: { keyPrefix: string; rate?: { perSecond: number; burst: number } };
  }) => AnyFunctionDefinition,
): FunctionEntry {
  return {
    name,
    upstream: kind,
    dedupe: true,
    create: ({ keyPrefix, unpaced }) =>
      factory({
        state: { storeOptions: { keyPrefix: `${keyPrefix}state:` } },
        notifier: {
          keyPrefix: `${keyPrefix}notifier:`,
          ...(unpaced ? { rate: { perSecond: 1000, burst: 1000 } } : {}),
        },
      }),
    env: (peers) => ({ [urlKey]: peers.receivers[kind].url, REDIS_URL: peers.redis.url }),
    event: (run, n) =>
      vmEvent({
        eventClass: 'VmPoweredOffEvent',
        vm: run.vm(n),
        vmName: run.marker(n),
        key: run.key(n),
        source: run.source,
      }),
    effects: (peers, events) => Promise.resolve(postsCarrying(peers.receivers[kind], events)),
    refused: (peers) => [
      credentialedUrl(peers.receivers[kind], urlKey, { REDIS_URL: peers.redis.url }),
    ],
  };
}

/** The tag keys of vm-tag-on-power-on and vm-tag (VEBA's kn-pcli-tag names). */
function tagEnv(peers: Peers, purpose: TagPurpose): Record<string, string> {
  const tag = peers.vcenter.tag(purpose);
  return {
    ...peers.vcenter.env,
    VCENTER_TAG_CATEGORY: tag.category,
    VCENTER_TAG_NAME: tag.name,
    VCENTER_TAG_CREATE_IF_MISSING: 'true',
    REDIS_URL: peers.redis.url,
  };
}

/** A power cycle in vcsim (off first when it is on), so the power-on events are vcsim's own. */
async function powerCycle(vcsim: VcsimServer, vmName: string): Promise<string> {
  // InvalidPowerState when it is off already: fine, it is off.
  await vcsim.actions.powerOff(vmName).catch(() => undefined);
  const result = await vcsim.actions.powerOn(vmName);
  if (!result.delivered) throw new Error(`vcsim: the power-on of ${vmName} was not delivered`);
  return result.vm?.moref ?? vcsim.inventory.vms[vmName]!;
}

/** The owner vm-owner-tag records for the suite's user. */
const OWNER_USER = 'CORP\\reliability';

/** Every function of the collection. */
export const FUNCTIONS: readonly FunctionEntry[] = [
  {
    name: 'echo',
    upstream: 'none',
    dedupe: false,
    opaqueData: true,
    create: () => createEcho(),
    env: () => ({ ECHO_LOG_DATA: 'true' }),
    event: (run, n) =>
      vmEvent({
        eventClass: 'DrsVmPoweredOnEvent',
        vm: run.vm(n),
        vmName: run.marker(n),
        key: run.key(n),
        source: run.source,
      }),
  },
  notifier('slack-alert', 'slack', 'SLACK_WEBHOOK_URL', (o) => createSlackAlert(o)),
  notifier('teams-alert', 'teams', 'TEAMS_WEBHOOK_URL', (o) => createTeamsAlert(o)),
  notifier('google-chat-alert', 'google-chat', 'GOOGLE_CHAT_WEBHOOK_URL', (o) =>
    createGoogleChatAlert(o),
  ),
  {
    name: 'vm-tag-on-power-on',
    upstream: 'vcenter',
    dedupe: true,
    create: () => createVmTagOnPowerOn(),
    env: (peers) => tagEnv(peers, 'power-on'),
    event: (run, n) =>
      vmEvent({
        eventClass: 'DrsVmPoweredOnEvent',
        vm: run.vm(n),
        vmName: run.marker(n),
        key: run.key(n),
        source: run.source,
      }),
    effects: (peers, events) => taggedVms(peers, 'power-on', events),
    act: powerCycle,
  },
  {
    name: 'vm-tag',
    upstream: 'vcenter',
    dedupe: true,
    create: () => createVmTag(),
    env: (peers) => ({ ...tagEnv(peers, 'vm-tag'), TAG_ACTION: 'attach' }),
    event: (run, n) =>
      vmEvent({
        eventClass: 'VmPoweredOffEvent',
        vm: run.vm(n),
        vmName: run.marker(n),
        key: run.key(n),
        source: run.source,
      }),
    effects: (peers, events) => taggedVms(peers, 'vm-tag', events),
    act: powerCycle,
  },
  {
    name: 'vm-owner-tag',
    upstream: 'vcenter',
    dedupe: true,
    create: () => createVmOwnerTag(),
    env: (peers) => {
      // The peer fixes the tag's name (the /api stand-in has only its two tags, and names come
      // out lower-cased): the suite's user maps to an owner without a domain, and the template's
      // one placeholder, {domain}, is then empty.
      const tag = peers.vcenter.tag('owner');
      return {
        ...peers.vcenter.env,
        OWNER_TAG_CATEGORY: tag.category,
        OWNER_USER_MAP: JSON.stringify({ [OWNER_USER]: 'owner' }),
        OWNER_TAG_TEMPLATE: `${tag.name}{domain}`,
        REDIS_URL: peers.redis.url,
      };
    },
    event: (run, n) =>
      vmEvent({
        eventClass: 'VmCreatedEvent',
        vm: run.vm(n),
        vmName: run.marker(n),
        key: run.key(n),
        source: run.source,
        user: OWNER_USER,
      }),
    effects: (peers, events) => taggedVms(peers, 'owner', events),
    act: async (vcsim, vmName) => {
      const result = await vcsim.actions.clone(vmName, `${vmName}-clone-${Date.now()}`, {
        user: OWNER_USER,
      });
      if (!result.delivered || result.vm === undefined)
        throw new Error(`vcsim: the clone of ${vmName} was not delivered`);
      return result.vm.moref;
    },
  },
];

/** The entry of `name`. */
export function entry(name: string): FunctionEntry {
  const found = FUNCTIONS.find((e) => e.name === name);
  if (found === undefined) throw new Error(`no entry for ${name} in the reliability table`);
  return found;
}
