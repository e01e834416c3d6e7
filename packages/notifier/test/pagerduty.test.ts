/**
 * PagerDuty's Events API v2: the mapping (alarm to red -> trigger critical, yellow -> trigger
 * warning, green/gray -> resolve with the same dedup_key, others -> change events; limits from
 * https://developer.pagerduty.com/docs/events-api-v2/trigger-events/ and
 * .../overview/), and the target through the notifier against the stand-in that answers as
 * PagerDuty documents (src/testing/pagerduty-receiver.ts): 202, 400 -> 502 with PagerDuty's
 * message logged, 429 -> 503 + Retry-After, 5xx -> 503; no form of the routing key in any log.
 */
import { InvalidEventError, mapError } from '@veba-functions/runtime';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { buildNotification } from '../src/model.js';
import { createNotifier } from '../src/notifier.js';
import {
  PAGERDUTY_LIMITS,
  alarmDedupKey,
  checkPagerDutyEvent,
  pagerDutyEventOf,
} from '../src/pagerduty/pagerduty-event.js';
import { changeEventsUrl } from '../src/pagerduty/pagerduty-target.js';
import {
  startPagerDutyReceiver,
  type PagerDutyReceiver,
} from '../src/testing/pagerduty-receiver.js';
import { pagerDutyTargetOf } from '../src/testing/function.js';
import { EXPECTED, corpusEvent, vsphereCorpusFiles } from './corpus.js';
import { captureLogger, type LogLine } from './capture-logger.js';

const ALARM = 'kn-ps-slack-vsphere-alarm__test-payload.json';
const alarm = (data: Record<string, unknown> = {}) => corpusEvent(ALARM, data);

