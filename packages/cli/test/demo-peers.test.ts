import { createHmac } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpRequest, listVebaFixtures, sendCloudEvent } from '@veba-functions/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { corpusEvents } from '../src/demo/corpus.js';
import { functionEntryPoint } from '../src/demo/function-process.js';
import { startBrokerIngress } from '../src/demo/ingress.js';
import { googleChatWebhook, slackWebhook, teamsWebhook } from '../src/demo/chat-receivers.js';
import { eventsInMessage, isDigest } from '../src/demo/events-carried.js';
import { pagerDutyEvents } from '../src/demo/pagerduty-receiver.js';
import { signedWebhook } from '../src/demo/signed-webhook-receiver.js';
import { deliverEvent } from '../src/delivery.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
  httpRequest(url, {
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

describe('the chat webhook stand-ins, as the demo counts them', () => {
  // A digest's title as the notifier renders it ("N vSphere events", `digestTitle`), where each
  // vendor's message carries its title: Slack a `header` block
  // (https://docs.slack.dev/reference/block-kit/blocks/header-block), Teams the Adaptive Card's
  // `fallbackText` (https://adaptivecards.io/explorer/AdaptiveCard.html), Google Chat the card
  // header's `title` (https://developers.google.com/workspace/chat/api/reference/rest/v1/cards#cardheader).
  const slackDigest = (n: number) => ({
    text: `${n} vSphere events: ${n} VM events`,
    blocks: [
      {
        type: 'header',
        text: { type: 'plain_text', text: `:bell: ${n} vSphere events from vc01` },
      },
      { type: 'section', text: { type: 'mrkdwn', text: `${n} VM events` } },
    ],
  });
  const teamsCard = (fallbackText: string) => ({
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: { type: 'AdaptiveCard', version: '1.4', body: [], fallbackText },
      },
    ],
  });
  const chatCard = (title: string) => ({
    text: title,
    cardsV2: [{ cardId: 'c', card: { header: { title }, sections: [] } }],
  });

  it('reads N from a digest and 1 from any other message, for each vendor', () => {
    expect(eventsInMessage('slack', slackDigest(12))).toBe(12);
    expect(
      eventsInMessage('slack', {
        text: 'VM powered on',
        blocks: [{ type: 'header', text: { text: ':large_green_circle: VM powered on' } }],
      }),
    ).toBe(1);
    expect(eventsInMessage('slack', { text: 'no blocks' })).toBe(1);
    expect(eventsInMessage('teams', teamsCard('7 vSphere events from vc01'))).toBe(7);
    expect(eventsInMessage('teams', teamsCard('VM web-01 powered off'))).toBe(1);
    expect(eventsInMessage('google-chat', chatCard('🔔 3 vSphere events'))).toBe(3);
    expect(eventsInMessage('google-chat', chatCard('🟢 VM powered on'))).toBe(1);
    // A title that merely mentions events is not a digest; a body that is no object carries none.
    expect(eventsInMessage('google-chat', chatCard('VM powered on after 3 vSphere events'))).toBe(
      1,
    );
    expect(eventsInMessage('slack', 'ok')).toBe(0);
    expect([isDigest('teams', teamsCard('2 vSphere events')), isDigest('slack', {})]).toEqual([
      true,
      false,
    ]);
  });

  it("counts the notifier stand-in's POSTs and the events they carry", async () => {
    const slack = await slackWebhook.start();
    stops.push(() => slack.stop());
    expect(slack.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/services\//);
    const single = await post(slack.url, { text: 'VM powered on', blocks: [] });
    expect([single.status, single.body]).toEqual([200, 'ok']);
    await post(slack.url, slackDigest(5));

    expect([slack.messages(), slack.eventsCarried()]).toEqual([2, 6]);
    expect(slack.counts()).toEqual([
      {
        result: 'Slack messages received',
        count: 2,
        source: 'local Slack webhook stand-in (200 ok); 1 of them storm digests',
      },
      {
        result: 'Slack events carried',
        count: 6,
        source: '1 per message, N per digest ("N vSphere events" in its title)',
      },
    ]);
  });

  it('starts one stand-in per vendor, each at its vendor-shaped URL', async () => {
    const teams = await teamsWebhook.start();
    const chat = await googleChatWebhook.start();
    stops.push(
      () => teams.stop(),
      () => chat.stop(),
    );
    expect(teams.url).toContain('/workflows/');
    expect(chat.url).toContain('/v1/spaces/');
    expect((await post(teams.url, teamsCard('4 vSphere events'))).status).toBe(202);
    expect((await post(chat.url, chatCard('🔔 2 vSphere events'))).status).toBe(200);
    expect([teams.eventsCarried(), chat.eventsCarried()]).toEqual([4, 2]);
    expect(teams.counts()[0]!.result).toBe('Teams messages received');
    expect(chat.counts()[1]).toMatchObject({ result: 'Google Chat events carried', count: 2 });
  });
});

describe('the PagerDuty stand-in, as the demo counts it', () => {
  // The Events API v2 as https://developer.pagerduty.com/docs/events-api-v2/trigger-events/ and
  // .../send-change-events/ document it (the stand-in answers so).
  it('counts alert and change events, and incidents a trigger opened and a resolve closed', async () => {
    const pd = await pagerDutyEvents.start();
    stops.push(() => pd.stop());
    const payload = { summary: 'Alarm on ds-01', source: 'ds-01', severity: 'warning' };
    const key = pd.routingKey;
    expect(key).toHaveLength(32);
    const trigger = await post(pd.url, {
      routing_key: key,
      event_action: 'trigger',
      dedup_key: 'a',
      payload,
    });
    expect(trigger.status).toBe(202);
    await post(pd.url, { routing_key: key, event_action: 'trigger', dedup_key: 'b', payload });
    await post(pd.url, { routing_key: key, event_action: 'resolve', dedup_key: 'a' });
    const change = await post(pd.url.replace('/v2/enqueue', '/v2/change/enqueue'), {
      routing_key: key,
      payload: { summary: 'VM powered on' },
    });
    expect(change.status).toBe(202);
    // Refused as PagerDuty would (no summary): counted nowhere.
    expect((await post(pd.url, { routing_key: key, event_action: 'trigger' })).status).toBe(400);

    expect([pd.accepted(), pd.incidents()]).toEqual([4, { opened: 2, resolved: 1 }]);
    expect(pd.counts().map((c) => [c.result, c.count])).toEqual([
      ['PagerDuty alert events', 3],
      ['PagerDuty change events', 1],
      ['PagerDuty incidents opened', 2],
      ['PagerDuty incidents resolved', 1],
    ]);
    expect(pd.counts()[0]!.source).toMatch(/: 2 trigger, 1 resolve$/);
  });
});

describe('the Standard Webhooks receiver, as the demo counts it', () => {
  // github.com/standard-webhooks/standard-webhooks spec/standard-webhooks.md, "Signature scheme":
  // v1,base64(HMAC-SHA256(base64-decoded secret, "<id>.<timestamp>.<body>")).
  const sign = (secret: string, id: string, timestamp: number, body: string): string =>
    `v1,${createHmac('sha256', Buffer.from(secret.replace(/^whsec_/, ''), 'base64'))
      .update(`${id}.${timestamp}.${body}`)
      .digest('base64')}`;

  it('verifies with either secret of a rotation and counts distinct webhook-ids', async () => {
    const hook = await signedWebhook.start();
    stops.push(() => hook.stop());
    expect(hook.secrets).toHaveLength(2);
    expect(new Set(hook.secrets).size).toBe(2);
    const body = JSON.stringify({ specversion: '1.0', id: '41' });
    const now = Math.floor(Date.now() / 1000);
    const send = (id: string, secret: string) =>
      post(hook.url, body, {
        'webhook-id': id,
        'webhook-timestamp': String(now),
        'webhook-signature': sign(secret, id, now, body),
      });

    expect((await send('msg_1', hook.secrets[0]!)).status).toBe(204);
    expect((await send('msg_2', hook.secrets[1]!)).status).toBe(204);
    expect((await send('msg_2', hook.secrets[1]!)).status).toBe(204);
    expect((await send('msg_3', 'whsec_' + Buffer.alloc(32).toString('base64'))).status).toBe(401);

    expect([hook.accepted(), hook.ids()]).toEqual([3, { distinct: 2, most: 2 }]);
    expect(hook.counts()).toEqual([
      {
        result: 'signed webhooks accepted',
        count: 3,
        source: 'local Standard Webhooks receiver, 2 rotating secrets; 1 refused',
      },
      {
        result: 'distinct webhook-ids',
        count: 2,
        source: "the spec's idempotency key; most deliveries of one id: 2",
      },
    ]);
  });
});

describe('the broker ingress', () => {
  it('accepts a binary-mode CloudEvent with 202 and keeps it byte for byte', async () => {
    const ingress = await startBrokerIngress({ origin: (e) => `test ${e.attributes.id}` });
    stops.push(() => ingress.stop());
    const body = '{"Key": 41, "Vm": {"Name": "web 01"}}';
    const reply = await sendCloudEvent(
      ingress.url,
      {
        id: '41',
        source: 'https://vcsa.corp.local/sdk',
        type: 'com.vmware.vsphere.VmPoweredOnEvent.v0',
        eventclass: 'event',
        subject: 'power é',
      },
      { rawBody: body },
    );

    expect(reply.status).toBe(202);
    expect(ingress.events).toEqual([
      {
        attributes: {
          specversion: '1.0',
          id: '41',
          source: 'https://vcsa.corp.local/sdk',
          type: 'com.vmware.vsphere.VmPoweredOnEvent.v0',
          eventclass: 'event',
          subject: 'power é',
          datacontenttype: 'application/json',
        },
        data: { Key: 41, Vm: { Name: 'web 01' } },
        rawBody: body,
        origin: 'test 41',
      },
    ]);
  });

  it('accepts a structured event, refuses one without its required attributes and any GET', async () => {
    const ingress = await startBrokerIngress();
    stops.push(() => ingress.stop());
    const event = { id: '7', source: 's', type: 't', data: { a: 1 } };
    expect((await sendCloudEvent(ingress.url, event, { mode: 'structured' })).status).toBe(202);
    const missing = await sendCloudEvent(ingress.url, event, {
      headers: { 'ce-source': undefined },
    });
    expect(missing.status).toBe(400);
    expect(missing.json()).toEqual({ error: 'missing CloudEvent attribute(s): source' });
    expect((await httpRequest(ingress.url, { method: 'GET' })).status).toBe(405);

    expect(ingress.events).toHaveLength(1);
    expect(ingress.events[0]).toMatchObject({ data: { a: 1 }, origin: 'ingress id 7' });
    expect(ingress.refused).toBe(2);
  });

  it('is what the broker forwards: a delivery sends the same bytes and attributes on', async () => {
    const ingress = await startBrokerIngress();
    const next = await startBrokerIngress();
    stops.push(
      () => ingress.stop(),
      () => next.stop(),
    );
    const body = '{"Key":1,  "odd spacing":true}';
    await sendCloudEvent(ingress.url, { id: '1', source: 's', type: 't' }, { rawBody: body });
    const result = await deliverEvent(next.url, ingress.events[0]!);

    expect(result.status).toBe(202);
    expect(next.events[0]!.rawBody).toBe(body);
    expect(next.events[0]!.attributes).toEqual(ingress.events[0]!.attributes);
  });
});

describe('the corpus as the broker carries it', () => {
  it('accounts for every sample: an event, or the reason it cannot be one', () => {
    const { events, undeliverable } = corpusEvents();
    expect(events.length + undeliverable.length).toBe(listVebaFixtures().length);
    // Each sample with an id is its own event: no two share (source, id).
    const identified = events.filter((e) => e.attributes.id !== undefined);
    const identities = identified.map((e) => `${e.attributes.source}|${e.attributes.id}`);
    expect(new Set(identities).size).toBe(identified.length);
    expect(identities).toContain('https://vcenter.local/sdk|9902~1');
    expect(undeliverable).toContainEqual({
      file: 'kn-ps-webhook__test-payload.json',
      reason: 'no CloudEvent type recorded anywhere: the broker cannot route it',
    });
  });

  it('sends a sample that is not JSON as its bytes, with its recorded type', () => {
    const event = corpusEvents().events.find(
      (e) => e.origin === 'kn-pcli-template__test-payload.json',
    );
    expect(event?.attributes.type).toBe('com.vmware.vsphere.DvsReconfiguredEvent.v0');
    expect(event?.rawBody).toContain('REPLACE-ME');
  });

  it("gives the Go tagging example's bare bodies its Trigger's type and their Key as id", () => {
    const event = corpusEvents().events.find((e) => e.origin === 'kn-go-tagging__event.json');
    expect(event?.attributes).toMatchObject({
      type: 'com.vmware.vsphere.VmPoweredOnEvent.v0',
      id: String((event?.data as { Key: number }).Key),
      source: 'https://vcenter.local/sdk',
    });
  });

  it('keeps incomplete CloudEvents incomplete (the negative cases stay negative)', () => {
    const event = corpusEvents().events.find(
      (e) => e.origin === 'legacy/openfaas-pagerduty-trigger__invalid-event-1.json',
    );
    expect(event?.attributes.specversion).toBeUndefined();
    expect(event?.attributes.type).toBe('com.vmware.event.router/event');
  });

  it('keeps every n-th sample for the quick run', () => {
    const all = corpusEvents();
    const quick = corpusEvents({ every: 4 });
    expect(quick.events.length + quick.undeliverable.length).toBe(
      Math.ceil(listVebaFixtures().length / 4),
    );
    expect(quick.events.length).toBeLessThan(all.events.length);
  });
});

describe('the function launcher', () => {
  it('runs dist/main.js, the container command of every function', () => {
    const dir = join(tmpdir(), 'veba-demo-entry');
    expect(functionEntryPoint(dir)).toBe(join(dir, 'dist', 'main.js'));
  });
});
