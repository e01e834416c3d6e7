/**
 * One set of CloudEvents 1.0 rules for every content mode, over real HTTP: what binary mode (the
 * broker's) refuses, structured and batch mode refuse with the same reason, and the other way
 * round. Spec references: https://github.com/cloudevents/spec/blob/main/cloudevents/spec.md
 * ("Naming Conventions", "Type System", the attribute constraints), the JSON format
 * (formats/json-format.md, section 2.2: `null` means not set) and the HTTP binding
 * (bindings/http-protocol-binding.md, section 3.1: data is the body; header values are
 * percent-decoded and invalid UTF-8 is rejected).
 */
import type { CloudEvent } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { InvalidEventError, defineFunction } from '../src/index.js';
import { drsEvent, rawExchange, send, start } from './helpers.js';
import type { Reply } from './helpers.js';

function recorder() {
  const events: Array<CloudEvent<unknown>> = [];
  const def = defineFunction({
    name: 'rules',
    handle(event) {
      events.push(event);
    },
  });
  return { def, events };
}

const base = {
  specversion: '1.0',
  id: 'evt-1',
  source: 'https://vcenter-01:443/sdk',
  type: 'com.vmware.vsphere.VmPoweredOnEvent.v0',
};

/** The event in binary mode: every attribute a ce- header (percent-encoded), data the body. */
function binary(
  attrs: Record<string, string>,
  body = '{"Key":1}',
): { headers: Record<string, string>; body: string } {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const [name, value] of Object.entries(attrs))
    headers[`ce-${name}`] = value.replace(/[^\x21-\x24\x26-\x7e]/gu, (c) => encodeURIComponent(c));
  return { headers, body };
}

/** The same event in structured mode. */
function structured(attrs: Record<string, unknown>, data: unknown = { Key: 1 }) {
  return {
    headers: { 'content-type': 'application/cloudevents+json' },
    body: JSON.stringify({ ...attrs, data }),
  };
}

function expectInvalid(reply: Reply, reason: RegExp): void {
  expect(reply.status).toBe(400);
  expect(reply.json()).toMatchObject({
    error: 'invalid_event',
    reason: expect.stringMatching(reason) as unknown,
  });
}

describe('binary and structured mode apply the same attribute rules', () => {
  const refused: Array<[string, Record<string, string>, RegExp]> = [
    ['time that is not RFC 3339', { time: 'yesterday' }, /attribute time is not an RFC 3339/],
    ['time with an impossible date', { time: '2021-02-29T10:00:00Z' }, /attribute time/],
    ['time with a leap second', { time: '2016-12-31T23:59:60Z' }, /attribute time/],
    ['source with a space', { source: 'https://vc 01/sdk' }, /attribute source is not a URI/],
    ['source with a colon in a relative first segment', { source: '1:2' }, /attribute source/],
    ['source with a stray %', { source: '/sdk%zz' }, /attribute source has a "%"/],
    ['dataschema that is not a URI', { dataschema: 'not a uri' }, /attribute dataschema/],
    ['relative dataschema', { dataschema: '/schemas/vm' }, /dataschema is not an absolute URI/],
    ['extension name with _', { my_ext: 'x' }, /invalid attribute name "my_ext"/],
    ['empty subject', { subject: '' }, /attribute subject must not be empty/],
    ['specversion 0.3', { specversion: '0.3' }, /unsupported specversion "0.3"/],
    ['schemaurl on a 1.0 event', { schemaurl: 'https://x/s' }, /schemaurl is a CloudEvents 0.3/],
    ['a control character in subject', { subject: 'a\u0001b' }, /subject holds the control/],
    ['a noncharacter in an extension', { note: 'a\ufffeb' }, /note holds the noncharacter/],
  ];

  it.each(refused)('%s: 400 in both modes, same reason', async (_name, overrides, reason) => {
    const { def, events } = recorder();
    const fn = await start(def);
    const attrs = { ...base, ...overrides };
    const viaHeaders = await send(fn.url, binary(attrs));
    const viaBody = await send(fn.url, structured(attrs));
    expectInvalid(viaHeaders, reason);
    expectInvalid(viaBody, reason);
    expect(viaHeaders.json<{ reason: string }>().reason).toBe(
      viaBody.json<{ reason: string }>().reason,
    );
    expect(events).toHaveLength(0);
  });

  it('a valid event with every optional attribute: accepted in both modes, the same attributes', async () => {
    const { def, events } = recorder();
    const fn = await start(def);
    const attrs = {
      ...base,
      time: '2021-09-27t19:02:54.063123+02:00',
      subject: 'VmPoweredOnEvent café',
      dataschema: 'urn:vmware:vsphere:event',
      source: 'https://[fe80::1]:443/sdk?x=1#f',
      eventclass: 'event',
      vsphereapiversion: '8.0.2.0',
    };
    expect((await send(fn.url, binary(attrs))).status).toBe(204);
    expect((await send(fn.url, structured(attrs))).status).toBe(204);
    const seen = events.map((event) => {
      const picked: Record<string, unknown> = { data: event.data };
      for (const name of Object.keys(attrs)) picked[name] = event[name];
      return picked;
    });
    expect(seen).toEqual([
      { ...attrs, data: { Key: 1 } },
      { ...attrs, data: { Key: 1 } },
    ]);
  });

  it('structured mode only: extension values must be String, Boolean or Integer; null means not set', async () => {
    const { def, events } = recorder();
    const fn = await start(def);
    expectInvalid(
      await send(fn.url, structured({ ...base, meta: { a: 1 } })),
      /attribute meta must be a string, a boolean or an integer/,
    );
    expectInvalid(
      await send(fn.url, structured({ ...base, count: 2 ** 31 })),
      /attribute count is outside the Integer range/,
    );
    expectInvalid(
      await send(fn.url, structured({ ...base, id: 7 })),
      /attribute id must be a string/,
    );
    expectInvalid(
      await send(fn.url, structured({ ...base, Priority: 'high' })),
      /invalid attribute name "Priority"/,
    );
    expectInvalid(
      await send(fn.url, {
        headers: { 'content-type': 'application/cloudevents+json' },
        body: `{"__proto__":{"x":"1"},${JSON.stringify(base).slice(1)}`,
      }),
      /invalid attribute name "__proto__"/,
    );
    expect(
      (await send(fn.url, structured({ ...base, subject: null, count: 3, urgent: true }))).status,
    ).toBe(204);
    expect(events[0]).toMatchObject({ count: 3, urgent: true, subject: undefined });
  });

  it('binary mode only: an attribute sent twice is refused, header names are case-insensitive', async () => {
    const { def, events } = recorder();
    const fn = await start(def);
    const reply = await send(fn.url, {
      headers: { ...binary(base).headers, 'ce-eventclass': ['event', 'eventex'] },
      body: '{}',
    });
    expectInvalid(reply, /attribute eventclass is sent in more than one ce- header/);
    expectInvalid(
      await send(fn.url, { headers: { ...binary(base).headers, 'ce-__proto__': 'x' }, body: '{}' }),
      /invalid attribute name "__proto__"/,
    );
    const mixedCase = await send(fn.url, {
      headers: { ...binary(base).headers, 'CE-EventClass': 'event' },
      body: '{}',
    });
    expect(mixedCase.status).toBe(204);
    expect(events[0]?.['eventclass']).toBe('event');
  });
});

