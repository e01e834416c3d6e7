import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { httpRequest, listVebaFixtures, sendCloudEvent } from '@veba-functions/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { corpusEvents } from '../src/demo/corpus.js';
import { functionEntryPoint } from '../src/demo/function-process.js';
import { startBrokerIngress } from '../src/demo/ingress.js';
import { slackWebhook, startHttpReceiver } from '../src/demo/receivers.js';
import { deliverEvent } from '../src/delivery.js';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((stop) => stop()));
});

describe('the Slack stand-in', () => {
  // Answers as https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks#handling_errors
  it('answers 200 ok to a message and 400 invalid_payload / no_text to what Slack refuses', async () => {
    const slack = await slackWebhook.start();
    stops.push(() => slack.stop());
    const post = (body: string) =>
      httpRequest(slack.url, {
        path: '/services/T000/B000/demo',
        headers: { 'content-type': 'application/json' },
        body,
      });

    const ok = await post(JSON.stringify({ text: 'VM powered on', blocks: [] }));
    expect([ok.status, ok.body, ok.headers['content-type']]).toEqual([200, 'ok', 'text/plain']);
    expect(await post('{"text": ')).toMatchObject({ status: 400, body: 'invalid_payload' });
    expect(await post('[]')).toMatchObject({ status: 400, body: 'invalid_payload' });
    expect(await post('{"username": "veba"}')).toMatchObject({ status: 400, body: 'no_text' });

    expect([slack.accepted, slack.refused]).toEqual([1, 3]);
    expect(slack.requests.map((r) => r.url)).toEqual(
      Array.from({ length: 4 }, () => '/services/T000/B000/demo'),
    );
    expect(slack.address).toBe(slack.url);
  });

  it('is one kind of receiver: any answer, counted as accepted or refused', async () => {
    const teams = await startHttpReceiver({
      label: 'Teams cards received',
      description: 'local',
      answer: (request) =>
        request.method === 'POST'
          ? { accepted: true, status: 202 }
          : { accepted: false, status: 405 },
    });
    stops.push(() => teams.stop());
    expect((await httpRequest(teams.url, { body: '{}' })).status).toBe(202);
    expect((await httpRequest(teams.url, { method: 'GET' })).status).toBe(405);
    expect([teams.accepted, teams.refused, teams.label]).toEqual([1, 1, 'Teams cards received']);
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
