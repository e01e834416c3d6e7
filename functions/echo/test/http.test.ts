import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  fixtureEvent,
  functionReadmeProblems,
  httpRequest,
  loadVebaFixtures,
  sendCloudEvent,
  startTestFunction,
  type TestFunction,
} from '@veba-functions/test-helpers';
import { createEcho } from '../src/index.js';

let fn: TestFunction | undefined;
afterEach(async () => {
  await fn?.stop();
  fn = undefined;
});

async function startEcho(env: Record<string, string> = {}): Promise<TestFunction> {
  fn = await startTestFunction(createEcho(), { env });
  return fn;
}

const drs = fixtureEvent('docs-extracted/docs-use-eventspec__DrsVmPoweredOnEvent.json');
// The runtime takes CloudEvents 1.0 only; the corpus also holds a 0.3 sample (kn-py-vro).
const deliverable = loadVebaFixtures().filter(
  (fixture) => fixture.valid && fixture.attributes?.specversion === '1.0',
);
const older = loadVebaFixtures().filter(
  (fixture) => fixture.valid && fixture.attributes?.specversion !== '1.0',
);

describe('echo over HTTP', () => {
  it('answers a binary-mode VEBA event with 204 and logs one line bound to the event', async () => {
    const echo = await startEcho();
    expect((await sendCloudEvent(echo.url, drs)).status).toBe(204);
    const line = echo.logs.records().find((record) => record.ceId === drs.id);
    expect(line).toMatchObject({
      level: 'info',
      function: 'echo',
      ceType: drs.type,
      ceSource: drs.source,
      msg: 'event received',
    });
  });

  it(`answers 204 to every deliverable corpus sample (${deliverable.length}), in both modes`, async () => {
    const echo = await startEcho();
    for (const fixture of deliverable) {
      const event = fixtureEvent(fixture.file);
      expect((await sendCloudEvent(echo.url, event)).status, fixture.file).toBe(204);
      expect((await sendCloudEvent(echo.url, event, { mode: 'structured' })).status).toBe(204);
    }
    expect(await echo.metric('veba_function_events_total', { outcome: 'processed' })).toBe(
      deliverable.length * 2,
    );
  });

  it(`rejects the corpus samples of another spec version (${older.length}) with 400`, async () => {
    const echo = await startEcho();
    expect(older.length).toBeGreaterThan(0);
    for (const fixture of older) {
      const reply = await sendCloudEvent(echo.url, fixtureEvent(fixture.file));
      expect(reply.status, fixture.file).toBe(400);
      expect(reply.json().reason).toMatch(/specversion/);
    }
  });

  it('with ECHO_LOG_DATA=true logs the body as received', async () => {
    const echo = await startEcho({ ECHO_LOG_DATA: 'true' });
    await sendCloudEvent(echo.url, drs);
    const line = echo.logs.records().find((record) => record.ceId === drs.id);
    expect(JSON.parse(line?.data as string)).toEqual(drs.data);
  });

  it('does not read data: a malformed JSON body still answers 204', async () => {
    const echo = await startEcho();
    const reply = await sendCloudEvent(echo.url, drs, { rawBody: '{"Key": ' });
    expect(reply.status).toBe(204);
  });

  it('rejects a POST that is not a CloudEvent with 400 and says why', async () => {
    const echo = await startEcho();
    const reply = await httpRequest(echo.url, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(drs.data),
    });
    expect(reply.status).toBe(400);
    expect(reply.json()).toMatchObject({ error: 'invalid_event' });
  });

  it('its README has the sections of every function and documents exactly its keys', () => {
    const dir = fileURLToPath(new URL('..', import.meta.url));
    expect(functionReadmeProblems(dir, createEcho())).toEqual([]);
  });
});
