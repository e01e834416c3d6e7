/**
 * pagerduty-alert's handler called directly, with the notifier core sending to a local stand-in
 * that answers as PagerDuty's Events API v2 documents (@veba-functions/notifier/testing): every
 * corpus sample its Triggers select is sent (200) or refused naming the field (400).
 */
import { describe, expect, it } from 'vitest';
import { alarmDedupKey } from '@veba-functions/notifier';
import { startPagerDutyReceiver } from '@veba-functions/notifier/testing';
import {
  itMapsUnavailable,
  itSendsOrRefusesEverySample,
  pagerDutyTargetOf,
  triggeredSamples,
  useNotifierHandler,
  vsphereSample,
} from '@veba-functions/notifier/testing/function';
import { handle } from '../src/handler.js';

const { classes, files } = triggeredSamples(new URL('../values.yaml', import.meta.url));

const alarm = (event: { eventClass: string }) => event.eventClass === 'AlarmStatusChangedEvent';

const pd = useNotifierHandler({
  receiver: () => startPagerDutyReceiver(),
  notifier: (receiver) => ({
    ...pagerDutyTargetOf(receiver),
    maxRateLimitRetries: 0,
    sequenceBy: alarmDedupKey,
  }),
  // Alerts and change events accepted (202).
  sent: (receiver) => receiver.alerts.length + receiver.changes.length,
});

describe('pagerduty-alert handle(event, ctx)', () => {
  it('the Triggers select alarms and change events of the corpus', () => {
    expect(classes).toContain('AlarmStatusChangedEvent');
    expect(files.length).toBeGreaterThanOrEqual(10);
  });

  itSendsOrRefusesEverySample(files, pd, handle, {
    body: (event) => ({ posted: true, action: alarm(event) ? 'trigger' : 'change' }),
    after(event, sent) {
      if (sent) expect((alarm(event) ? pd.receiver.alerts : pd.receiver.changes).length).toBe(1);
      else expect(pd.receiver.requests).toHaveLength(0);
    },
  });

  it('the OpenFaaS pagerduty-trigger sample (VmReconfiguredEvent) is a change event with the VM as its source', async () => {
    const ctx = await pd.context();
    await handle(vsphereSample('legacy/openfaas-pagerduty-trigger__valid-event.json'), ctx);
    const change = pd.receiver.changes[0] as { payload: { source: string; summary: string } };
    expect(change.payload.source.length).toBeGreaterThan(0);
    expect(change.payload.summary.length).toBeGreaterThan(0);
  });

  it('an alarm without a known To: 400 naming the field, nothing sent', async () => {
    const ctx = await pd.context();
    await expect(
      handle(vsphereSample('kn-ps-slack-vsphere-alarm__test-payload.json', { To: 'blue' }), ctx),
    ).rejects.toThrow(/data\.To must be red, yellow, green or gray/);
    expect(pd.receiver.requests).toHaveLength(0);
  });

  // PagerDuty's 5xx, for an alarm.
  itMapsUnavailable(pd, handle, {
    script: (receiver) => receiver.script({ status: 500, body: '' }),
    file: 'kn-ps-slack-vsphere-alarm__test-payload.json',
  });
});
