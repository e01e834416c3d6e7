import { CloudEvent } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { buildEvent, parseRequest, rawData, readHead } from '../src/cloudevent.js';
import { drsEvent } from './helpers.js';

describe('buildEvent (the binary fast path)', () => {
  const attrs = () => ({
    id: drsEvent.id,
    source: drsEvent.source,
    type: drsEvent.type,
    specversion: '1.0',
    time: '2021-09-27T19:02:54.063Z',
    datacontenttype: 'application/json',
    eventclass: 'event',
    vsphereapiversion: '8.0.2.0',
    data: drsEvent.data,
  });

  it('builds what new CloudEvent(attrs, false) builds', () => {
    const fast = buildEvent(attrs());
    const sdk = new CloudEvent<unknown>(attrs(), false);
    expect(fast).toBeInstanceOf(CloudEvent);
    expect({ ...fast }).toEqual({ ...sdk });
    expect(fast.toJSON()).toEqual(sdk.toJSON());
    expect(String(fast)).toBe(String(sdk));
    expect(Object.isFrozen(fast)).toBe(true);
  });

  it('fills a missing time like the SDK, and hands binary data to the SDK', () => {
    const { time: _time, ...rest } = attrs();
    expect(buildEvent(rest).time).toMatch(/^\d{4}-\d\d-\d\dT/);
    const binary = buildEvent({ ...attrs(), data: Buffer.from('abc') });
    expect(binary.data_base64).toBe(Buffer.from('abc').toString('base64'));
  });
});

describe('readHead', () => {
  it('reads ce-* headers in any case, percent-decodes values, and finds content-type and length', () => {
    const head = readHead([
      'CE-Id',
      '1',
      'Ce-Subject',
      'caf%C3%A9',
      'Content-Type',
      'application/json',
      'Content-Length',
      '12',
      'Host',
      'x',
    ]);
    expect(head).toEqual({
      contentType: 'application/json',
      contentLength: 12,
      ce: { id: '1', subject: 'café' },
    });
  });

  it('no ce-* headers -> ce undefined', () => {
    expect(readHead(['content-type', 'text/plain']).ce).toBeUndefined();
  });
});

describe('parseRequest', () => {
  const head = (extra: string[] = [], contentType = 'application/json') =>
    readHead([
      'ce-id',
      '1',
      'ce-source',
      's',
      'ce-type',
      't',
      'ce-specversion',
      '1.0',
      ...(contentType ? ['content-type', contentType] : []),
      ...extra,
    ]);

  it('text bodies stay strings, unknown types stay Buffers, no content type tries JSON', () => {
    const text = parseRequest(head([], 'text/plain'), Buffer.from('hello'));
    expect(text.mode === 'binary' && (text.event as CloudEvent<unknown>).data).toBe('hello');
    const binary = parseRequest(head([], 'application/octet-stream'), Buffer.from([1, 2]));
    expect(
      binary.mode === 'binary' && Buffer.isBuffer((binary.event as CloudEvent<unknown>).data),
    ).toBe(true);
    const none = parseRequest(head([], ''), Buffer.from('{"a":1}'));
    expect(none.mode === 'binary' && (none.event as CloudEvent<unknown>).data).toEqual({ a: 1 });
  });

  it('JSON data is parsed lazily, once, and the raw body stays readable', () => {
    const body = Buffer.from(JSON.stringify(drsEvent.data));
    const parsed = parseRequest(head(), body);
    const event = parsed.mode === 'binary' ? (parsed.event as CloudEvent<unknown>) : undefined;
    expect(event).toBeInstanceOf(CloudEvent);
    expect(rawData(event!)?.toString()).toBe(body.toString());
    expect(event!.data).toEqual(drsEvent.data);
    expect(event!.data).toBe(event!.data);
    expect(Object.isFrozen(event)).toBe(true);
    expect(JSON.parse(JSON.stringify(event))).toMatchObject({ id: '1', data: drsEvent.data });
    expect(rawData(buildEvent({ id: '1', data: { a: 1 } }))).toBeUndefined();
  });

  it('a binary event without a body has no data', () => {
    const parsed = parseRequest(head([], ''), Buffer.alloc(0));
    expect(parsed.mode === 'binary' && (parsed.event as CloudEvent<unknown>).data).toBeUndefined();
  });

  it('rejects schemaurl on a 1.0 event, as the SDK would', () => {
    const parsed = parseRequest(head(['ce-schemaurl', 'https://x']), Buffer.from('{}'));
    expect(parsed.mode === 'binary' && 'invalid' in parsed.event && parsed.event.invalid).toMatch(
      /schemaurl/,
    );
  });
});
