import { afterEach, describe, expect, it } from 'vitest';
import { DependencyUnavailableError } from '@veba-functions/runtime';
import { createTeamsTarget, parseDestination } from '@veba-functions/notifier';
import { startWebhookReceiver, type WebhookReceiver } from '@veba-functions/notifier/testing';
import {
  expectMissingEntitiesRefused,
  expectSentOrInvalid,
  notifierContext,
  triggeredSamples,
  vsphereSample,
} from '@veba-functions/notifier/testing/function';
import type { TeamsAlertConfig } from '../src/config.js';
import { handle } from '../src/handler.js';

let receiver: WebhookReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

/** What values.yaml's Triggers select (`type: com.vmware.vsphere.<class>.v0`) from the corpus. */
const { classes, files } = triggeredSamples(new URL('../values.yaml', import.meta.url));

async function context(pretext?: string) {
  receiver = await startWebhookReceiver('teams');
  return notifierContext<TeamsAlertConfig>({
    target: createTeamsTarget({ pretext }),
    destination: parseDestination(receiver.url, { key: 'TEAMS_WEBHOOK_URL', from: 'test' }),
  });
}

describe('teams-alert handle(event, ctx)', () => {
  it('the Triggers select corpus samples of every kind they name', () => {
    expect(classes).toContain('AlarmStatusChangedEvent');
    expect(classes).toContain('com.vmware.applmgmt.backup.job.failed.event');
    expect(files.length).toBeGreaterThanOrEqual(17);
  });

  it.each(files)('%s: posted (200) or refused naming the field (400)', async (file) => {
    const ctx = await context();
    const event = vsphereSample(file);
    await expectSentOrInvalid(handle(event, ctx), {
      body: { posted: true, eventClass: event.eventClass },
      sent: () => receiver!.posts.length,
    });
  });

  it('logs one line per posted event', async () => {
    const ctx = await context('vc-prod');
    await handle(vsphereSample('kn-ps-slack__test-payload.json'), ctx);
    expect(JSON.stringify(receiver!.posts[0]!.body)).toContain('VM powered off');
    expect(
      ctx.logs.messages('info').filter((m) => m.startsWith('posted Microsoft Teams message')),
    ).toHaveLength(1);
  });

  it('a VM event without Vm, a host maintenance event without Host: 400 naming the field, nothing posted', async () => {
    const ctx = await context();
    await expectMissingEntitiesRefused(
      (event) => handle(event, ctx),
      () => receiver!.posts.length,
    );
  });

  it("lets the target's refusal through as the runtime error it maps to", async () => {
    const ctx = await context();
    receiver!.script({ status: 503, body: 'unavailable' });
    await expect(
      handle(vsphereSample('kn-ps-slack__test-payload.json'), ctx),
    ).rejects.toBeInstanceOf(DependencyUnavailableError);
  });
});
