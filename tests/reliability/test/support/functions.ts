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
import { createEmailAlert } from '@veba-functions/email-alert';
import { createGoogleChatAlert } from '@veba-functions/google-chat-alert';
import type { ReceiverKind, WebhookReceiver } from '@veba-functions/notifier/testing';
import { createPagerDutyAlert } from '@veba-functions/pagerduty-alert';
import type { AnyFunctionDefinition } from '@veba-functions/runtime';
import { createSlackAlert } from '@veba-functions/slack-alert';
import { createTeamsAlert } from '@veba-functions/teams-alert';
import type { CloudEventInput, VcsimServer } from '@veba-functions/test-helpers';
import { createVmOwnerTag } from '@veba-functions/vm-owner-tag';
import { createVmTag } from '@veba-functions/vm-tag';
import { createVmTagOnPowerOn } from '@veba-functions/vm-tag-on-power-on';
import { createWebhookForward } from '@veba-functions/webhook-forward';
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
   * What it makes of a binary-mode event's data, as its README says:
   * - `vsphere` (the default): reads a vSphere event; none, malformed or too deep: 400;
   * - `json`: passes any JSON on as it is, or none (webhook-forward); malformed or too deep: 400;
   * - `opaque`: never parses it (echo): malformed, deeply nested or none is answered 2xx.
   */
  data?: 'vsphere' | 'json' | 'opaque';
  /**
   * Calls its upstream for every event at once (webhook-forward). The notifiers send one message
   * at a time per destination, the events behind it waiting in the function.
   */
  concurrentCalls?: boolean;
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

/** How many of `texts` carry each event's marker (each event its own message when unpaced). */
function carrying(texts: readonly string[], events: readonly CloudEventInput[]): number[] {
  return events.map((event) => {
    const marker = markerOf(event);
    return texts.filter((text) => text.includes(marker)).length;
  });
}

/** How many posts carry each event's marker (each event its own message when unpaced). */
function postsCarrying(receiver: WebhookReceiver, events: readonly CloudEventInput[]): number[] {
  return carrying(
    receiver.posts.map((post) => JSON.stringify(post.body)),
    events,
  );
}

/** Mails accepted (250 after DATA) whose text carries each event's marker. */
function mailsCarrying(peers: Peers, events: readonly CloudEventInput[]): number[] {
  return carrying(
    peers.smtp.server.mails.map(
      (mail) => `${mail.parsed.subject ?? ''}\n${mail.parsed.text ?? ''}`,
    ),
    events,
  );
}

/** PagerDuty events accepted (202), alerts and change events, carrying each event's marker. */
function pagerDutyEventsCarrying(peers: Peers, events: readonly CloudEventInput[]): number[] {
  return carrying(
    [...peers.pagerduty.alerts, ...peers.pagerduty.changes].map((event) => JSON.stringify(event)),
    events,
  );
}

