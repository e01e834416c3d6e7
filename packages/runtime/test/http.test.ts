import type { CloudEvent } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { defineFunction } from '../src/index.js';
import { drsEvent, get, postBinary, send, start } from './helpers.js';

function recorder() {
  const events: Array<CloudEvent<unknown>> = [];
  const def = defineFunction({
    name: 'recorder',
    handle(event) {
      events.push(event);
    },
  });
  return { def, events };
}

describe('POST / accepts CloudEvents 1.0', () => {
  it('binary mode: attributes from ce-* headers, data parsed from the JSON body, 204', async () => {
    const { def, events } = recorder();
    const fn = await start(def);
    const reply = await postBinary(fn.url, {
      'ce-vsphereapiversion': '8.0.2.0',
      'ce-eventclass': 'event',
    });
    expect(reply.status).toBe(204);
    expect(events).toHaveLength(1);
    const event = events[0]!;
    expect(event.id).toBe(drsEvent.id);
    expect(event.source).toBe(drsEvent.source);
    expect(event.type).toBe(drsEvent.type);
    expect(event.specversion).toBe('1.0');
    expect(event.time).toBe('2021-09-27T19:02:54.063Z');
    expect(event.data).toEqual(drsEvent.data);
    expect(event['vsphereapiversion']).toBe('8.0.2.0');
    expect(event['eventclass']).toBe('event');
  });

  it('structured mode: the whole event is the JSON body', async () => {
    const { def, events } = recorder();
    const fn = await start(def);
    const reply = await send(fn.url, {
      headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' },
      body: JSON.stringify(drsEvent),
    });
    expect(reply.status).toBe(204);
    expect(events[0]?.id).toBe(drsEvent.id);
    expect(events[0]?.data).toEqual(drsEvent.data);
  });
});

