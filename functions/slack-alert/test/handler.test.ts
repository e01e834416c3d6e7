import { afterEach, describe, expect, it } from 'vitest';
import { DependencyUnavailableError } from '@veba-functions/runtime';
import { createSlackTarget, parseDestination } from '@veba-functions/notifier';
import { startWebhookReceiver, type WebhookReceiver } from '@veba-functions/notifier/testing';
import {
  expectMissingEntitiesRefused,
  expectSentOrInvalid,
  notifierContext,
  triggeredSamples,
  vsphereSample,
} from '@veba-functions/notifier/testing/function';
import type { SlackAlertConfig } from '../src/config.js';
import { handle } from '../src/handler.js';

let receiver: WebhookReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

/** What values.yaml's Triggers select (`type: com.vmware.vsphere.<class>.v0`) from the corpus. */
const { classes, files } = triggeredSamples(new URL('../values.yaml', import.meta.url));

async function context(pretext?: string) {
  receiver = await startWebhookReceiver('slack');
  return notifierContext<SlackAlertConfig>({
    target: createSlackTarget({ pretext }),
    destination: parseDestination(receiver.url, { key: 'SLACK_WEBHOOK_URL', from: 'test' }),
  });
}

describe('slack-alert handle(event, ctx)', () => {
  it('the Triggers select corpus samples of every kind they name', () => {
    expect(classes).toContain('AlarmStatusChangedEvent');
    expect(files.length).toBeGreaterThanOrEqual(15);
  });

  it.each(files)('%s: posted (200) or refused naming the field (400)', async (file) => {
    const ctx = await context();
    const event = vsphereSample(file);
    await expectSentOrInvalid(handle(event, ctx), {
      body: { posted: true, eventClass: event.eventClass },
      sent: () => receiver!.posts.length,
    });
  });

  it('passes the pretext through and logs one line per posted event', async () => {
    const ctx = await context(':rotating_light: prod');
    await handle(vsphereSample('kn-ps-slack__test-payload.json'), ctx);
    expect((receiver!.posts[0]!.body as { blocks: unknown[] }).blocks[0]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: ':rotating_light: prod' },
    });
    expect(
      ctx.logs.messages('info').filter((m) => m.startsWith('posted Slack message')),
    ).toHaveLength(1);
  });

  it('a VM event without Vm, a host maintenance event without Host, a Key that is no number: 400 naming the field, nothing posted', async () => {
    const ctx = await context();
    await expectMissingEntitiesRefused(
      (event) => handle(event, ctx),
      () => receiver!.posts.length,
    );
    await expect(
      handle(vsphereSample('kn-ps-slack__test-payload.json', { Key: 'abc' }), ctx),
    ).rejects.toThrow(/data\.Key/);
    expect(receiver!.posts).toHaveLength(0);
  });

  it("lets Slack's refusal through as the runtime error it maps to", async () => {
    const ctx = await context();
    receiver!.script({ status: 503, body: 'service_unavailable' });
    await expect(
      handle(vsphereSample('kn-ps-slack__test-payload.json'), ctx),
    ).rejects.toBeInstanceOf(DependencyUnavailableError);
  });
});