/** Webhooks the receiver verified and accepted, carrying each event (its `source` and `id`). */
function webhooksCarrying(peers: Peers, events: readonly CloudEventInput[]): number[] {
  const forwarded = peers.webhook.accepted.map(
    (request) => request.json as Record<string, unknown>,
  );
  return events.map(
    (event) => forwarded.filter((f) => f.source === event.source && f.id === event.id).length,
  );
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

/** An entry's `event`: an event of `eventClass` about the n-th VM of the run (by `user`, if given). */
function vmEventOf(eventClass: string, user?: string): FunctionEntry['event'] {
  return (run, n) =>
    vmEvent({
      eventClass,
      vm: run.vm(n),
      vmName: run.marker(n),
      key: run.key(n),
      source: run.source,
      user,
    });
}

/** A VM powered off: every notifier's Triggers select it (a PagerDuty change event). */
const poweredOff = vmEventOf('VmPoweredOffEvent');

/** A URL with `user:password@` (a password made from `secret`): the notifiers refuse it at start. */
function credentialedUrl(
  url: string,
  secret: string,
  key: string,
  fixedEnv: Record<string, string>,
): RefusedConfig {
  const password = `pw-${secret}`;
  return {
    env: { ...fixedEnv, [key]: url.replace('http://', `http://admin:${password}@`) },
    message: new RegExp(`${key}: invalid .*user name or password`),
    secret: password,
  };
}

/** A notifier function's options: its dedupe store and notifier keys under `keyPrefix`, pacing lifted when `unpaced`. */
function notifierOptions({ keyPrefix, unpaced }: CreateOptions) {
  return {
    state: { storeOptions: { keyPrefix: `${keyPrefix}state:` } },
    notifier: {
      keyPrefix: `${keyPrefix}notifier:`,
      ...(unpaced ? { rate: { perSecond: 1000, burst: 1000 } } : {}),
    },
  };
}

/** The three chat notifier functions differ in their factory, stand-in and key. */
function notifier(
  name: string,
  kind: ReceiverKind,
  urlKey: string,
  factory: (options: ReturnType<typeof notifierOptions>) => AnyFunctionDefinition,
): FunctionEntry {
  return {
    name,
    upstream: kind,
    dedupe: true,
    create: (options) => factory(notifierOptions(options)),
    env: (peers) => ({ [urlKey]: peers.receivers[kind].url, REDIS_URL: peers.redis.url }),
    event: poweredOff,
    effects: (peers, events) => Promise.resolve(postsCarrying(peers.receivers[kind], events)),
    refused: (peers) => [
      credentialedUrl(peers.receivers[kind].url, peers.receivers[kind].secret, urlKey, {
        REDIS_URL: peers.redis.url,
      }),
    ],
  };
}

/** email-alert against the SMTP stand-in: STARTTLS under its CA, AUTH. */
function smtpEnv(peers: Peers): Record<string, string> {
  const { server, username, password } = peers.smtp;
  return {
    SMTP_SERVER: server.host,
    SMTP_PORT: String(server.port),
    SMTP_SECURITY: 'starttls',
    SMTP_USERNAME: username,
    SMTP_PASSWORD: password,
    SMTP_CA_FILE: server.caFile!,
    EMAIL_FROM: 'VEBA <veba@reliability.example>',
    EMAIL_TO: 'ops@reliability.example,oncall@reliability.example',
    REDIS_URL: peers.redis.url,
  };
}

/** A 32-character key that is not the peer's (a refused configuration's own secret). */
function otherRoutingKey(peers: Peers): string {
  return [...peers.pagerduty.routingKey].reverse().join('');
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
    data: 'opaque',
    create: () => createEcho(),
    env: () => ({ ECHO_LOG_DATA: 'true' }),
    event: vmEventOf('DrsVmPoweredOnEvent'),
  },
  notifier('slack-alert', 'slack', 'SLACK_WEBHOOK_URL', (o) => createSlackAlert(o)),
  notifier('teams-alert', 'teams', 'TEAMS_WEBHOOK_URL', (o) => createTeamsAlert(o)),
  notifier('google-chat-alert', 'google-chat', 'GOOGLE_CHAT_WEBHOOK_URL', (o) =>
    createGoogleChatAlert(o),
  ),
  {
    name: 'email-alert',
    upstream: 'smtp',
    dedupe: true,
    // Not paced: one SMTP session per mail, one at a time.
    create: ({ keyPrefix }) => createEmailAlert(notifierOptions({ keyPrefix, unpaced: false })),
    env: smtpEnv,
    event: poweredOff,
    effects: (peers, events) => Promise.resolve(mailsCarrying(peers, events)),
    refused: (peers) => [
      // Plain text only with the explicit opt-in (README: Configuration).
      {
        env: { ...smtpEnv(peers), SMTP_SECURITY: 'none' },
        message: /SMTP_SECURITY: none sends mail .*SMTP_ALLOW_INSECURE=true/,
        secret: peers.smtp.password,
      },
      // A user name (secret too) without its password.
      {
        env: { ...smtpEnv(peers), SMTP_PASSWORD: '' },
        message: /SMTP_PASSWORD: missing \(SMTP_USERNAME is set\)/,
        secret: peers.smtp.username,
      },
    ],
  },
  {
    name: 'pagerduty-alert',
    upstream: 'pagerduty',
    dedupe: true,
    create: (options) => createPagerDutyAlert(notifierOptions(options)),
    env: (peers) => ({
      PAGERDUTY_ROUTING_KEY: peers.pagerduty.routingKey,
      PAGERDUTY_EVENTS_URL: peers.pagerduty.url,
      REDIS_URL: peers.redis.url,
    }),
    event: poweredOff,
    effects: (peers, events) => Promise.resolve(pagerDutyEventsCarrying(peers, events)),
    refused: (peers) => {
      const env = { PAGERDUTY_EVENTS_URL: peers.pagerduty.url, REDIS_URL: peers.redis.url };
      const key = otherRoutingKey(peers);
      return [
        // "the 32 character Integration Key" (Events API v2): one short is refused.
        {
          env: { ...env, PAGERDUTY_ROUTING_KEY: key.slice(1) },
          message: /PAGERDUTY_ROUTING_KEY: invalid: .*32 characters/,
          secret: key.slice(1),
        },
        {
          env: {
            ...env,
            PAGERDUTY_ROUTING_KEY: key,
            PAGERDUTY_EVENTS_URL: peers.pagerduty.url.replace(/\/enqueue$/, '/events'),
          },
          message: /PAGERDUTY_EVENTS_URL: invalid .*\/v2\/enqueue/,
          secret: key,
        },
        credentialedUrl(peers.pagerduty.url, key, 'PAGERDUTY_EVENTS_URL', {
          ...env,
          PAGERDUTY_ROUTING_KEY: key,
        }),
      ];
    },
  },
  {
    name: 'webhook-forward',
    upstream: 'webhook',
    dedupe: true,
    // README: any event is forwarded as it is, without data too; data that is not JSON is a 400.
    data: 'json',
    concurrentCalls: true,
    create: ({ keyPrefix }) =>
      createWebhookForward({ state: { storeOptions: { keyPrefix: `${keyPrefix}state:` } } }),
    env: (peers) => ({
      WEBHOOK_URL: peers.webhook.url,
      WEBHOOK_SECRET: peers.webhook.secrets.join(' '),
      REDIS_URL: peers.redis.url,
    }),
    event: poweredOff,
    effects: (peers, events) => Promise.resolve(webhooksCarrying(peers, events)),
    refused: (peers) => {
      const env = { WEBHOOK_SECRET: peers.webhook.secrets.join(' '), REDIS_URL: peers.redis.url };
      const unprefixed = peers.webhook.secrets[0]!.slice('whsec_'.length);
      return [
        credentialedUrl(peers.webhook.url, peers.webhook.token, 'WEBHOOK_URL', env),
        // The base64 key without its whsec_ prefix (a copy-paste slip): refused, not printed.
        {
          env: { ...env, WEBHOOK_URL: peers.webhook.url, WEBHOOK_SECRET: unprefixed },
          message: /WEBHOOK_SECRET: invalid: expected the Standard Webhooks form/,
          secret: unprefixed,
        },
      ];
    },
  },
  {
    name: 'vm-tag-on-power-on',
    upstream: 'vcenter',
    dedupe: true,
    create: () => createVmTagOnPowerOn(),
    env: (peers) => tagEnv(peers, 'power-on'),
    event: vmEventOf('DrsVmPoweredOnEvent'),
    effects: (peers, events) => taggedVms(peers, 'power-on', events),
    act: powerCycle,
  },
  {
    name: 'vm-tag',
    upstream: 'vcenter',
    dedupe: true,
    create: () => createVmTag(),
    env: (peers) => ({ ...tagEnv(peers, 'vm-tag'), TAG_ACTION: 'attach' }),
    event: poweredOff,
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
    event: vmEventOf('VmCreatedEvent', OWNER_USER),
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
