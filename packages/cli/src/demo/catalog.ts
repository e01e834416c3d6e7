import { isRecord } from '@veba-functions/runtime';
import type { OutgoingEvent } from '../events.js';
import { googleChatWebhook, slackWebhook, teamsWebhook } from './chat-receivers.js';
import type { DemoFunction, DemoPeers, SummaryRowSpec } from './demo-function.js';
import { requireRedis, requireVcsim } from './demo-function.js';
import { pagerDutyEvents } from './pagerduty-receiver.js';
import { signedWebhook } from './signed-webhook-receiver.js';
import { smtpRelay } from './smtp-relay.js';
import type { ScenarioStep, TagName } from './vcsim-peer.js';

/** The named user of the scenario (the events' `UserName`): an Active Directory account. */
const ALICE = 'CORP\\alice';
/** A service account (Terraform's), mapped to the team to record by vm-owner-tag's `OWNER_USER_MAP`. */
const TERRAFORM = 'svc-terraform@corp.local';
/** Whom vm-owner-tag records for the service account. */
const TERRAFORM_OWNER = 'platform-team';

/** The tag vm-tag-on-power-on attaches in the demo (its init creates it in vcsim). */
export const DEMO_TAG: TagName = { category: 'veba-demo', name: 'powered-on' };

/**
 * The tag of the vm-tag pair: the attach deployment puts it on at power-on, the detach one
 * takes it off at power-off. The demo creates it beforehand, as kn-go-tagging expects.
 */
export const RUNNING_TAG: TagName = { category: 'veba-demo-state', name: 'running' };

/** vm-owner-tag's category (its default). */
export const OWNER_CATEGORY = 'Owner';

/**
 * The alarm sample the demo sends again turned green (a higher Key) to pagerduty-alert, after
 * everything else: the resolve closes the incident its trigger opened.
 */
export const ALARM_SAMPLE = 'kn-ps-slack-vsphere-alarm__test-payload.json';

const vcenterEnv = (peers: DemoPeers): Record<string, string> => {
  const { server } = requireVcsim(peers);
  return {
    VCENTER_SERVER: server.url,
    VCENTER_USERNAME: server.username,
    VCENTER_PASSWORD: server.password,
    VCENTER_CA_FILE: server.caFile,
  };
};

const type = (eventClass: string): { attributes: Record<string, string> } => ({
  attributes: { type: `com.vmware.vsphere.${eventClass}.v0` },
});

/**
 * `sample` with its alarm back to green and the next Key (a new event of the same alarm, object
 * and vCenter), after the sample itself. Empty when the sample is not in the corpus.
 */
export function alarmBackToGreen(
  corpus: readonly OutgoingEvent[],
  sample: string,
): OutgoingEvent[] {
  const trigger = corpus.find((e) => e.origin === sample);
  if (trigger === undefined || !isRecord(trigger.data) || !Number.isSafeInteger(trigger.data.Key))
    return [];
  const data = trigger.data;
  const key = (data.Key as number) + 1;
  const from = typeof data.To === 'string' ? data.To : 'yellow';
  const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
  const created = Date.parse(String(data.CreatedTime));
  const resolve: OutgoingEvent = {
    attributes: { ...trigger.attributes, id: `${trigger.attributes.id ?? key}-green` },
    data: {
      ...data,
      Key: key,
      ChainId: key,
      From: from,
      To: 'green',
      ...(Number.isNaN(created)
        ? {}
        : { CreatedTime: new Date(created + 5 * 60_000).toISOString() }),
      ...(typeof data.FullFormattedMessage === 'string'
        ? {
            FullFormattedMessage: data.FullFormattedMessage.replace(
              /changed from \w+ to \w+$/,
              `changed from ${capital(from)} to Green`,
            ),
          }
        : {}),
    },
    origin: `${sample}, To green, Key ${key}`,
  };
  return [trigger, resolve];
}

