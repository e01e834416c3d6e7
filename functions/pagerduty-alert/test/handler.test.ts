/**
 * pagerduty-alert's handler called directly, with the notifier core sending to a local stand-in
 * that answers as PagerDuty's Events API v2 documents (@veba-functions/notifier/testing): every
 * corpus sample its Triggers select is sent (200) or refused naming the field (400).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DependencyUnavailableError } from '@veba-functions/runtime';
import { alarmDedupKey, createPagerDutyTarget, parseDestination } from '@veba-functions/notifier';
import { startPagerDutyReceiver, type PagerDutyReceiver } from '@veba-functions/notifier/testing';
import {
  expectSentOrInvalid,
  notifierContext,
  triggeredSamples,
  vsphereSample,
} from '@veba-functions/notifier/testing/function';
import type { PagerDutyAlertConfig } from '../src/config.js';
import { handle } from '../src/handler.js';

let pd: PagerDutyReceiver | undefined;
afterEach(async () => {
  await pd?.close();
  pd = undefined;
});

const { classes, files } = triggeredSamples(new URL('../values.yaml', import.meta.url));

async function context() {
  pd = await startPagerDutyReceiver();
  return notifierContext<PagerDutyAlertConfig>({
    target: createPagerDutyTarget({ routingKey: pd.routingKey }),
    destination: parseDestination(pd.url, {
      key: 'PAGERDUTY_EVENTS_URL',
      from: 'test',
      secrets: [pd.routingKey],
      urlIsSecret: false,
    }),
    maxRateLimitRetries: 0,
    sequenceBy: alarmDedupKey,
  });
}

describe('pagerduty-alert handle(event, ctx)', () => {
  it('the Triggers select alarms and change events of the corpus', () => {
    expect(classes).toContain('AlarmStatusChangedEvent');
    expect(files.length).toBeGreaterThanOrEqual(10);
  });

  it.each(files)('%s: sent (200) or refused naming the field (400)', async (file) => {
    const ctx = await context();
    const event = vsphereSample(file);
    const alarm = event.eventClass === 'AlarmStatusChangedEvent';
    const sent = await expectSentOrInvalid(handle(event, ctx), {
      body: { posted: true, action: alarm ? 'trigger' : 'change' },
      sent: () => (alarm ? pd!.alerts : pd!.changes).length,
    });
    if (!sent) expect(pd!.requests).toHaveLength(0);
  });

  it('the OpenFaaS pagerduty-trigger sample (VmReconfiguredEvent) is a change event with the VM as its source', async () => {
    const ctx = await context();
    await handle(vsphereSample('legacy/openfaas-pagerduty-trigger__valid-event.json'), ctx);
    const change = pd!.changes[0] as { payload: { source: string; summary: string } };
    expect(change.payload.source.length).toBeGreaterThan(0);
    expect(change.payload.summary.length).toBeGreaterThan(0);
  });

  it('an alarm without a known To: 400 naming the field, nothing sent', async () => {
    const ctx = await context();
    await expect(
      handle(vsphereSample('kn-ps-slack-vsphere-alarm__test-payload.json', { To: 'blue' }), ctx),
    ).rejects.toThrow(/data\.To must be red, yellow, green or gray/);
    expect(pd!.requests).toHaveLength(0);
  });

  it("lets PagerDuty's 5xx through as a 503", async () => {
    const ctx = await context();
    pd!.script({ status: 500, body: '' });
    await expect(
      handle(vsphereSample('kn-ps-slack-vsphere-alarm__test-payload.json'), ctx),
    ).rejects.toBeInstanceOf(DependencyUnavailableError);
  });
});
