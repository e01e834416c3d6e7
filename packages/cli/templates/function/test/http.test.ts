import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { startFunction, type RunningFunction } from '@veba-functions/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fn } from '../src/index.js';

const sample = JSON.parse(
  readFileSync(new URL('./fixtures/drs-vm-powered-on.json', import.meta.url), 'utf8'),
) as Record<string, unknown> & { data: Record<string, unknown> };

/** POSTs `event` the way the Knative broker does: binary mode, ce-* headers, JSON body. */
async function deliver(url: string, event: Record<string, unknown>): Promise<Response> {
  const { data, datacontenttype, ...attributes } = event;
  const headers: Record<string, string> = {
    'content-type': typeof datacontenttype === 'string' ? datacontenttype : 'application/json',
  };
  for (const [name, value] of Object.entries(attributes)) headers[`ce-${name}`] = String(value);
  return fetch(url, { method: 'POST', headers, body: JSON.stringify(data) });
}

let running: RunningFunction;
const logs: string[] = [];

beforeAll(async () => {
  const logDestination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(chunk.toString('utf8'));
      done();
    },
  });
  running = await startFunction(fn, { env: {}, port: 0, host: '127.0.0.1', logDestination });
});

afterAll(async () => {
  await running?.stop();
});

describe('__FUNCTION_NAME__ over HTTP', () => {
  it('is ready once init has run', async () => {
    const response = await fetch(`${running.url}/health/readiness`);

    expect(response.status).toBe(200);
  });

  it('answers 200 with the outcome for a VEBA power-on event', async () => {
    const response = await deliver(running.url, sample);

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      vm: 'vm-596',
      eventClass: 'DrsVmPoweredOnEvent',
    });
    expect(logs.join('')).toContain('DRS powered On TestVM');
  });

  it('answers a duplicate delivery of the same event with 200 skipped, without running it twice', async () => {
    const response = await deliver(running.url, sample);

    expect(response.status).toBe(200);
    expect(await response.json()).toHaveProperty('skipped');
    expect(logs.join('').split('DRS powered On TestVM').length - 1).toBe(1);
  });

  it('answers 400 naming the field when the event has no VM', async () => {
    const response = await deliver(running.url, {
      ...sample,
      id: 'no-vm-1',
      data: { ...sample.data, Vm: null },
    });

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_event' });
  });

  it('counts processed and duplicate events in /metrics', async () => {
    const metrics = await (await fetch(`${running.url}/metrics`)).text();

    expect(metrics).toMatch(/veba_function_events_total\{[^}]*outcome="processed"[^}]*\} 1\n/);
    expect(metrics).toMatch(/veba_function_events_total\{[^}]*outcome="duplicate"[^}]*\} 1\n/);
  });
});
