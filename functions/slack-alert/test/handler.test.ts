import { readFileSync } from 'node:fs';
import { CloudEvent } from 'cloudevents';
import { afterEach, describe, expect, it } from 'vitest';
import { DependencyUnavailableError, InvalidEventError, mapError } from '@veba-functions/runtime';
import { createNotifier, createSlackTarget, parseDestination } from '@veba-functions/notifier';
import { startWebhookReceiver, type WebhookReceiver } from '@veba-functions/notifier/testing';
import { handlerContext, loadVebaFixtures } from '@veba-functions/test-helpers';
import { matchesEventClass, parseVSphereEvent } from '@veba-functions/vsphere-events';
import type { SlackAlertConfig } from '../src/config.js';
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

async function context(pretext?: string) {
  receiver = await startWebhookReceiver('slack');
  const ctx = handlerContext<State, SlackAlertConfig>({ state: undefined as never });
  ctx.state = {
    notifier: createNotifier({
      target: createSlackTarget({ pretext }),
      destination: parseDestination(receiver.url, { key: 'SLACK_WEBHOOK_URL', from: 'test' }),
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

describe('slack-alert handle(event, ctx)', () => {
  it('the Triggers select corpus samples of every kind they name', () => {
    expect(TRIGGER_CLASSES).toContain('AlarmStatusChangedEvent');
    expect(selected.length).toBeGreaterThanOrEqual(15);
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

  it('passes the pretext through and logs one line per posted event', async () => {
    const ctx = await context(':rotating_light: prod');
    await handle(event('kn-ps-slack__test-payload.json'), ctx);
    expect((receiver!.posts[0]!.body as { blocks: unknown[] }).blocks[0]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: ':rotating_light: prod' },
    });
    expect(
      ctx.logs.messages('info').filter((m) => m.startsWith('posted Slack message')),
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
    await expect(
      handle(event('kn-ps-slack__test-payload.json', { Key: 'abc' }), ctx),
    ).rejects.toThrow(/data\.Key/);
    expect(receiver!.posts).toHaveLength(0);
  });

  it("lets Slack's refusal through as the runtime error it maps to", async () => {
    const ctx = await context();
    receiver!.script({ status: 503, body: 'service_unavailable' });
    const error = await handle(event('kn-ps-slack__test-payload.json'), ctx).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DependencyUnavailableError);
  });
});
