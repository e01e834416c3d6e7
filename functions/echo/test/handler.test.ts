import { CloudEvent } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { fixtureEvent, handlerContext } from '@veba-functions/test-helpers';
import type { EchoConfig } from '../src/config.js';
import { DATA_MAX_LENGTH, handle } from '../src/handler.js';

const event = new CloudEvent<unknown>(
  fixtureEvent('docs-extracted/docs-use-eventspec__DrsVmPoweredOnEvent.json'),
);

const context = (config: EchoConfig = { ECHO_LOG_DATA: false }) =>
  handlerContext<undefined, EchoConfig>({ state: undefined, config });

describe('echo handle(event, ctx)', () => {
  it('logs one info line with the subject and time, returns nothing (204)', () => {
    const ctx = context();
    expect(handle(event, ctx)).toBeUndefined();
    const records = ctx.logs.records();
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({
      level: 'info',
      msg: 'event received',
      eventTime: event.time,
    });
    expect(records[0]).not.toHaveProperty('data');
  });

  it('with ECHO_LOG_DATA adds the data as JSON', () => {
    const ctx = context({ ECHO_LOG_DATA: true });
    handle(event, ctx);
    expect(JSON.parse(ctx.logs.records()[0]!.data as string)).toEqual(event.data);
  });

  it('cuts long data to 2 KiB and logs an event without data', () => {
    const ctx = context({ ECHO_LOG_DATA: true });
    handle(event.cloneWith({ data: { Blob: 'x'.repeat(10_000) } }), ctx);
    const data = ctx.logs.records()[0]!.data as string;
    expect(data).toHaveLength(DATA_MAX_LENGTH);
    expect(data.endsWith('…')).toBe(true);
    handle(new CloudEvent<unknown>({ id: '1', source: 's', type: 't' }), ctx);
    expect(ctx.logs.records()[1]).toMatchObject({ msg: 'event received' });
    expect(ctx.logs.records()[1]).not.toHaveProperty('data');
  });
});