describe('pagerDutyEventOf', () => {
  it.each([
    ['red', 'trigger', 'critical'],
    ['yellow', 'trigger', 'warning'],
    ['green', 'resolve', undefined],
    ['gray', 'resolve', undefined],
    ['RED', 'trigger', 'critical'],
  ])(
    'an alarm to %s -> %s %s, one dedup_key per alarm, object and vCenter',
    (to, action, severity) => {
      const n = buildNotification(alarm({ To: to }));
      checkPagerDutyEvent(n);
      const message = pagerDutyEventOf(n);
      expect(message).toMatchObject({ kind: 'alert', event_action: action });
      if (message.kind !== 'alert') throw new Error('alert expected');
      expect(message.dedup_key).toBe('vsphere-alarm/vcenter.local/alarm-906/datastore-13');
      if (message.event_action === 'trigger') {
        expect(message.payload).toMatchObject({
          severity,
          summary: "Alarm 'VEBA-DATASTORE-WARN' on sm-vsanDatastore changed from Gray to Yellow",
          source: 'sm-vsanDatastore',
          component: 'datastore sm-vsanDatastore',
          class: 'VEBA-DATASTORE-WARN',
          timestamp: '2021-06-30T13:57:22.611Z',
        });
        expect(message.client_url).toBe('https://vcenter.local/ui/');
      } else {
        expect(Object.keys(message)).toEqual(['kind', 'event_action', 'dedup_key']);
      }
    },
  );

  it('another object, alarm or vCenter is another dedup_key', () => {
    const base = alarmDedupKey(buildNotification(alarm()));
    const otherObject = alarmDedupKey(
      buildNotification(
        alarm({ Entity: { Name: 'ds2', Entity: { Type: 'Datastore', Value: 'datastore-99' } } }),
      ),
    );
    const otherAlarm = alarmDedupKey(
      buildNotification(
        alarm({ Alarm: { Name: 'x', Alarm: { Type: 'Alarm', Value: 'alarm-1' } } }),
      ),
    );
    expect(new Set([base, otherObject, otherAlarm]).size).toBe(3);
    const long = alarmDedupKey(
      buildNotification(
        alarm({ Alarm: { Name: 'x', Alarm: { Type: 'Alarm', Value: 'a'.repeat(300) } } }),
      ),
    )!;
    expect(long.length).toBeLessThanOrEqual(PAGERDUTY_LIMITS.dedupKey);
  });

  it.each([
    [{ To: 'purple' }, /data\.To must be red, yellow, green or gray/],
    [{ To: null }, /data\.To must be/],
    [{ To: 'constructor' }, /data\.To must be/],
    [{ Alarm: null }, /data\.Alarm is missing/],
    [{ Entity: null }, /data\.Entity is missing/],
  ])('an alarm with %j is a 400 naming the field', (data, reason) => {
    const error = (() => {
      try {
        checkPagerDutyEvent(buildNotification(alarm(data)));
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(String((error as Error).message)).toMatch(reason);
  });

  it('other events are change events within the documented limits', () => {
    for (const file of vsphereCorpusFiles()) {
      if (EXPECTED.get(file)?.outcome !== 'posted') continue;
      const n = buildNotification(corpusEvent(file));
      if (n.family === 'alarm') continue;
      const message = pagerDutyEventOf(n);
      expect(message.kind).toBe('change');
      if (message.kind !== 'change') continue;
      expect(message.payload.summary.length).toBeGreaterThan(0);
      expect([...message.payload.summary].length).toBeLessThanOrEqual(1024);
    }
  });

  it('a huge event stays within 512 KB and a summary within 1024 characters; a __proto__ label is a plain key', () => {
    const huge = 'x'.repeat(2_000_000);
    const n = buildNotification(
      corpusEvent('kn-pcli-pg-check__test-payload.json', {
        FullFormattedMessage: `🟥${huge}`,
        ConfigChanges: { Modified: huge },
      }),
    );
    const message = pagerDutyEventOf(n);
    expect(Buffer.byteLength(JSON.stringify(message))).toBeLessThanOrEqual(
      PAGERDUTY_LIMITS.bodyBytes,
    );
    if (message.kind !== 'change') throw new Error('change expected');
    expect([...message.payload.summary].length).toBeLessThanOrEqual(1024);
    // EventEx arguments become facts labelled by their Key: event text.
    const eventex = buildNotification(corpusEvent('kn-ps-email__test-payload.json'));
    eventex.facts.push({ label: '__proto__', value: 'polluted' });
    const details = (pagerDutyEventOf(eventex) as { payload: { custom_details: object } }).payload
      .custom_details;
    expect(Object.hasOwn(details, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(details)).toBe(Object.prototype);
  });

  it('changeEventsUrl', () => {
    expect(changeEventsUrl(new URL('https://events.eu.pagerduty.com/v2/enqueue')).href).toBe(
      'https://events.eu.pagerduty.com/v2/change/enqueue',
    );
  });
});

let pd: PagerDutyReceiver | undefined;
afterEach(async () => {
  await pd?.close();
  pd = undefined;
});

async function setup() {
  pd = await startPagerDutyReceiver();
  const logger = captureLogger();
  const notifier = createNotifier({
    ...pagerDutyTargetOf(pd),
    logger,
    metrics: new Registry(),
    rate: { perSecond: 100, burst: 5 },
    maxRateLimitRetries: 0,
    sequenceBy: (n) => alarmDedupKey(n),
  });
  const ctx = () => ({ deadline: Date.now() + 5_000, logger });
  return { notifier, logger, ctx, pd };
}

function expectNoRoutingKey(lines: LogLine[], errors: unknown[], key: string): void {
  const all = [
    ...lines.map((l) => `${l.msg ?? ''} ${JSON.stringify(l.obj)}`),
    ...errors.map((e) => String((e as Error).message)),
  ].join('\n');
  for (const form of [key, Buffer.from(key).toString('base64'), encodeURIComponent(key)])
    expect(all).not.toContain(form);
}

describe('the PagerDuty target through the notifier', () => {
  it('a trigger then its resolve: one incident opened and closed; a change event to /v2/change/enqueue', async () => {
    const { notifier, ctx, pd } = await setup();
    const red = await notifier.notify(alarm({ To: 'red', Key: 10 }), ctx());
    expect(red).toMatchObject({
      status: 200,
      body: {
        posted: true,
        action: 'trigger',
        dedupKey: 'vsphere-alarm/vcenter.local/alarm-906/datastore-13',
      },
    });
    await notifier.notify(alarm({ To: 'green', Key: 11 }), ctx());
    expect(pd.incidents).toEqual(
      new Map([['vsphere-alarm/vcenter.local/alarm-906/datastore-13', 'resolved']]),
    );
    expect(pd.alerts.map((a) => a.event_action)).toEqual(['trigger', 'resolve']);
    expect(pd.alerts[0]!.routing_key).toBe(pd.routingKey);
    const change = await notifier.notify(corpusEvent('kn-ps-email__test-payload.json'), ctx());
    expect(change).toMatchObject({ body: { action: 'change' } });
    expect(pd.changes).toHaveLength(1);
    expect(pd.requests.at(-1)!.path).toBe('/v2/change/enqueue');
  });

  it('a trigger older than a resolve already sent for its alarm is not sent (200 stale)', async () => {
    const { notifier, ctx, pd } = await setup();
    await notifier.notify(alarm({ To: 'green', Key: 21 }), ctx());
    const late = await notifier.notify(alarm({ To: 'red', Key: 20 }), ctx());
    expect(late).toMatchObject({ skipped: expect.stringMatching(/^stale/) as unknown });
    expect(pd.alerts.map((a) => a.event_action)).toEqual(['resolve']);
  });

  it('two events of one alarm at once go out in arrival order, one at a time', async () => {
    const { notifier, ctx, pd } = await setup();
    pd.script({ status: 500, body: '' });
    const [first, second] = await Promise.allSettled([
      notifier.notify(alarm({ To: 'red', Key: 30 }), ctx()),
      notifier.notify(alarm({ To: 'green', Key: 31 }), ctx()),
    ]);
    expect(first.status).toBe('rejected');
    expect(second.status).toBe('fulfilled');
    // The failed trigger's retry comes after its resolve: not sent, the incident stays closed.
    expect(await notifier.notify(alarm({ To: 'red', Key: 30 }), ctx())).toMatchObject({
      skipped: expect.stringMatching(/^stale/) as unknown,
    });
  });

  it.each([
    [
      {
        status: 400,
        body: JSON.stringify({
          status: 'invalid event',
          message: 'Event object is invalid',
          errors: ['Length of routing_key is incorrect'],
        }),
      },
      502,
    ],
    [{ status: 429, body: '' }, 503],
    [{ status: 500, body: '' }, 503],
    [{ status: 503, body: '' }, 503],
    [{ status: 404, body: '' }, 502],
  ])('PagerDuty %j -> %i', async (answer, status) => {
    const { notifier, ctx, pd, logger } = await setup();
    pd.script(answer);
    const error = await notifier.notify(alarm({ To: 'red' }), ctx()).catch((e: unknown) => e);
    const mapped = mapError(error);
    expect(mapped.status).toBe(status);
    if (answer.status === 429)
      expect((error as { retryAfterSeconds?: number }).retryAfterSeconds).toBe(30);
    if (answer.status === 400) {
      const line = logger.lines.find((l) => l.level === 'error');
      expect(line?.msg).toContain('Event object is invalid: Length of routing_key is incorrect');
    }
    expectNoRoutingKey(logger.lines, [error], pd.routingKey);
  });

  it('an answer echoing the routing key is scrubbed from the log', async () => {
    const { notifier, ctx, pd, logger } = await setup();
    pd.script({
      status: 400,
      body: JSON.stringify({
        status: 'invalid event',
        message: `unknown key ${pd.routingKey} (${Buffer.from(pd.routingKey).toString('base64')})`,
      }),
    });
    const error = await notifier.notify(alarm({ To: 'red' }), ctx()).catch((e: unknown) => e);
    expect(mapError(error).status).toBe(502);
    expectNoRoutingKey(logger.lines, [error], pd.routingKey);
    expect(JSON.stringify(logger.lines)).toContain('unknown key ***');
  });
});
