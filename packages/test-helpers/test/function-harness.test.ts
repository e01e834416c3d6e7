import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvalidEventError, defineFunction, type CloudEvent } from '@veba-functions/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import {
  deliverToHandler,
  fixtureEvent,
  handlerContext,
  httpRequest,
  sendCloudEvent,
  startTestFunction,
  sumSamples,
  type TestFunction,
} from '../src/index.js';

const running: TestFunction[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((fn) => fn.stop()));
});

describe('the function harness', () => {
  it('sends a corpus event in binary and structured mode to a started function', async () => {
    const seen: Array<{ id: string; type: string; data: unknown; tag: unknown }> = [];
    const fn = await startTestFunction(
      defineFunction({
        name: 'harness',
        handle(event, ctx) {
          seen.push({ id: event.id, type: event.type, data: event.data, tag: event['tag'] });
          ctx.logger.info('seen');
        },
      }),
    );
    running.push(fn);
    const event = fixtureEvent('kn-pcli-tag__test-payload.json', { id: 'é-1', tag: 'x y' });
    expect((await sendCloudEvent(fn.url, event)).status).toBe(204);
    expect((await sendCloudEvent(fn.url, event, { mode: 'structured' })).status).toBe(204);
    expect(seen.map((s) => s.id)).toEqual(['é-1', 'é-1']);
    expect(seen[0]!.data).toEqual(event.data);
    expect(seen[0]!.tag).toBe('x y');
    expect(fn.logs.messages('info').filter((m) => m === 'seen')).toHaveLength(2);
    expect(
      await fn.metric('veba_function_events_total', { function: 'harness', outcome: 'processed' }),
    ).toBe(2);
  });

  it('httpRequest keeps the URL path and query when no path is given', async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      await httpRequest(`http://127.0.0.1:${port}/events?x=1`, { method: 'GET' });
      await httpRequest(`http://127.0.0.1:${port}/events?x=1`, { method: 'GET', path: '/metrics' });
      expect(seen).toEqual(['/events?x=1', '/metrics']);
    } finally {
      server.close();
    }
  });

  it('refuses a corpus sample that is not a complete CloudEvent', () => {
    expect(() => fixtureEvent('kn-go-tagging__eventErr1.json')).toThrow(
      /not a complete CloudEvent/,
    );
  });

  it('aborts an httpRequest through its signal (a server that never answers)', async () => {
    const server = createServer(() => undefined);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const controller = new AbortController();
      const reply = httpRequest(url, { body: '{}', signal: controller.signal });
      controller.abort();
      await expect(reply).rejects.toMatchObject({ name: 'AbortError' });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });

  it('sums Prometheus samples by label', () => {
    const text = [
      '# HELP x y',
      'x_total{function="a",outcome="ok"} 2',
      'x_total{function="a",outcome="bad"} 3',
      'x_total{function="b",outcome="ok"} 5',
      'x_total_other 9',
    ].join('\n');
    expect(sumSamples(text, 'x_total')).toBe(10);
    expect(sumSamples(text, 'x_total', { function: 'a' })).toBe(5);
    expect(sumSamples(text, 'x_total', { outcome: 'ok' })).toBe(7);
  });

  it('builds a handler context with a capturing logger, a signal and a deadline', () => {
    const ctx = handlerContext({ state: { n: 1 }, timeoutMs: 1000 });
    ctx.logger.warn({ a: 1 }, 'careful');
    expect(ctx.logs.messages('warn')).toEqual(['careful']);
    expect(ctx.state.n).toBe(1);
    expect(ctx.deadline - Date.now()).toBeLessThanOrEqual(1000);
    expect(ctx.signal.aborted).toBe(false);
    ctx.controller.abort();
    expect(ctx.signal.aborted).toBe(true);
  });

  it('deliverToHandler: the parse step once, a skip answered 200, a throw answered with its status', async () => {
    const definition = defineFunction({
      name: 'delivery',
      parse: (event) => (event.type === 'skip.me' ? { skipped: 'not mine' } : event.id),
      handle(id, ctx) {
        ctx.logger.debug(`handling ${id}`);
        if (id === 'bad') throw new InvalidEventError('data.Key is missing');
        return { status: 200, body: { id } };
      },
    });
    const deliver = (overrides: Record<string, string>, level?: string) =>
      deliverToHandler(
        definition,
        // The attributes the parse step reads (test-helpers has no cloudevents of its own).
        fixtureEvent('kn-pcli-tag__test-payload.json', overrides) as unknown as CloudEvent<unknown>,
        handlerContext({ state: undefined }),
        level === undefined ? {} : { level },
      );
    expect(await deliver({ id: 'ok' })).toEqual({
      status: 200,
      result: { status: 200, body: { id: 'ok' } },
      logs: ['handling ok'],
    });
    expect(await deliver({ id: 'ok' }, 'info')).toMatchObject({ logs: [] });
    expect(await deliver({ type: 'skip.me' })).toEqual({
      status: 200,
      result: { skipped: 'not mine' },
      logs: [],
    });
    expect(await deliver({ id: 'bad' })).toMatchObject({ status: 400, logs: ['handling bad'] });
  });
});