const tagRows = (): SummaryRowSpec[] => {
  const read = async (peers: DemoPeers) => {
    const vcsim = requireVcsim(peers);
    const vms = await vcsim.vmTags([RUNNING_TAG.category]);
    const has = (tags: readonly TagName[]): boolean =>
      tags.some((t) => t.name === RUNNING_TAG.name);
    const last = (state: 'on' | 'off') =>
      vms.filter((vm) => vcsim.lastPower.get(vm.moref) === state);
    return { vms, has, on: last('on'), off: last('off') };
  };
  const names = (vms: readonly { name: string }[]): string =>
    vms.map((vm) => vm.name).join(', ') || 'none';
  return [
    {
      result: 'vm-tag: tag on',
      async read(peers) {
        const { vms, has, on } = await read(peers);
        const tagged = vms.filter((vm) => has(vm.tags));
        return {
          count: tagged.length,
          source: `${RUNNING_TAG.category}/${RUNNING_TAG.name} on ${names(tagged)} (VMs last powered on: ${on.length})`,
        };
      },
    },
    {
      result: 'vm-tag: tag off',
      async read(peers) {
        const { has, off } = await read(peers);
        const untagged = off.filter((vm) => !has(vm.tags));
        return {
          count: untagged.length,
          source: `not on ${names(untagged)} (VMs last powered off: ${off.length})`,
        };
      },
    },
  ];
};

/** A vm-tag deployment: the pair shares the tag, the Redis and the ordering group. */
const vmTag = (action: 'attach' | 'detach', eventClass: string): DemoFunction => ({
  name: 'vm-tag',
  instance: `vm-tag-${action}`,
  vcsim: true,
  redis: true,
  // The corpus's events name VMs of their authors' vCenters: only vcsim's are real here.
  events: { corpus: false, vcsim: true },
  // The Trigger of this deployment: attach on power-on, detach on power-off.
  triggers: [type(eventClass)],
  serialGroup: 'vm-tag',
  // One of the pair creates the tag before both start (neither may race to create it).
  ...(action === 'attach'
    ? { prepare: (peers: DemoPeers) => requireVcsim(peers).ensureTag(RUNNING_TAG) }
    : {}),
  env: (peers) => ({
    ...vcenterEnv(peers),
    VCENTER_TAG_NAME: RUNNING_TAG.name,
    VCENTER_TAG_CATEGORY: RUNNING_TAG.category,
    TAG_ACTION: action,
    REDIS_URL: requireRedis(peers),
  }),
  ...(action === 'attach' ? { rows: tagRows() } : {}),
});

/**
 * The functions the demo runs. Each entry says what the function needs (env, receivers, vcsim,
 * Redis), which events the broker may route to it, and what it adds to the summary.
 */
