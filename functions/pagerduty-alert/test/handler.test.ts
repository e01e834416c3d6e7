/**
 * pagerduty-alert's handler called directly, with the notifier core sending to a local stand-in
 * that answers as PagerDuty's Events API v2 documents (@veba-functions/notifier/testing): every
 * corpus sample its Triggers select is sent (200) or refused naming the field (400).
 */
import { readFileSync } from 'node:fs';
import { CloudEvent } from 'cloudevents';
import { afterEach, describe, expect, it } from 'vitest';
import { DependencyUnavailableError, InvalidEventError, mapError } from '@veba-functions/runtime';
import {
  alarmDedupKey,
  createNotifier,
  createPagerDutyTarget,
  parseDestination,
} from '@veba-functions/notifier';
import { startPagerDutyReceiver, type PagerDutyReceiver } from '@veba-functions/notifier/testing';
import { handlerContext, loadVebaFixtures } from '@veba-functions/test-helpers';
import { matchesEventClass, parseVSphereEvent } from '@veba-functions/vsphere-events';
import type { PagerDutyAlertConfig } from '../src/config.js';
import { handle, type State } from '../src/handler.js';

let pd: PagerDutyReceiver | undefined;
afterEach(async () => {
  await pd?.close();
  pd = undefined;
});

const TRIGGER_CLASSES = [
  ...readFileSync(new URL('../values.yaml', import.meta.url), 'utf8').matchAll(
    /type: com\.vmware\.vsphere\.(\S+)\.v0/g,
  ),
].map((m) => m[1]!);

const selected = loadVebaFixtures().filter(
  (f) =>
    f.valid &&
    f.attributes?.specversion === '1.0' &&
    matchesEventClass(f.event as never, TRIGGER_CLASSES),
);

async function context() {
  pd = await startPagerDutyReceiver();
  const ctx = handlerContext<State, PagerDutyAlertConfig>({ state: undefined as never });
  ctx.state = {
    notifier: createNotifier({
      target: createPagerDutyTarget({ routingKey: pd.routingKey }),
      destination: parseDestination(pd.url, {
        key: 'PAGERDUTY_EVENTS_URL',
        from: 'test',
        secrets: [pd.routingKey],
        urlIsSecret: false,
      }),
      logger: ctx.logger,
      rate: { perSecond: 100, burst: 1 },
      maxRateLimitRetries: 0,
      sequenceBy: alarmDedupKey,
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

describe('pagerduty-alert handle(event, ctx)', () => {
  it('the Triggers select alarms and change events of the corpus', () => {
    expect(TRIGGER_CLASSES).toContain('AlarmStatusChangedEvent');
    expect(selected.length).toBeGreaterThanOrEqual(10);
  });

  it.each(selected.map((f) => [f.file]))(
    '%s: sent (200) or refused naming the field (400)',
    async (file) => {
      const ctx = await context();
      const parsed = event(file);
      const result = await handle(parsed, ctx).catch((e: unknown) => e);
      if (result instanceof Error) {
        expect(result).toBeInstanceOf(InvalidEventError);
        expect(mapError(result).status).toBe(400);
        expect(pd!.requests).toHaveLength(0);
      } else {
        const alarm = parsed.eventClass === 'AlarmStatusChangedEvent';
        expect(result).toMatchObject({
          status: 200,
          body: { posted: true, action: alarm ? 'trigger' : 'change' },
        });
        expect(alarm ? pd!.alerts : pd!.changes).toHaveLength(1);
      }
    },
  );

  it('the OpenFaaS pagerduty-trigger sample (VmReconfiguredEvent) is a change event with the VM as its source', async () => {
    const ctx = await context();
    const fixture = loadVebaFixtures().find(
      (f) => f.file === 'legacy/openfaas-pagerduty-trigger__valid-event.json',
    )!;
    await handle(
      parseVSphereEvent(new CloudEvent<unknown>(structuredClone(fixture.event!), false)),
      ctx,
    );
    const change = pd!.changes[0] as { payload: { source: string; summary: string } };
    expect(change.payload.source.length).toBeGreaterThan(0);
    expect(change.payload.summary.length).toBeGreaterThan(0);
  });

  it('an alarm without a known To: 400 naming the field, nothing sent', async () => {
    const ctx = await context();
    await expect(
      handle(event('kn-ps-slack-vsphere-alarm__test-payload.json', { To: 'blue' }), ctx),
    ).rejects.toThrow(/data\.To must be red, yellow, green or gray/);
    expect(pd!.requests).toHaveLength(0);
  });

  it("lets PagerDuty's 5xx through as a 503", async () => {
    const ctx = await context();
    pd!.script({ status: 500, body: '' });
    await expect(
      handle(event('kn-ps-slack-vsphere-alarm__test-payload.json'), ctx),
    ).rejects.toBeInstanceOf(DependencyUnavailableError);
  });
});
