/* eslint-disable @typescript-eslint/require-await -- the fake guard implements an async seam synchronously */
import { describe, expect, it } from 'vitest';
import { InvalidEventError, defineFunction } from '../src/index.js';
import type { CloudEvent, EventGuard } from '../src/index.js';
import { get, postBinary, start } from './helpers.js';

/** A tiny event model: what a vSphere parser does, without vSphere. */
class Order {
  constructor(
    readonly source: string,
    readonly id: string,
    readonly type: string,
    readonly sku: string,
  ) {}
}

function parseOrder(event: CloudEvent<unknown>): Order | { skipped: string } {
  if (!event.type.startsWith('com.vmware.vsphere.'))
    return { skipped: `type ${event.type} not handled` };
  const data = event.data as { Vm?: { Name?: unknown } } | undefined;
  const name = data?.Vm?.Name;
  if (typeof name !== 'string') throw new InvalidEventError('data.Vm.Name is missing');
  return new Order(event.source, event.id, event.type, name);
}

function orderFunction(seen: { parses: number; guard: unknown[]; handler: unknown[] }) {
  const guard: EventGuard<Order> = {
    name: 'record',
    async enter(event, ctx) {
      seen.guard.push(event, ctx.delivery);
      return { action: 'proceed' };
    },
  };
  return defineFunction({
    name: 'orders',
    parse(event) {
      seen.parses += 1;
      return parseOrder(event);
    },
    guards: [guard],
    handle(event, _ctx) {
      seen.handler.push(event);
      return { status: 200, body: { sku: event.sku } };
    },
  });
}

describe('the parse step (one event model per delivery)', () => {
  it('parses once; the guards and the handler see the same model, the guards also the delivery', async () => {
    const seen = { parses: 0, guard: [] as unknown[], handler: [] as unknown[] };
    const fn = await start(orderFunction(seen));
    const reply = await postBinary(fn.url);
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ sku: 'workload1' });
    expect(seen.parses).toBe(1);
    expect(seen.handler[0]).toBeInstanceOf(Order);
    expect(seen.guard[0]).toBe(seen.handler[0]);
    expect((seen.guard[1] as CloudEvent<unknown>).id).toBe((seen.handler[0] as Order).id);
  });

  it('{ skipped } from parse answers 200, counted ignored, without guards or handler', async () => {
    const seen = { parses: 0, guard: [] as unknown[], handler: [] as unknown[] };
    const fn = await start(orderFunction(seen));
    const reply = await postBinary(fn.url, { 'ce-type': 'com.example.other' });
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ skipped: 'type com.example.other not handled' });
    expect(seen.guard).toEqual([]);
    expect(seen.handler).toEqual([]);
    const metrics = (await get(fn.url, '/metrics')).body;
    expect(metrics).toContain(
      'veba_function_events_total{function="orders",type="com.example.other",outcome="ignored"} 1',
    );
  });

  it('InvalidEventError from parse answers 400 with the reason, without guards or handler', async () => {
    const seen = { parses: 0, guard: [] as unknown[], handler: [] as unknown[] };
    const fn = await start(orderFunction(seen));
    const reply = await postBinary(fn.url, {}, JSON.stringify({ Vm: null }));
    expect(reply.status).toBe(400);
    expect(reply.json()).toEqual({ error: 'invalid_event', reason: 'data.Vm.Name is missing' });
    expect(seen.guard).toEqual([]);
    expect(seen.handler).toEqual([]);
  });

  it('an unexpected throw from parse is a 500 (a bug, retried), not a crash', async () => {
    const fn = await start(
      defineFunction({
        name: 'broken-parse',
        parse(): never {
          throw new TypeError('boom');
        },
        handle: () => undefined,
      }),
    );
    expect((await postBinary(fn.url)).status).toBe(500);
    expect((await get(fn.url, '/health/liveness')).status).toBe(200);
  });
});
