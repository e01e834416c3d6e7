import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createVCenterClient } from '@veba-functions/vcenter';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';
import { buildDemo } from '../src/demo/build.js';
import { DEMO_FUNCTIONS, DEMO_TAG, OWNER_CATEGORY, RUNNING_TAG } from '../src/demo/catalog.js';
import { googleChatWebhook, slackWebhook, teamsWebhook } from '../src/demo/chat-receivers.js';
import { instanceName, type DemoPeers } from '../src/demo/demo-function.js';
import { DemoError } from '../src/demo/errors.js';
import { eventsInMessage } from '../src/demo/events-carried.js';
import { pagerDutyEvents } from '../src/demo/pagerduty-receiver.js';
import { runDemo, type DemoResult } from '../src/demo/run.js';
import { signedWebhook } from '../src/demo/signed-webhook-receiver.js';
import { smtpRelay } from '../src/demo/smtp-relay.js';
import type { TagName } from '../src/demo/vcsim-peer.js';
import { captureContext } from './helpers.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

// The demo runs the functions' dist, and packages never depend on functions, so nothing else
// builds them before this file: build what the demo runs as `veba-fn demo --build` does (turbo
// cache hits when built; vcsim's build.sh is a no-op when its binary is current).
beforeAll(async () => {
  const logDir = mkdtempSync(join(tmpdir(), 'veba-demo-build-'));
  const { vcsimError } = await buildDemo({
    root: repoRoot,
    functions: DEMO_FUNCTIONS,
    vcsim: true,
    logDir,
  });
  if (vcsimError) throw vcsimError;
}, 600_000);

/** What the test asks vcsim and the stand-ins itself, before the demo stops them. */
interface Seen {
  /** VM morefs carrying each tag, asked of vcsim with the project's vCenter client. */
  poweredOnTag: string[];
  runningTag: string[];
  owners: Map<string, string[]>;
  /** From vcsim's own action answers. */
  poweredOn: string[];
  lastPower: Map<string, string>;
  cloneSource: string;
  clone: string;
  created: string;
  chat: Map<string, { messages: number; events: number }>;
  mails: { count: number; secured: number };
  pagerDuty: { accepted: number; opened: number; resolved: number };
  webhooks: { accepted: number; distinct: number; most: number };
}

