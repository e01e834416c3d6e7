import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startFunction } from '@veba-functions/runtime';
import type { RunningFunction } from '@veba-functions/runtime';
import { echo } from '../src/index.js';

const fixture = JSON.parse(
  readFileSync(new URL('./fixtures/drs-vm-powered-on.json', import.meta.url), 'utf8'),
) as {
  id: string;
  source: string;
  type: string;
  time: string;
  data: Record<string, unknown>;
};

let fn: RunningFunction | undefined;
afterEach(async () => {
  await fn?.stop();
  fn = undefined;
});

async function startEcho(): Promise<{ url: string; logs: () => Array<Record<string, unknown>> }> {
  const lines: string[] = [];
  fn = await startFunction(echo, {
    env: {},
    port: 0,
    host: '127.0.0.1',
    logDestination: { write: (line: string) => lines.push(line) },
  });
  return {
    url: fn.url,
    logs: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('echo over HTTP', () => {
  it('answers a binary-mode VEBA event with 204 and logs its summary bound to the event', async () => {
    const { url, logs } = await startEcho();
    const response = await fetch(url, {
      method: 'POST',
      headers: {
        'ce-specversion': '1.0',
        'ce-id': fixture.id,
        'ce-source': fixture.source,
        'ce-type': fixture.type,
        'ce-time': fixture.time,
        'content-type': 'application/json',
      },
      body: JSON.stringify(fixture.data),
    });
    expect(response.status).toBe(204);
    const line = logs().find((record) => record.ceId === fixture.id);
    expect(line).toMatchObject({
      level: 'info',
      function: 'echo',
      ceType: fixture.type,
      ceSource: fixture.source,
      msg: 'DRS powered on workload1 on esxi02.jarvis.lab in jarvis-lab',
    });
  });

  it('answers the same event in structured mode with 204', async () => {
    const { url } = await startEcho();
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify(fixture),
    });
    expect(response.status).toBe(204);
  });

  it('rejects a POST that is not a CloudEvent with 400', async () => {
    const { url } = await startEcho();
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(fixture.data),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'invalid_event' });
  });
});
