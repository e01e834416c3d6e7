import { describe, expect, it } from 'vitest';
import { createGoogleChatTarget } from '@veba-functions/notifier';
import { googleError } from '@veba-functions/notifier/testing';
import {
  itMapsUnavailable,
  itRefusesMissingEntities,
  itSendsOrRefusesEverySample,
  triggeredSamples,
  useWebhookAlertHandler,
  vsphereSample,
} from '@veba-functions/notifier/testing/function';
import { handle } from '../src/handler.js';

/** What values.yaml's Triggers select (`type: com.vmware.vsphere.<class>.v0`) from the corpus. */
const { classes, files } = triggeredSamples(new URL('../values.yaml', import.meta.url));

const chat = useWebhookAlertHandler(
  'google-chat',
  () => createGoogleChatTarget(),
  'GOOGLE_CHAT_WEBHOOK_URL',
);

describe('google-chat-alert handle(event, ctx)', () => {
  it('the Triggers select corpus samples of every kind they name', () => {
    expect(classes).toContain('AlarmStatusChangedEvent');
    expect(classes).toContain('com.vmware.applmgmt.backup.job.failed.event');
    expect(files.length).toBeGreaterThanOrEqual(17);
  });

  itSendsOrRefusesEverySample(files, chat, handle);

  it('threads the status changes of one alarm on one object', async () => {
    const ctx = await chat.context();
    for (const to of ['red', 'yellow', 'green']) {
      await handle(
        vsphereSample('kn-ps-slack-vsphere-alarm__test-payload.json', {
          To: to,
          Key: 7000 + to.length,
        }),
        ctx,
      );
    }
    const keys = chat.receiver.posts.map(
      (p) => (p.body as { thread?: { threadKey: string } }).thread?.threadKey,
    );
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toMatch(/^veba-/);
    for (const post of chat.receiver.posts) {
      expect(post.path).toContain('messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD');
    }
  });

  it('logs one line per posted event', async () => {
    const ctx = await chat.context();
    await handle(vsphereSample('kn-ps-slack__test-payload.json'), ctx);
    expect(JSON.stringify(chat.receiver.posts[0]!.body)).toContain('VM powered off');
    expect(
      ctx.logs.messages('info').filter((m) => m.startsWith('posted Google Chat message')),
    ).toHaveLength(1);
  });

  itRefusesMissingEntities(chat, handle);

  // Google's 503 `UNAVAILABLE`, as a Google API error.
  itMapsUnavailable(chat, handle, {
    script: (receiver) => receiver.script(googleError(503, 'UNAVAILABLE', 'try again')),
  });
});