async function look(peers: DemoPeers): Promise<Seen> {
  const vcsim = peers.vcsim!;
  const client = createVCenterClient({
    server: vcsim.server.url,
    username: vcsim.server.username,
    password: vcsim.server.password,
    ca: vcsim.server.caFile,
    keepAliveIntervalMs: 0,
  });
  await client.connect();
  try {
    const vms = Object.values((await vcsim.server.readInventory()).vms);
    const owner = await client.tagging.findCategory(OWNER_CATEGORY);
    const tagged = async (tag: TagName): Promise<string[]> => {
      const found = await client.tagging.findTag(tag.category, tag.name);
      const out: string[] = [];
      for (const vm of vms)
        if ((await client.tagging.listAttachedTags(vm)).includes(found!.id)) out.push(vm);
      return out.sort();
    };
    const owners = new Map<string, string[]>();
    for (const vm of vms) {
      const names: string[] = [];
      for (const id of await client.tagging.listAttachedTags(vm)) {
        const tag = await client.tagging.getTag(id);
        if (tag?.categoryId === owner?.id) names.push(tag!.name);
      }
      owners.set(vm, names);
    }
    const events = vcsim.actions.flatMap((a) => a.events).sort((a, b) => a.key - b.key);
    const lastPower = new Map<string, string>();
    for (const e of events) {
      if (e.eventType === 'VmPoweredOnEvent' || e.eventType === 'VmPoweredOffEvent')
        lastPower.set(e.vm!, e.eventType);
    }
    const chat = new Map(
      [slackWebhook, teamsWebhook, googleChatWebhook].map((spec) => {
        const { receiver } = peers.receiver(spec);
        const events = receiver.posts.reduce(
          (n, post) => n + eventsInMessage(receiver.kind, post.body),
          0,
        );
        return [spec.id, { messages: receiver.posts.length, events }] as const;
      }),
    );
    const smtp = peers.receiver(smtpRelay);
    const pd = peers.receiver(pagerDutyEvents).receiver;
    const hook = peers.receiver(signedWebhook).receiver;
    const incidents = [...pd.incidents.values()];
    return {
      poweredOnTag: await tagged(DEMO_TAG),
      runningTag: await tagged(RUNNING_TAG),
      owners,
      poweredOn: [
        ...new Set(events.filter((e) => e.eventType === 'VmPoweredOnEvent').map((e) => e.vm!)),
      ].sort(),
      lastPower,
      cloneSource: events.find((e) => e.eventType === 'VmBeingClonedEvent')!.vm!,
      clone: vcsim.actions.find((a) => a.action === 'clone')!.vm!.moref,
      created: vcsim.actions.find((a) => a.action === 'create')!.vm!.moref,
      chat,
      mails: {
        count: smtp.receiver.mails.length,
        secured: smtp.receiver.mails.filter((m) => m.secure && m.user === smtp.username).length,
      },
      pagerDuty: {
        accepted: pd.alerts.length + pd.changes.length,
        opened: incidents.length,
        resolved: incidents.filter((s) => s === 'resolved').length,
      },
      webhooks: {
        accepted: hook.accepted.length,
        distinct: hook.deliveries.size,
        most: Math.max(...hook.deliveries.values()),
      },
    };
  } finally {
    await client.close();
  }
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('veba-fn demo --quick, end to end', () => {
  it('delivers real events to every function and reports only numbers read from real answers', async () => {
    const lines: string[] = [];
    let seen: Seen | undefined;
    const result: DemoResult = await runDemo({
      root: repoRoot,
      quick: true,
      out: (line) => lines.push(line),
      async inspect(peers) {
        seen = await look(peers);
      },
    });

    const row = (name: string) => result.summary.find((r) => r.result === name)?.count;
    const fn = (name: string) => result.functions.find((f) => f.name === name)!;
    expect(result.exitCode, lines.join('\n')).toBe(0);
    expect(seen).toBeDefined();
    const s = seen!;
    expect(result.functions.map((f) => f.name)).toEqual(DEMO_FUNCTIONS.map(instanceName));

    // vm-tag-on-power-on: every VM the scenario powered on carries its tag, nothing else does.
    expect(s.poweredOn.length).toBeGreaterThan(0);
    expect(s.poweredOnTag).toEqual(s.poweredOn);
    expect(row('tags attached')).toBe(s.poweredOnTag.length);

    // The vm-tag pair: the tag on every VM whose newest power event is a power-on, on no VM
    // whose newest is a power-off (the quick scenario has one of each).
    const last = (type: string) => [...s.lastPower].filter(([, t]) => t === type).map(([vm]) => vm);
    expect(last('VmPoweredOnEvent').length).toBeGreaterThan(0);
    expect(last('VmPoweredOffEvent').length).toBeGreaterThan(0);
    expect(s.runningTag).toEqual(last('VmPoweredOnEvent').sort());
    expect(row('vm-tag: tag on')).toBe(last('VmPoweredOnEvent').length);
    expect(row('vm-tag: tag off')).toBe(last('VmPoweredOffEvent').length);

    // vm-owner-tag: the clone is CORP\alice's, the service account's VM the mapped team's, the
    // clone's source nobody's.
    expect(s.owners.get(s.clone)).toEqual(['alice']);
    expect(s.owners.get(s.created)).toEqual(['platform-team']);
    expect(s.owners.get(s.cloneSource)).toEqual([]);
    expect(row('owner tags')).toBe([...s.owners.values()].filter((o) => o.length > 0).length);

    // Storm digests: messages fold events, and the events the messages carry are exactly the
    // events the function processed (each posted once, alone or in one digest).
    for (const [id, functionName, vendor] of [
      ['slack', 'slack-alert', 'Slack'],
      ['teams', 'teams-alert', 'Teams'],
      ['google-chat', 'google-chat-alert', 'Google Chat'],
    ] as const) {
      const chat = s.chat.get(id)!;
      expect(chat.messages, id).toBeGreaterThan(0);
      expect(chat.events, id).toBe(fn(functionName).outcomes.processed);
      expect(chat.messages, id).toBeLessThanOrEqual(chat.events);
      expect([row(`${vendor} messages received`), row(`${vendor} events carried`)]).toEqual([
        chat.messages,
        chat.events,
      ]);
    }
    // One mail per event, each over STARTTLS with AUTH.
    expect(s.mails.count).toBeGreaterThan(0);
    expect(s.mails).toEqual({
      count: fn('email-alert').outcomes.processed,
      secured: s.mails.count,
    });
    expect(row('mails received')).toBe(s.mails.count);
    // One PagerDuty event per event; the alarm's trigger opened an incident its resolve closed.
    expect(s.pagerDuty.accepted).toBe(fn('pagerduty-alert').outcomes.processed);
    expect(s.pagerDuty.resolved).toBe(1);
    expect(row('PagerDuty incidents opened')).toBe(s.pagerDuty.opened);
    expect(row('PagerDuty incidents resolved')).toBe(1);
    // One signed webhook per event, none twice: duplicates stayed at the broker's side.
    expect(s.webhooks).toEqual({
      accepted: fn('webhook-forward').outcomes.processed,
      distinct: fn('webhook-forward').outcomes.processed,
      most: 1,
    });
    expect([row('signed webhooks accepted'), row('distinct webhook-ids')]).toEqual([
      s.webhooks.accepted,
      s.webhooks.distinct,
    ]);

    // The deterministic stale case: vm-tag-on-power-on's out-of-order pair, the newer power-on
    // tagged, the older skipped as stale.
    expect(result.pairs).toHaveLength(1);
    expect(result.pairs[0]!.functionName).toBe('vm-tag-on-power-on');
    expect(result.pairs[0]!.newer.status).toBe(200);
    expect(result.pairs[0]!.older.body).toMatch(/"skipped":"stale: key \d+ is older than \d+/);
    expect(fn('vm-tag-on-power-on').outcomes.stale).toBe(1);
    const stale = result.functions.reduce((n, f) => n + f.outcomes.stale, 0);
    expect(row('stale skipped')).toBe(stale);

    // Duplicates, racing redeliveries (409, retried) and 400s all happened for real.
    const all = result.functions.flatMap((f) => f.results);
    expect(row('delivered')).toBe(all.length);
    expect(all.filter((r) => r.attempts.some((a) => a.status === 409)).length).toBeGreaterThan(0);
    expect(row('duplicates suppressed')).toBeGreaterThan(0);
    expect(row('invalid rejected')).toBe(all.filter((r) => r.status === 400).length);
    expect(row('invalid rejected')).toBeGreaterThan(0);
    expect(result.vcsimEvents).toBeGreaterThan(0);

    // The printed summary is the same numbers.
    for (const { result: name, count } of result.summary) {
      expect(
        lines.some((l) => new RegExp(`^${escape(name)} +${count} `).test(l)),
        name,
      ).toBe(true);
    }
    expect(lines.at(-1)).toMatch(/^done in \d+\.\d s; function logs in /);
  }, 120_000);
});

describe('veba-fn demo: failures', () => {
  it('names each function that does not start: its exit, last log line and log file', async () => {
    const error = await runDemo({
      root: repoRoot,
      vcsim: false,
      out: () => undefined,
      functions: [
        {
          name: 'slack-alert',
          events: { corpus: true, vcsim: false },
          env: () => ({ SLACK_WEBHOOK_URL: 'not-a-url' }),
        },
        { name: 'no-such-function', events: { corpus: true, vcsim: false }, env: () => ({}) },
      ],
    }).catch((e: unknown) => e);

    // The init error as slack-alert logs it (e.g. "init failed (invalid configuration:
    // SLACK_WEBHOOK_URL: invalid ...)"), whether its config check runs before listening or in init.
    expect(error).toBeInstanceOf(DemoError);
    const { failures, exitCode, message } = error as DemoError;
    expect([exitCode, message]).toEqual([1, '2 function(s) failed to start']);
    expect(failures[0]!.message).toMatch(
      /^slack-alert exited with code 1 (before listening|during init): .*SLACK_WEBHOOK_URL.* \(log: \/.*\/slack-alert\.log\)$/,
    );
    expect(readFileSync(failures[0]!.logFile, 'utf8')).toContain('SLACK_WEBHOOK_URL');
    expect(failures[1]!.message).toMatch(
      /^no-such-function: .*functions\/no-such-function\/dist\/main\.js does not exist \(not built/,
    );
  }, 60_000);

  it('refuses bad options with a usage error', async () => {
    const ctx = captureContext(repoRoot);
    expect(await runCli(['demo', '--seed', 'x'], ctx)).toBe(2);
    expect(await runCli(['demo', 'extra'], ctx)).toBe(2);
    expect(ctx.stderr).toEqual([
      'veba-fn: --seed must be a whole number >= 0, not "x"',
      'veba-fn: usage: veba-fn demo [--build] [--quick] [--seed N] [--no-vcsim]',
    ]);
    expect(await runCli(['help', 'demo'], ctx)).toBe(0);
    expect(ctx.stdout[0]).toMatch(
      /^veba-fn demo \[--build\] \[--quick\] \[--seed N\] \[--no-vcsim\]\n/,
    );
  });
});
