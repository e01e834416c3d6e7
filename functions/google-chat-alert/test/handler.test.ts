import { readFileSync } from 'node:fs';
import { CloudEvent } from 'cloudevents';
import { afterEach, describe, expect, it } from 'vitest';
import { DependencyUnavailableError, InvalidEventError, mapError } from '@veba-functions/runtime';
import { createNotifier, createGoogleChatTarget, parseDestination } from '@veba-functions/notifier';
import { startWebhookReceiver, type WebhookReceiver } from '@veba-functions/notifier/testing';
import { handlerContext, loadVebaFixtures } from '@veba-functions/test-helpers';
import { matchesEventClass, parseVSphereEvent } from '@veba-functions/vsphere-events';
import type { GoogleChatAlertConfig } from '../src/config.js';
import { handle, type State } from '../src/handler.js';

let receiver: WebhookReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

/** The event classes values.yaml subscribes to (`type: com.vmware.vsphere.<class>.v0`). */
const TRIGGER_CLASSES = [
  ...readFileSync(new URL('../values.yaml', import.meta.url), 'utf8').matchAll(
    /type: com\.vmware\.vsphere\.(\S+)\.v0/g,
  ),
].map((m) => m[1]!);

/** Corpus samples (CloudEvents 1.0) whose class one of the Triggers selects. */
const selected = loadVebaFixtures().filter(
  (f) =>
    f.valid &&
    f.attributes?.specversion === '1.0' &&
    matchesEventClass(f.event as never, TRIGGER_CLASSES),
);

async function context() {
  receiver = await startWebhookReceiver('google-chat');
  const ctx = handlerContext<State, GoogleChatAlertConfig>({ state: undefined as never });
  ctx.state = {
    notifier: createNotifier({
      target: createGoogleChatTarget(),
      destination: parseDestination(receiver.url, { key: 'GOOGLE_CHAT_WEBHOOK_URL', from: 'test' }),
      logger: ctx.logger,
      rate: { perSecond: 100, burst: 1 },
    }),
  };
  return ctx;
}

const event = (file: string, data?: Record<string, unknown>) => {
  const fixture = loadVebaFixtures().find((f) => f.file === file)!;
  const e = structuredClone(fixture.event) as Record<string, unknown>;
  if (data) e.data = { ...(e.data as object), ...data };
  return parseVSphereEvent(new CloudEvent<unknown>(e, false));
};

describe('google-chat-alert handle(event, ctx)', () => {
  it('the Triggers select corpus samples of every kind they name', () => {
    expect(TRIGGER_CLASSES).toContain('AlarmStatusChangedEvent');
    expect(TRIGGER_CLASSES).toContain('com.vmware.applmgmt.backup.job.failed.event');
    expect(selected.length).toBeGreaterThanOrEqual(17);
  });

  it.each(selected.map((f) => [f.file]))(
    '%s: posted (200) or refused naming the field (400)',
    async (file) => {
      const ctx = await context();
      const parsed = event(file);
      const result = await handle(parsed, ctx).catch((e: unknown) => e);
      if (result instanceof Error) {
        expect(result).toBeInstanceOf(InvalidEventError);
        expect(mapError(result).status).toBe(400);
        expect(receiver!.posts).toHaveLength(0);
      } else {
        expect(result).toMatchObject({
          status: 200,
          body: { posted: true, eventClass: parsed.eventClass },
        });
        expect(receiver!.posts).toHaveLength(1);
      }
    },
  );

  it('threads the status changes of one alarm on one object', async () => {
    const ctx = await context();
    for (const to of ['red', 'yellow', 'green']) {
      await handle(
        event('kn-ps-slack-vsphere-alarm__test-payload.json', { To: to, Key: 7000 + to.length }),
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
    await handle(event('kn-ps-slack__test-payload.json'), ctx);
    expect(JSON.stringify(receiver!.posts[0]!.body)).toContain('VM powered off');
    expect(
      ctx.logs.messages('info').filter((m) => m.startsWith('posted Google Chat message')),
    ).toHaveLength(1);
  });

  it('a VM event without Vm, a host maintenance event without Host: 400 naming the field, nothing posted', async () => {
    const ctx = await context();
    await expect(
      handle(event('kn-ps-slack__test-payload.json', { Vm: null }), ctx),
    ).rejects.toThrow(/data\.Vm is missing/);
    await expect(
      handle(event('kn-pcli-hostmaint-alarms__enter-maint-payload.json', { Host: null }), ctx),
    ).rejects.toThrow(/data\.Host is missing/);
    expect(receiver!.posts).toHaveLength(0);
  });

  it("lets the target's refusal through as the runtime error it maps to", async () => {
    const ctx = await context();
    receiver!.script({ status: 503, body: 'unavailable' });
    const error = await handle(event('kn-ps-slack__test-payload.json'), ctx).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DependencyUnavailableError);
  });
});
