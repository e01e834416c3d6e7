import { afterEach, describe, expect, it } from 'vitest';
import { DependencyUnavailableError } from '@veba-functions/runtime';
import { createGoogleChatTarget, parseDestination } from '@veba-functions/notifier';
import { startWebhookReceiver, type WebhookReceiver } from '@veba-functions/notifier/testing';
import {
  expectMissingEntitiesRefused,
  expectSentOrInvalid,
  notifierContext,
  triggeredSamples,
  vsphereSample,
} from '@veba-functions/notifier/testing/function';
import type { GoogleChatAlertConfig } from '../src/config.js';
import { handle } from '../src/handler.js';

let receiver: WebhookReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

/** What values.yaml's Triggers select (`type: com.vmware.vsphere.<class>.v0`) from the corpus. */
const { classes, files } = triggeredSamples(new URL('../values.yaml', import.meta.url));

async function context() {
  receiver = await startWebhookReceiver('google-chat');
  return notifierContext<GoogleChatAlertConfig>({
    target: createGoogleChatTarget(),
    destination: parseDestination(receiver.url, { key: 'GOOGLE_CHAT_WEBHOOK_URL', from: 'test' }),
  });
}

describe('google-chat-alert handle(event, ctx)', () => {
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

  it('threads the status changes of one alarm on one object', async () => {
    const ctx = await context();
    for (const to of ['red', 'yellow', 'green']) {
      await handle(
        vsphereSample('kn-ps-slack-vsphere-alarm__test-payload.json', {
          To: to,
          Key: 7000 + to.length,
        }),
        ctx,
      );
    }
    const keys = receiver!.posts.map(
      (p) => (p.body as { thread?: { threadKey: string } }).thread?.threadKey,
    );
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^veba-/);
    for (const post of receiver!.posts) {
      expect(post.path).toContain('messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD');
    }
  });

  it('logs one line per posted event', async () => {
    const ctx = await context();
    await handle(vsphereSample('kn-ps-slack__test-payload.json'), ctx);
    expect(JSON.stringify(receiver!.posts[0]!.body)).toContain('VM powered off');
    expect(
      ctx.logs.messages('info').filter((m) => m.startsWith('posted Google Chat message')),
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