describe('invalid events are answered 400 and logged at warn', () => {
  const structured = (event: Record<string, unknown>) => ({
    headers: { 'content-type': 'application/cloudevents+json' },
    body: JSON.stringify(event),
  });
  const { id: _id, ...withoutId } = drsEvent;
  const { source: _source, ...withoutSource } = drsEvent;
  const { type: _type, ...withoutType } = drsEvent;
  const cases: Array<[string, { headers?: Record<string, string>; body?: string }, RegExp]> = [
    [
      'binary without ce-id',
      { headers: { ...binary({ 'ce-id': undefined }) }, body: '{}' },
      /missing required attribute id/,
    ],
    [
      'binary without ce-source',
      { headers: binary({ 'ce-source': undefined }), body: '{}' },
      /missing required attribute source/,
    ],
    [
      'binary without ce-type',
      { headers: binary({ 'ce-type': undefined }), body: '{}' },
      /missing required attribute type/,
    ],
    [
      'binary with specversion 0.3',
      { headers: binary({ 'ce-specversion': '0.3' }), body: '{}' },
      /unsupported specversion "0.3"/,
    ],
    ['structured without id', structured(withoutId), /missing required attribute id/],
    ['structured without source', structured(withoutSource), /missing required attribute source/],
    ['structured without type', structured(withoutType), /missing required attribute type/],
    [
      'structured with specversion 0.3',
      structured({ ...drsEvent, specversion: '0.3' }),
      /unsupported specversion/,
    ],
    [
      'malformed structured JSON',
      { headers: { 'content-type': 'application/cloudevents+json' }, body: '{"id": "1",' },
      /malformed JSON/,
    ],
    [
      'plain JSON with no CloudEvent attributes',
      { headers: { 'content-type': 'application/json' }, body: JSON.stringify(drsEvent.data) },
      /no CloudEvent attributes/,
    ],
    ['empty body', { headers: {}, body: '' }, /empty body/],
    [
      'empty structured body',
      { headers: { 'content-type': 'application/cloudevents+json' }, body: '' },
      /empty body/,
    ],
  ];

  function binary(overrides: Record<string, string | undefined> = {}): Record<string, string> {
    const headers: Record<string, string | undefined> = {
      'ce-id': 'evt-1',
      'ce-source': 'https://vc/sdk',
      'ce-type': 'com.vmware.vsphere.VmPoweredOnEvent.v0',
      'ce-specversion': '1.0',
      'content-type': 'application/json',
      ...overrides,
    };
    return Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >;
  }

  it.each(cases)('%s', async (_name, request, reason) => {
    const { def, events } = recorder();
    const fn = await start(def);
    const reply = await send(fn.url, request);
    expect(reply.status).toBe(400);
    const body = reply.json<{ error: string; reason: string }>();
    expect(body.error).toBe('invalid_event');
    expect(body.reason).toMatch(reason);
    expect(events).toHaveLength(0);
    const warn = fn.logs.records().find((r) => r.msg === 'event rejected');
    expect(warn?.level).toBe('warn');
    expect(warn?.reason).toMatch(reason);
    const metrics = await fn.metrics.getSingleMetricAsString('veba_function_events_total');
    expect(metrics).toMatch(/outcome="invalid"} 1/);
  });

  it('binary mode parses JSON data on first read: malformed JSON -> 400 for a handler that reads it', async () => {
    const reader = defineFunction({
      name: 'reader',
      handle(event) {
        void event.data;
      },
    });
    const fn = await start(reader);
    const reply = await send(fn.url, { headers: binary(), body: '{"Key": ' });
    expect(reply.status).toBe(400);
    expect(reply.json()).toMatchObject({
      error: 'invalid_event',
      reason: expect.stringMatching(/data is not valid JSON/) as unknown,
    });
    // A handler that never reads the payload is not failed for it.
    const { def } = recorder();
    const ignoring = await start(def);
    expect((await send(ignoring.url, { headers: binary(), body: '{"Key": ' })).status).toBe(204);
  });

  it('a rejected event is logged with its id, type and source', async () => {
    const { def } = recorder();
    const fn = await start(def);
    const reply = await send(fn.url, { headers: binary({ 'ce-specversion': '0.3' }), body: '{}' });
    expect(reply.status).toBe(400);
    const warn = fn.logs.records().find((r) => r.msg === 'event rejected');
    expect(warn).toMatchObject({
      level: 'warn',
      ceId: 'evt-1',
      ceType: 'com.vmware.vsphere.VmPoweredOnEvent.v0',
      ceSource: 'https://vc/sdk',
    });
  });
});

describe('health', () => {
  it('liveness 200, readiness 200 once ready, unknown paths 404', async () => {
    const { def } = recorder();
    const fn = await start(def);
    expect((await get(fn.url, '/health/liveness')).status).toBe(200);
    expect((await get(fn.url, '/health/readiness')).status).toBe(200);
    expect((await get(fn.url, '/nope')).status).toBe(404);
    expect(fn.ready).toBe(true);
  });
});

describe('GET /metrics', () => {
  it('veba_function_events_in_flight counts the events held by the handler, 0 once answered', async () => {
    const release: Array<() => void> = [];
    const def = defineFunction({
      name: 'held',
      handle: () => new Promise<void>((resolve) => release.push(resolve)),
    });
    const fn = await start(def);
    const inFlight = async () =>
      /veba_function_events_in_flight\{function="held"\} (\d+)/.exec(
        (await get(fn.url, '/metrics')).body,
      )?.[1];
    expect(await inFlight()).toBe('0');
    const answers = [postBinary(fn.url), postBinary(fn.url, { 'ce-id': 'second' })];
    await expect.poll(() => release.length).toBe(2);
    expect(await inFlight()).toBe('2');
    release.splice(0).forEach((done) => done());
    expect((await Promise.all(answers)).map((r) => r.status)).toEqual([204, 204]);
    expect(await inFlight()).toBe('0');
  });
});
