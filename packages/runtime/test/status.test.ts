import { describe, expect, it } from 'vitest';
import {
  DependencyUnavailableError,
  EventInProgressError,
  InvalidEventError,
  UpstreamRejectedError,
  defineFunction,
  mapError,
} from '../src/index.js';
import type { AnyFunctionDefinition, HandleResult } from '../src/index.js';
import { drsEvent, postBinary, send, start } from './helpers.js';

type Outcome = () => Promise<HandleResult | void> | HandleResult | void;

function returning(result: Outcome): AnyFunctionDefinition {
  return defineFunction({ name: 'status', handle: (): ReturnType<Outcome> => result() });
}

describe('handler outcomes map to the status contract', () => {
  const table: Array<[string, Outcome, number, string]> = [
    ['void', () => undefined, 204, 'processed'],
    ['async void', () => Promise.resolve(undefined), 204, 'processed'],
    ['{ status: 202 }', () => ({ status: 202 as const }), 202, 'processed'],
    ['{ body }', () => ({ body: { ok: true } }), 200, 'processed'],
    ['{ skipped }', () => ({ skipped: 'type not handled' }), 200, 'ignored'],
    [
      'InvalidEventError',
      () => Promise.reject(new InvalidEventError('data.Vm is missing')),
      400,
      'invalid',
    ],
    ['EventInProgressError', () => Promise.reject(new EventInProgressError()), 409, 'in_progress'],
    [
      'UpstreamRejectedError',
      () => Promise.reject(new UpstreamRejectedError('vCenter said 403')),
      502,
      'failed',
    ],
    [
      'DependencyUnavailableError',
      () => Promise.reject(new DependencyUnavailableError('vCenter down')),
      503,
      'unavailable',
    ],
    ['an unexpected error', () => Promise.reject(new TypeError('x is undefined')), 500, 'failed'],
    [
      'a synchronous throw',
      () => {
        throw new InvalidEventError('sync');
      },
      400,
      'invalid',
    ],
  ];
  it.each(table)('%s -> %i (%s)', async (_name, result, status, outcome) => {
    const fn = await start(returning(result));
    const reply = await postBinary(fn.url);
    expect(reply.status).toBe(status);
    const metrics = await fn.metrics.getSingleMetricAsString('veba_function_events_total');
    expect(metrics).toContain(`type="${drsEvent.type}",outcome="${outcome}"} 1`);
    const histogram = await fn.metrics.getSingleMetricAsString(
      'veba_function_handler_duration_seconds',
    );
    expect(histogram).toContain(
      `veba_function_handler_duration_seconds_count{function="status",type="${drsEvent.type}"} 1`,
    );
  });

  it('400 from InvalidEventError carries { error: "invalid_event", reason } and is logged at warn with id, type, source', async () => {
    const fn = await start(
      returning(() => Promise.reject(new InvalidEventError('data.Vm is missing'))),
    );
    const reply = await postBinary(fn.url);
    expect(reply.json()).toEqual({ error: 'invalid_event', reason: 'data.Vm is missing' });
    const warn = fn.logs.records().find((r) => r.level === 'warn');
    expect(warn).toMatchObject({
      ceId: drsEvent.id,
      ceType: drsEvent.type,
      ceSource: drsEvent.source,
      reason: 'data.Vm is missing',
    });
  });

  it('{ skipped } is logged at info with the reason and answered with it', async () => {
    const fn = await start(returning(() => ({ skipped: 'type not handled' })));
    const reply = await postBinary(fn.url);
    expect(reply.json()).toEqual({ skipped: 'type not handled' });
    expect(fn.logs.records().find((r) => r.reason === 'type not handled')?.level).toBe('info');
  });

  it('503 carries Retry-After when the error says when', async () => {
    const fn = await start(
      returning(() =>
        Promise.reject(new DependencyUnavailableError('rate limited', { retryAfterSeconds: 2.5 })),
      ),
    );
    const reply = await postBinary(fn.url);
    expect(reply.status).toBe(503);
    expect(reply.headers['retry-after']).toBe('3');
  });

  it('500 does not echo the error message to the sender, but logs it at error', async () => {
    const fn = await start(returning(() => Promise.reject(new Error('internal detail'))));
    const reply = await postBinary(fn.url);
    expect(reply.json()).toEqual({ error: 'internal_error' });
    const line = fn.logs.records().find((r) => r.level === 'error');
    expect((line?.err as { message?: string }).message).toBe('internal detail');
  });

  it('handler deadline -> 503 with the signal aborted', async () => {
    let aborted = false;
    const fn = await start(
      defineFunction({
        name: 'slow',
        handle: (_event, ctx) =>
          new Promise<void>((resolve) => {
            ctx.signal.addEventListener('abort', () => {
              aborted = true;
              resolve();
            });
          }),
      }),
      { env: { FUNCTION_TIMEOUT_SECONDS: '0.1' } },
    );
    const reply = await postBinary(fn.url);
    expect(reply.status).toBe(503);
    expect(aborted).toBe(true);
  });
});