export const DEMO_FUNCTIONS: readonly DemoFunction[] = [
  {
    name: 'echo',
    events: { corpus: true, vcsim: true },
    env: () => ({}),
  },
  {
    name: 'slack-alert',
    receivers: [slackWebhook],
    events: { corpus: true, vcsim: true },
    env: (peers) => ({ SLACK_WEBHOOK_URL: peers.receiver(slackWebhook).url }),
  },
  {
    name: 'teams-alert',
    receivers: [teamsWebhook],
    events: { corpus: true, vcsim: true },
    env: (peers) => ({ TEAMS_WEBHOOK_URL: peers.receiver(teamsWebhook).url }),
  },
  {
    name: 'google-chat-alert',
    receivers: [googleChatWebhook],
    events: { corpus: true, vcsim: true },
    env: (peers) => ({ GOOGLE_CHAT_WEBHOOK_URL: peers.receiver(googleChatWebhook).url }),
  },
  {
    name: 'email-alert',
    receivers: [smtpRelay],
    events: { corpus: true, vcsim: true },
    env: (peers) => {
      const smtp = peers.receiver(smtpRelay);
      return {
        SMTP_SERVER: smtp.host,
        SMTP_PORT: String(smtp.port),
        SMTP_SECURITY: 'starttls',
        SMTP_CA_FILE: smtp.caFile,
        SMTP_USERNAME: smtp.username,
        SMTP_PASSWORD: smtp.password,
        EMAIL_FROM: 'VEBA demo <veba@demo.example>',
        EMAIL_TO: 'vsphere-ops@demo.example',
      };
    },
  },
  {
    name: 'pagerduty-alert',
    receivers: [pagerDutyEvents],
    events: { corpus: true, vcsim: true },
    followUps: (corpus) => alarmBackToGreen(corpus, ALARM_SAMPLE),
    env: (peers) => {
      const pd = peers.receiver(pagerDutyEvents);
      return { PAGERDUTY_EVENTS_URL: pd.url, PAGERDUTY_ROUTING_KEY: pd.routingKey };
    },
  },
  {
    name: 'webhook-forward',
    receivers: [signedWebhook],
    events: { corpus: true, vcsim: true },
    env: (peers) => {
      const hook = peers.receiver(signedWebhook);
      // Both secrets of a rotation: one signature each, the receiver verifies with either.
      return { WEBHOOK_URL: hook.url, WEBHOOK_SECRET: hook.secrets.join(' ') };
    },
  },
  {
    name: 'vm-tag-on-power-on',
    vcsim: true,
    // The corpus's power-ons name VMs of their authors' vCenters: only vcsim's are real here.
    events: { corpus: false, vcsim: true },
    outOfOrderPair: true,
    env: (peers) => ({
      ...vcenterEnv(peers),
      VCENTER_TAG_NAME: DEMO_TAG.name,
      VCENTER_TAG_CATEGORY: DEMO_TAG.category,
      VCENTER_TAG_CREATE_IF_MISSING: 'true',
    }),
    rows: [
      {
        result: 'tags attached',
        async read(peers) {
          const vcsim = requireVcsim(peers);
          const { tagged, vms } = await vcsim.taggedVms(DEMO_TAG);
          return {
            count: tagged.length,
            source: `vcsim VMs carrying ${DEMO_TAG.category}/${DEMO_TAG.name} (${vcsim.poweredOn.size} powered on, ${vms} in vcsim)`,
          };
        },
      },
    ],
  },
  vmTag('attach', 'VmPoweredOnEvent'),
  vmTag('detach', 'VmPoweredOffEvent'),
  {
    name: 'vm-owner-tag',
    vcsim: true,
    events: { corpus: false, vcsim: true },
    env: (peers) => ({
      ...vcenterEnv(peers),
      OWNER_USER_MAP: JSON.stringify({ 'svc-terraform': TERRAFORM_OWNER }),
    }),
    rows: [
      {
        result: 'owner tags',
        async read(peers) {
          const vcsim = requireVcsim(peers);
          const vms = await vcsim.vmTags([OWNER_CATEGORY]);
          const owned = vms.filter((vm) => vm.tags.length > 0);
          // The clones' sources, from vcsim's own VmBeingClonedEvent (its Vm is the source).
          const sources = new Set(
            vcsim.events.filter((e) => e.eventType === 'VmBeingClonedEvent').map((e) => e.vm),
          );
          const ofSources = vms
            .filter((vm) => sources.has(vm.moref))
            .map((vm) => `${vm.name}: ${vm.tags.map((t) => t.name).join(', ') || 'none'}`);
          return {
            count: owned.length,
            source:
              `${OWNER_CATEGORY} tags in vcsim: ${owned.map((vm) => `${vm.name}=${vm.tags.map((t) => t.name).join('+')}`).join(', ') || 'none'}` +
              (ofSources.length > 0 ? `; clone source ${ofSources.join(', ')}` : ''),
          };
        },
      },
    ],
  },
];

/**
 * The real vSphere operations the demo drives on vcsim, in order; their events reach the broker
 * through the source emulator. `quick` steps make the quick run.
 */
export const DEMO_SCENARIO: readonly ScenarioStep[] = [
  // A clone by a named user, powered on twice: its two power-ons are vm-tag-on-power-on's
  // out-of-order pair (the newer one delivered first). Clones start powered off.
  { action: 'clone', vm: 'DC0_H0_VM0', name: 'demo-web-01', user: ALICE, quick: true },
  { action: 'powerOn', vm: 'demo-web-01', user: ALICE, quick: true },
  { action: 'powerOff', vm: 'demo-web-01', user: ALICE, quick: true },
  { action: 'powerOn', vm: 'demo-web-01', user: ALICE, quick: true },
  // A VM created by a service account (vm-owner-tag records the team OWNER_USER_MAP names),
  // powered on and off: vm-tag's tag goes on, then off again.
  { action: 'create', vm: 'demo-db-01', user: TERRAFORM, quick: true },
  { action: 'powerOn', vm: 'demo-db-01', user: TERRAFORM, quick: true },
  { action: 'powerOff', vm: 'demo-db-01', user: TERRAFORM, quick: true },
  // vcsim starts its own VMs powered on, so a power-on follows a power-off.
  { action: 'powerOff', vm: 'DC0_H0_VM0' },
  { action: 'powerOn', vm: 'DC0_H0_VM0' },
  // In the DRS cluster DC0_C0 vcsim records VmPoweredOnEvent too (never DrsVmPoweredOnEvent).
  { action: 'powerOff', vm: 'DC0_C0_RP0_VM0' },
  { action: 'powerOn', vm: 'DC0_C0_RP0_VM0' },
];
