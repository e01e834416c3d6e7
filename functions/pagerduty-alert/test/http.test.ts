/**
 * pagerduty-alert over HTTP with real peers: a real redis-server (dedupe, ordering marks, the
 * pacing bucket per routing key) and a local stand-in answering as PagerDuty's Events API v2
 * documents (https://developer.pagerduty.com/docs/events-api-v2/overview/: 202, 400, 429, 5xx;
 * @veba-functions/notifier/testing).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startPagerDutyReceiver } from '@veba-functions/notifier/testing';
import { alarmOnHost, useNotifierHarness } from '@veba-functions/notifier/testing/function';
import { fixtureEvent, functionReadmeProblems } from '@veba-functions/test-helpers';
import { expectCorpusAnswered } from '@veba-functions/test-helpers/vitest';
import { createPagerDutyAlert } from '../src/index.js';

// Across every test: the routing key reached no log line and no HTTP answer, in any form.
const h = useNotifierHarness(() => startPagerDutyReceiver(), {
  secrets: (pd) => [pd.routingKey],
  env: (pd) => ({
    PAGERDUTY_SECRET: JSON.stringify({ PAGERDUTY_ROUTING_KEY: pd.routingKey }),
    PAGERDUTY_EVENTS_URL: pd.url,
  }),
});

/** Instances given the same `shared` share their dedupe and ordering marks. */
function start(env: Record<string, string> = {}, shared = `${Date.now()}`) {
  return h.start(
    createPagerDutyAlert(h.isolated(`pd:${shared}`, { rate: { perSecond: 50, burst: 5 } })),
    env,
  );
}

const DEDUP = 'vsphere-alarm/vcenter.local/alarm-906/datastore-13';
const alarm = (id: string, key: number, to: string) => {
  const event = fixtureEvent('kn-ps-slack-vsphere-alarm__test-payload.json', { id });
  event.data = { ...(event.data as object), Key: key, To: to };
  return event;
};

describe('alarms open and close incidents', () => {
  it('red triggers (critical), green resolves the same dedup_key: one incident opened and closed', async () => {
    const fn = await start();
    const base = Date.now();
    const red = await h.send(fn, alarm(`red-${base}`, 1000, 'red'));
    expect(red.json()).toMatchObject({ posted: true, action: 'trigger', dedupKey: DEDUP });
    const green = await h.send(fn, alarm(`green-${base}`, 1001, 'green'));
    expect(green.json()).toMatchObject({ posted: true, action: 'resolve', dedupKey: DEDUP });
    expect(h.receiver.alerts.map((a) => [a.event_action, a.dedup_key])).toEqual([
      ['trigger', DEDUP],
      ['resolve', DEDUP],
    ]);
    expect((h.receiver.alerts[0]!.payload as { severity: string }).severity).toBe('critical');
    expect(h.receiver.incidents.get(DEDUP)).toBe('resolved');
    expect(await fn.metric('veba_pagerduty_webhook_requests_total', { result: 'ok' })).toBe(2);
  });

  it('a trigger arriving after its newer resolve (on another instance) is skipped as stale: no incident is reopened', async () => {
    const shared = `order-${Date.now()}`;
    const a = await start({}, shared);
    const b = await start({}, shared);
    const base = Date.now();
    expect((await h.send(a, alarm(`late-green-${base}`, 2001, 'green'))).status).toBe(200);
    const late = await h.send(b, alarm(`late-red-${base}`, 2000, 'red'));
    expect(late.status).toBe(200);
    expect(late.json()).toMatchObject({ skipped: expect.stringMatching(/^stale/) as unknown });
    expect(h.receiver.alerts.map((x) => x.event_action)).toEqual(['resolve']);
    expect(h.receiver.incidents.get(DEDUP)).toBeUndefined();
  });

  it('three concurrent deliveries of one alarm to two instances sharing Redis page once', async () => {
    const shared = `dup-${Date.now()}`;
    const a = await start({}, shared);
    const b = await start({}, shared);
    const event = alarm(`dup-${Date.now()}`, 3000, 'yellow');
    await h.deliverConcurrently([a, b, a], event);
    expect(h.receiver.alerts).toHaveLength(1);
  });

  it('other vSphere events are change events to /v2/change/enqueue', async () => {
    const fn = await start();
    const reply = await h.send(
      fn,
      fixtureEvent('kn-ps-slack__test-payload.json', { id: `chg-${Date.now()}` }),
    );
    expect(reply.json()).toMatchObject({ posted: true, action: 'change' });
    expect(h.receiver.changes).toHaveLength(1);
    expect(h.receiver.requests[0]!.path).toBe('/v2/change/enqueue');
  });
});