describe('body limit', () => {
  const def = defineFunction({ name: 'limit', handle: () => undefined });
  const big = JSON.stringify({ blob: 'x'.repeat(4096) });

  it('413 from content-length before reading the body', async () => {
    const fn = await start(def, { env: { FUNCTION_MAX_BODY_BYTES: '1024' } });
    const reply = await postBinary(fn.url, {}, big);
    expect(reply.status).toBe(413);
    expect(reply.json()).toMatchObject({ error: 'too_large' });
    expect(reply.headers.connection).toBe('close');
    expect(await fn.metrics.getSingleMetricAsString('veba_function_events_total')).toMatch(
      /outcome="too_large"} 1/,
    );
    expect(fn.logs.records().find((r) => r.status === 413)).toMatchObject({
      level: 'warn',
      ceId: drsEvent.id,
    });
  });

  it('413 for a chunked body that grows over the limit', async () => {
    const fn = await start(def, { env: { FUNCTION_MAX_BODY_BYTES: '1024' } });
    const reply = await postBinary(fn.url, { 'transfer-encoding': 'chunked' }, big);
    expect(reply.status).toBe(413);
  });

  it('a body at the limit is accepted', async () => {
    const body = JSON.stringify({ blob: 'x'.repeat(1000) });
    const fn = await start(def, {
      env: { FUNCTION_MAX_BODY_BYTES: String(Buffer.byteLength(body)) },
    });
    expect((await postBinary(fn.url, {}, body)).status).toBe(204);
  });

  it('the default limit is 1 MiB', async () => {
    const fn = await start(def);
    const body = JSON.stringify({ blob: 'x'.repeat(1024 * 1024) });
    expect((await postBinary(fn.url, {}, body)).status).toBe(413);
  });
});

describe('batch mode', () => {
  it('processes each event and answers the worst status with per-event results', async () => {
    const seen: string[] = [];
    const fn = await start(
      defineFunction({
        name: 'batch',
        handle(event) {
          seen.push(event.id);
          if (event.id === 'down') throw new DependencyUnavailableError('vCenter down');
        },
      }),
    );
    const events = [
      { ...drsEvent, id: 'ok-1' },
      { ...drsEvent, id: 'bad', specversion: '0.3' },
      { ...drsEvent, id: 'down' },
      { ...drsEvent, id: 'ok-2' },
    ];
    const reply = await send(fn.url, {
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      body: JSON.stringify(events),
    });
    expect(reply.status).toBe(503);
    expect(seen).toEqual(['ok-1', 'down', 'ok-2']);
    expect(reply.json<{ results: unknown[] }>().results).toEqual([
      { id: 'ok-1', status: 204, outcome: 'processed' },
      {
        id: 'bad',
        status: 400,
        outcome: 'invalid',
        reason: expect.stringMatching(/specversion/) as unknown,
      },
      { id: 'down', status: 503, outcome: 'unavailable', reason: 'vCenter down' },
      { id: 'ok-2', status: 204, outcome: 'processed' },
    ]);
  });

  it('an all-good batch answers 200', async () => {
    const fn = await start(defineFunction({ name: 'batch', handle: () => undefined }));
    const reply = await send(fn.url, {
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      body: JSON.stringify([drsEvent, { ...drsEvent, id: '2' }]),
    });
    expect(reply.status).toBe(200);
  });

  it('a batch that is not an array is 400', async () => {
    const fn = await start(defineFunction({ name: 'batch', handle: () => undefined }));
    const reply = await send(fn.url, {
      headers: { 'content-type': 'application/cloudevents-batch+json' },
      body: JSON.stringify(drsEvent),
    });
    expect(reply.status).toBe(400);
  });
});

describe('mapError', () => {
  it('maps a function-owned subclass by the runtime class it extends', () => {
    class TagGoneError extends UpstreamRejectedError {
      override readonly name = 'TagGoneError';
    }
    class VmMissingError extends InvalidEventError {
      override readonly name = 'VmMissingError';
    }
    expect(mapError(new TagGoneError('gone')).status).toBe(502);
    expect(mapError(new VmMissingError('missing')).status).toBe(400);
  });

  it.each(['constructor', 'toString', '__proto__', 'valueOf'])(
    'maps an error named %s to 500, never to an inherited entry',
    (name) => {
      const error = new Error('x');
      error.name = name;
      expect(mapError(error)).toMatchObject({ status: 500, outcome: 'failed' });
    },
  );
});
