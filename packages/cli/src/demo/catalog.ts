import type { DemoFunction } from './demo-function.js';
import { requireVcsim } from './demo-function.js';
import { slackWebhook } from './receivers.js';
import type { ScenarioStep, TagName } from './vcsim-peer.js';

/** The named user of the scenario (the events' `UserName`). */
const ALICE = 'alice@vsphere.local';

/** The tag vm-tag-on-power-on attaches in the demo (its init creates it in vcsim). */
export const DEMO_TAG: TagName = { category: 'veba-demo', name: 'powered-on' };

/**
 * The functions the demo runs. Each entry says what the function needs (env, receivers, vcsim),
 * which events the broker may route to it, and what it adds to the summary.
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
    env: (peers) => ({
      SLACK_WEBHOOK_URL: `${peers.receiver(slackWebhook).url}/services/T000/B000/demo`,
    }),
  },
  {
    name: 'vm-tag-on-power-on',
    vcsim: true,
    // The corpus's power-ons name VMs of their authors' vCenters: only vcsim's are real here.
    events: { corpus: false, vcsim: true },
    outOfOrderPair: true,
    env: (peers) => {
      const { server } = requireVcsim(peers);
      return {
        VCENTER_SERVER: server.url,
        VCENTER_USERNAME: server.username,
        VCENTER_PASSWORD: server.password,
        VCENTER_CA_FILE: server.caFile,
        VCENTER_TAG_NAME: DEMO_TAG.name,
        VCENTER_TAG_CATEGORY: DEMO_TAG.category,
        VCENTER_TAG_CREATE_IF_MISSING: 'true',
      };
    },
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
];

/**
 * The real vSphere operations the demo drives on vcsim, in order; their events reach the broker
 * through the source emulator. `quick` steps make the quick run.
 */
export const DEMO_SCENARIO: readonly ScenarioStep[] = [
  // A new VM by a named user, powered on twice: its two power-ons are the out-of-order pair (the
  // tag function gets the newer one first). Clones start powered off.
  { action: 'clone', vm: 'DC0_H0_VM0', name: 'demo-web-01', user: ALICE, quick: true },
  { action: 'powerOn', vm: 'demo-web-01', user: ALICE, quick: true },
  { action: 'powerOff', vm: 'demo-web-01', user: ALICE, quick: true },
  { action: 'powerOn', vm: 'demo-web-01', user: ALICE, quick: true },
  // vcsim starts its own VMs powered on, so a power-on follows a power-off.
  { action: 'powerOff', vm: 'DC0_H0_VM0' },
  { action: 'powerOn', vm: 'DC0_H0_VM0' },
  // In the DRS cluster DC0_C0 vcsim records VmPoweredOnEvent too (never DrsVmPoweredOnEvent).
  { action: 'powerOff', vm: 'DC0_C0_RP0_VM0' },
  { action: 'powerOn', vm: 'DC0_C0_RP0_VM0' },
];
