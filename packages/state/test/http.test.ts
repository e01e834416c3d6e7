import {
  defineFunction,
  startFunction,
  type CloudEvent,
  type RunningFunction,
} from '@veba-functions/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { createStateGuards } from '../src/index.js';
import { SOURCE } from './support.js';

async function post(
  url: string,
  id: string,
  key: number,
  message = 'vm on',
): Promise<{ status: number; body: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-source': SOURCE,
      'ce-type': 'com.vmware.vsphere.VmPoweredOnEvent.v0',
    },
    body: JSON.stringify({ Key: key, FullFormattedMessage: message }),
  });
  return { status: res.status, body: await res.text() };
}

describe('guards through the runtime over HTTP (memory store)', () => {
  let running: RunningFunction | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it('fingerprints binary-mode bodies as received: a redelivery matches, a changed payload is counted', async () => {
    let handled = 0;
    const fn = defineFunction({
      name: 'http-fingerprint-test',
      guards: createStateGuards({ dedupe: true }),
      handle() {
        handled += 1;
      },
    });
    running = await startFunction(fn, {
      env: {},
      port: 0,
      host: '127.0.0.1',
      logDestination: { write: () => undefined },
    });
    const mismatches = async (): Promise<string | undefined> => {
      const text = await (await fetch(new URL('/metrics', running!.url))).text();
      return /^veba_state_payload_mismatch_total\{[^}]*\} (\d+)$/m.exec(text)?.[1];
    };

    expect((await post(running.url, '7', 7)).status).toBe(204);
    expect((await post(running.url, '7', 7)).status).toBe(200);
    expect(await mismatches()).toBeUndefined();
    expect((await post(running.url, '7', 7, 'vm on, said differently')).status).toBe(200);
    expect(await mismatches()).toBe('1');
    expect(handled).toBe(1);
  });

  it('maps claimed, in progress, duplicate and stale to 204, 409, 200 and 200; flag reaches ctx.outOfOrder', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const seen: Array<{ id: string; outOfOrder: boolean }> = [];
    const fn = defineFunction({
      name: 'http-state-test',
      guards: createStateGuards({ dedupe: true, ordering: { policy: 'flag' } }),
      async handle(event: CloudEvent<unknown>, ctx) {
        seen.push({ id: event.id, outOfOrder: ctx.outOfOrder });
        if (event.id === '10') await gate;
      },
    });
    running = await startFunction(fn, {
      env: {},
      port: 0,
      host: '127.0.0.1',
      logDestination: { write: () => undefined },
    });

    const slow = post(running.url, '10', 10);
    // Wait until the first delivery is inside the handler (it holds the claim).
    while (seen.length === 0) await new Promise((r) => setTimeout(r, 10));
    expect((await post(running.url, '10', 10)).status).toBe(409);
    release();
    expect((await slow).status).toBe(204);
    const duplicate = await post(running.url, '10', 10);
    expect(duplicate.status).toBe(200);
    expect(duplicate.body).toContain('duplicate');
    expect((await post(running.url, '5', 5)).status).toBe(204);
    expect(seen).toEqual([
      { id: '10', outOfOrder: false },
      { id: '5', outOfOrder: true },
    ]);
  });

  it('skip policy answers 200 with the reason and does not call the handler', async () => {
    const seen: string[] = [];
    const fn = defineFunction({
      name: 'http-state-skip',
      guards: createStateGuards({ dedupe: true, ordering: true }),
      handle(event: CloudEvent<unknown>) {
        seen.push(event.id);
      },
    });
    running = await startFunction(fn, {
      env: {},
      port: 0,
      host: '127.0.0.1',
      logDestination: { write: () => undefined },
    });
    expect((await post(running.url, '20', 20)).status).toBe(204);
    const stale = await post(running.url, '19', 19);
    expect(stale.status).toBe(200);
    expect(stale.body).toContain('stale');
    expect(seen).toEqual(['20']);
    const metrics = await (await fetch(new URL('/metrics', running.url))).text();
    expect(metrics).toMatch(/veba_state_stale_total\{function="http-state-skip",policy="skip"\} 1/);
  });
});
