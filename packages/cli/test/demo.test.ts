import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createVCenterClient } from '@veba-functions/vcenter';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';
import { buildDemo } from '../src/demo/build.js';
import { DEMO_FUNCTIONS, DEMO_TAG } from '../src/demo/catalog.js';
import { DemoError } from '../src/demo/errors.js';
import { slackWebhook } from '../src/demo/receivers.js';
import { runDemo, type DemoResult } from '../src/demo/run.js';
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

describe('veba-fn demo --quick, end to end', () => {
  it('delivers real events and reports only numbers read from real answers', async () => {
    const lines: string[] = [];
    let seen: { tagged: string[]; poweredOn: string[]; slackMessages: number } | undefined;
    const result: DemoResult = await runDemo({
      root: repoRoot,
      quick: true,
      out: (line) => lines.push(line),
      // Asked of vcsim and the Slack stand-in directly, before the demo stops them.
      async inspect(peers) {
        const vcsim = peers.vcsim!;
        const client = createVCenterClient({
          server: vcsim.server.url,
          username: vcsim.server.username,
          password: vcsim.server.password,
          ca: vcsim.server.caFile,
        });
        await client.connect();
        try {
          const tag = await client.tagging.findTag(DEMO_TAG.category, DEMO_TAG.name);
          const tagged: string[] = [];
          for (const vm of Object.values((await vcsim.server.readInventory()).vms)) {
            if ((await client.tagging.listAttachedTags(vm)).includes(tag!.id)) tagged.push(vm);
          }
          const slack = peers.receiver(slackWebhook);
          seen = {
            tagged: tagged.sort(),
            // The VMs the scenario's actions powered on, from vcsim's own action answers.
            poweredOn: vcsim.actions
              .flatMap((a) => a.events)
              .filter((e) => e.eventType === 'VmPoweredOnEvent')
              .map((e) => e.vm!)
              .filter((vm, i, all) => all.indexOf(vm) === i)
              .sort(),
            slackMessages: slack.requests.filter(
              (r) => r.body.startsWith('{') && 'text' in (JSON.parse(r.body) as object),
            ).length,
          };
        } finally {
          await client.close();
        }
      },
    });

    const row = (name: string) => result.summary.find((r) => r.result === name)?.count;
    const fn = (name: string) => result.functions.find((f) => f.name === name)!;
    expect(result.exitCode, lines.join('\n')).toBe(0);
    expect(seen).toBeDefined();

    // Every VM the scenario powered on carries the tag, and nothing else does.
    expect(seen!.poweredOn.length).toBeGreaterThan(0);
    expect(seen!.tagged).toEqual(seen!.poweredOn);
    expect(row('tags attached')).toBe(seen!.tagged.length);

    // Each event slack-alert processed went out in a Slack message, alone or folded into a digest
    // while the webhook was paced (at most one message per second), so messages <= processed.
    expect(seen!.slackMessages).toBeGreaterThan(0);
    expect(row('Slack messages received')).toBe(seen!.slackMessages);
    expect(fn('slack-alert').outcomes.processed).toBeGreaterThanOrEqual(seen!.slackMessages);

    // The out-of-order pair: the newer power-on tagged, the older skipped as stale.
    expect(result.pairs).toHaveLength(1);
    expect(result.pairs[0]!.newer.status).toBe(200);
    expect(result.pairs[0]!.older.body).toMatch(/"skipped":"stale: key \d+ is older than \d+/);
    expect(row('stale skipped')).toBe(1);

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
        lines.some((l) => new RegExp(`^${name} +${count} `).test(l)),
        name,
      ).toBe(true);
    }
    expect(lines.at(-1)).toMatch(/^done in \d+\.\d s; function logs in /);
  }, 90_000);
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