describe('strings are well-formed Unicode', () => {
  const loneSurrogate = '"\\ud800"';

  it.each(['id', 'source'])(
    'structured: a lone surrogate in %s is a 400 naming the attribute',
    async (name) => {
      const { def, events } = recorder();
      const fn = await start(def);
      const body = JSON.stringify({ ...base, data: {} }).replace(
        `"${name}":${JSON.stringify(base[name as keyof typeof base])}`,
        `"${name}":${loneSurrogate}`,
      );
      const reply = await send(fn.url, {
        headers: { 'content-type': 'application/cloudevents+json' },
        body,
      });
      expectInvalid(reply, new RegExp(`attribute ${name} holds an unpaired surrogate U\\+D800`));
      expect(events).toHaveLength(0);
    },
  );

  it('batch: only the member with the lone surrogate is refused; the others are processed', async () => {
    const { def, events } = recorder();
    const fn = await start(def);
    const members = [
      JSON.stringify({ ...base, id: 'ok-1' }),
      JSON.stringify({ ...base, id: 'x' }).replace('"id":"x"', `"id":${loneSurrogate}`),
      JSON.stringify({ ...base, id: 'ok-2' }),
    ];
    const reply = await send(fn.url, {
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      body: `[${members.join(',')}]`,
    });
    expect(reply.status).toBe(400);
    expect(reply.json<{ results: unknown[] }>().results).toEqual([
      { id: 'ok-1', status: 204, outcome: 'processed' },
      {
        id: '\ud800',
        status: 400,
        outcome: 'invalid',
        reason: expect.stringMatching(/attribute id holds an unpaired surrogate/) as unknown,
      },
      { id: 'ok-2', status: 204, outcome: 'processed' },
    ]);
    expect(events.map((event) => event.id)).toEqual(['ok-1', 'ok-2']);
  });

  it('binary: percent-encoded bytes that are not UTF-8 are refused (HTTP binding 3.1.3.2)', async () => {
    const { def, events } = recorder();
    const fn = await start(def);
    const headers = binary(base).headers;
    // %ED%A0%80 is a UTF-8-encoded surrogate, %C0%A0 the binding's own overlong example.
    for (const value of ['%ED%A0%80', 'a%C0%A0b', '%E2%82']) {
      expectInvalid(
        await send(fn.url, { headers: { ...headers, 'ce-id': value }, body: '{}' }),
        /header ce-id is not valid percent-encoded UTF-8/,
      );
    }
    expect(events).toHaveLength(0);
  });

  it('binary: quoted, percent-encoded and raw UTF-8 header values decode to the same string', async () => {
    const { def, events } = recorder();
    const fn = await start(def);
    const headers = binary(base).headers;
    for (const subject of ['caf%C3%A9%20%22x%22', '"caf%C3%A9 \\"x\\""']) {
      const reply = await send(fn.url, {
        headers: { ...headers, 'ce-subject': subject },
        body: '{}',
      });
      expect(reply.status).toBe(204);
    }
    // Raw UTF-8 bytes in a header (a sender that did not percent-encode): node:http would
    // re-encode the value, so the bytes go over a raw socket.
    const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`);
    const head = Buffer.concat([
      Buffer.from(`POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${lines.join('')}`),
      Buffer.from('ce-subject: café "x"\r\ncontent-length: 2\r\n\r\n{}', 'utf8'),
    ]);
    const raw = await rawExchange(fn.url, head);
    expect(raw.text).toMatch(/^HTTP\/1\.1 204 /);
    expect(events.map((event) => event.subject)).toEqual(['café "x"', 'café "x"', 'café "x"']);
  });
});

describe('deeply nested data', () => {
  const nested = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);

  it('structured and batch: 10,000 levels are a 400 at parse time; 64 levels are accepted', async () => {
    const { def, events } = recorder();
    const fn = await start(def);
    const deep = JSON.stringify({ ...base, data: 0 }).replace(
      '"data":0',
      `"data":${nested(10_000)}`,
    );
    expectInvalid(
      await send(fn.url, {
        headers: { 'content-type': 'application/cloudevents+json' },
        body: deep,
      }),
      /data is JSON nested deeper than 64 levels/,
    );
    expectInvalid(
      await send(fn.url, {
        headers: { 'content-type': 'application/cloudevents-batch+json' },
        body: `[${deep}]`,
      }),
      /nested deeper than 64 levels/,
    );
    const atBound = JSON.stringify({ ...base, data: 0 }).replace(
      '"data":0',
      `"data":${nested(64)}`,
    );
    const ok = await send(fn.url, {
      headers: { 'content-type': 'application/cloudevents+json' },
      body: atBound,
    });
    expect(ok.status).toBe(204);
    expect(events).toHaveLength(1);
  });

  it('binary: refused when data is first read (400), not before; a handler that serialises it never sees it', async () => {
    const summarising = defineFunction({
      name: 'summary',
      handle(event) {
        return { body: { summary: JSON.stringify(event.data).slice(0, 20) } };
      },
    });
    const fn = await start(summarising);
    const headers = binary(base).headers;
    expectInvalid(
      await send(fn.url, { headers, body: nested(10_000) }),
      /data is JSON nested deeper than 64 levels/,
    );
    const ok = await send(fn.url, { headers, body: nested(64) });
    expect(ok.status).toBe(200);
    const { def } = recorder();
    const ignoring = await start(def);
    expect((await send(ignoring.url, { headers, body: nested(10_000) })).status).toBe(204);
    // Strings holding brackets do not count.
    const quoted = JSON.stringify({ text: '['.repeat(1000), escaped: '\\"[[[' });
    expect((await send(fn.url, { headers, body: quoted })).status).toBe(200);
  });
});

describe('binary mode takes data from the body only', () => {
  it.each([
    ['ce-data', /data is not an attribute/],
    ['ce-data_base64', /invalid attribute name "data_base64"/],
  ])('%s is refused, with or without a body', async (header, reason) => {
    const { def, events } = recorder();
    const fn = await start(def);
    const headers = { ...binary(base).headers, [header]: 'eyJLZXkiOjF9' };
    expectInvalid(await send(fn.url, { headers, body: '' }), reason);
    expectInvalid(await send(fn.url, { headers, body: '{"Key":2}' }), reason);
    expect(events).toHaveLength(0);
  });

  it('ce-datacontenttype is refused: Content-Type carries it (HTTP binding 3.1.1)', async () => {
    const { def } = recorder();
    const fn = await start(def);
    const headers = { ...binary(base).headers, 'ce-datacontenttype': 'application/json' };
    expectInvalid(
      await send(fn.url, { headers, body: '{}' }),
      /ce-datacontenttype must not be sent/,
    );
  });

  it('an event without a body is valid, even with content-type application/json (the JS SDK sends that)', async () => {
    const { def, events } = recorder();
    const fn = await start(def);
    const reply = await send(fn.url, { headers: binary(base).headers, body: '' });
    expect(reply.status).toBe(204);
    expect(events[0]?.data).toBeUndefined();
    expect(events[0]?.id).toBe('evt-1');
  });

  it('a handler that needs data answers 400 with its own reason', async () => {
    const needsData = defineFunction({
      name: 'needs-data',
      handle(event) {
        if (event.data === undefined) throw new InvalidEventError('this function needs data.Vm');
      },
    });
    const fn = await start(needsData);
    expectInvalid(
      await send(fn.url, { headers: binary(base).headers, body: '' }),
      /^this function needs data\.Vm$/,
    );
    expect(
      (await send(fn.url, { headers: binary(base).headers, body: JSON.stringify(drsEvent.data) }))
        .status,
    ).toBe(204);
  });
});
