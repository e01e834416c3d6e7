import { describe, expect, it } from 'vitest';
import { createSlackTarget } from '@veba-functions/notifier';
import {
  expectMissingEntitiesRefused,
  itMapsUnavailable,
  itSendsOrRefusesEverySample,
  triggeredSamples,
  useWebhookAlertHandler,
  vsphereSample,
} from '@veba-functions/notifier/testing/function';
import { handle } from '../src/handler.js';

/** What values.yaml's Triggers select (`type: com.vmware.vsphere.<class>.v0`) from the corpus. */
const { classes, files } = triggeredSamples(new URL('../values.yaml', import.meta.url));

const slack = useWebhookAlertHandler(
  'slack',
  (pretext) => createSlackTarget({ pretext }),
  'SLACK_WEBHOOK_URL',
);

describe('slack-alert handle(event, ctx)', () => {
  it('the Triggers select corpus samples of every kind they name', () => {
    expect(classes).toContain('AlarmStatusChangedEvent');
    expect(files.length).toBeGreaterThanOrEqual(15);
  });

  itSendsOrRefusesEverySample(files, slack, handle);

  it('passes the pretext through and logs one line per posted event', async () => {
    const ctx = await slack.context(':rotating_light: prod');
    await handle(vsphereSample('kn-ps-slack__test-payload.json'), ctx);
    expect((slack.receiver.posts[0]!.body as { blocks: unknown[] }).blocks[0]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: ':rotating_light: prod' },
    });
    expect(
      ctx.logs.messages('info').filter((m) => m.startsWith('posted Slack message')),
    ).toHaveLength(1);
  });

  it('a VM event without Vm, a host maintenance event without Host, a Key that is no number: 400 naming the field, nothing posted', async () => {
    const ctx = await slack.context();
    await expectMissingEntitiesRefused((event) => handle(event, ctx), slack.sent);
    await expect(
      handle(vsphereSample('kn-ps-slack__test-payload.json', { Key: 'abc' }), ctx),
    ).rejects.toThrow(/data\.Key/);
    expect(slack.sent()).toBe(0);
  });

  // Slack's 503 `service_unavailable`.
  itMapsUnavailable(slack, handle, {
    script: (receiver) => receiver.script({ status: 503, body: 'service_unavailable' }),
  });
});