describe("PagerDuty's answers become broker statuses", () => {
  it("400 -> 502 with PagerDuty's message logged", async () => {
    const fn = await start();
    h.receiver.script({
      status: 400,
      body: JSON.stringify({
        status: 'invalid event',
        message: 'Event object is invalid',
        errors: ["'payload.summary' is missing or blank"],
      }),
    });
    const reply = await h.send(fn, alarm(`bad-${Date.now()}`, 4000, 'red'));
    expect(reply.status).toBe(502);
    expect(fn.logs.messages('error').join('\n')).toContain(
      "Event object is invalid: 'payload.summary' is missing or blank",
    );
  });

  it('429 -> 503 with Retry-After 30 (PagerDuty asks for a backoff), then the retry pages', async () => {
    const fn = await start();
    h.receiver.script({ status: 429, body: '' });
    const event = alarm(`limited-${Date.now()}`, 5000, 'red');
    const reply = await h.send(fn, event);
    expect(reply.status).toBe(503);
    expect(reply.headers['retry-after']).toBe('30');
    expect(
      await fn.metric('veba_pagerduty_webhook_requests_total', { result: 'rate_limited' }),
    ).toBe(1);
  });

  it.each([500, 502, 503])("%i -> 503, and the broker's retry pages once", async (status) => {
    const fn = await start();
    h.receiver.script({ status, body: '' });
    const event = alarm(`down-${status}-${Date.now()}`, 6000 + status, 'red');
    expect((await h.send(fn, event)).status).toBe(503);
    expect((await h.send(fn, event)).status).toBe(200);
    expect(h.receiver.alerts).toHaveLength(1);
  });
});

describe('configuration', () => {
  it('a routing key that is not 32 characters is refused at start, naming the key, not the value', async () => {
    const error = await start({
      PAGERDUTY_SECRET: JSON.stringify({ PAGERDUTY_ROUTING_KEY: 'short-key-123' }),
    }).catch((e: unknown) => e);
    expect(String((error as Error).message)).toMatch(/PAGERDUTY_ROUTING_KEY: invalid/);
    expect(String((error as Error).message)).not.toContain('short-key-123');
  });

  it('an events URL that is not the Events API v2 endpoint is refused at start', async () => {
    await expect(
      start({ PAGERDUTY_EVENTS_URL: h.receiver.url.replace('/v2/enqueue', '/v2/incidents') }),
    ).rejects.toThrow(/PAGERDUTY_EVENTS_URL: invalid.*\/v2\/enqueue/);
  });

  it('NOTIFY_SUPPRESS_IN_MAINTENANCE: a trigger on a host in maintenance is skipped, its resolve still goes out', async () => {
    const fn = await start({ NOTIFY_SUPPRESS_IN_MAINTENANCE: 'true' });
    const enter = fixtureEvent('kn-pcli-hostmaint-alarms__enter-maint-payload.json', {
      id: `enter-${Date.now()}`,
    });
    expect((await h.send(fn, enter)).status).toBe(200);
    const onHost = (id: string, key: number, to: string) =>
      alarmOnHost(enter, id, { Key: key, To: to });
    const base = Date.now();
    expect((await h.send(fn, onHost(`m-red-${base}`, 99_000_001, 'red'))).json()).toEqual({
      skipped: 'host in maintenance',
    });
    expect((await h.send(fn, onHost(`m-green-${base}`, 99_000_002, 'green'))).json()).toMatchObject(
      {
        action: 'resolve',
      },
    );
    expect(h.receiver.alerts.map((a) => a.event_action)).toEqual(['resolve']);
  });

  it('its README has the sections of every function and documents exactly its keys', () => {
    const dir = fileURLToPath(new URL('..', import.meta.url));
    expect(functionReadmeProblems(dir, createPagerDutyAlert())).toEqual([]);
  });
});

describe('the VEBA sample events over HTTP', () => {
  it('answers 200 or 400 (never 500) to every sample the broker could deliver', async () => {
    const fn = await start();
    const sent = await expectCorpusAnswered(h, fn, (reply) => reply.json().posted === true);
    expect(sent).toBeGreaterThanOrEqual(20);
    expect(h.receiver.alerts.length + h.receiver.changes.length).toBe(sent);
  });
});
