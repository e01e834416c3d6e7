import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../src/cli.js';
import { deliverEvent, encodeHeaderValue, isRetryableStatus } from '../src/delivery.js';
import { captureContext, closedPort, startScriptedServer, startSilentServer } from './helpers.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function server(script: Parameters<typeof startScriptedServer>[0]) {
  const s = await startScriptedServer(script);
  closers.push(() => s.close());
  return s;
}

describe('veba-fn send', () => {
  it('delivers a structured sample in binary mode: ce-* headers and the data as the body', async () => {
    const s = await server([{ status: 204 }]);
    const ctx = captureContext(repoRoot);
    const code = await runCli(['send', s.url, 'kn-py-echo__testevent.json'], ctx);

    expect(code).toBe(0);
    expect(s.received).toHaveLength(1);
    const { headers, body } = s.received[0]!;
    expect(headers['ce-id']).toBe('08179137-b8e0-4973-b05f-8f212bf5003b');
    expect(headers['ce-type']).toBe('com.vmware.vsphere.VmPoweredOffEvent.v0');
    expect(headers['ce-source']).toBe('https://10.0.0.1:443/sdk');
    expect(headers['ce-specversion']).toBe('1.0');
    expect(headers['ce-eventclass']).toBe('event');
    expect(headers['content-type']).toBe('application/json');
    expect(headers['ce-datacontenttype']).toBeUndefined();
    expect((JSON.parse(body) as { Key: number }).Key).toBe(9902);
    expect(ctx.stdout.some((line) => line.startsWith('attempt 1: 204 No Content'))).toBe(true);
  });

  it('gives a data-only sample the ce-* headers its send script recorded', async () => {
    const s = await server([{ status: 200 }]);
    const code = await runCli(
      ['send', s.url, 'kn-pcli-tag__test-payload'],
      captureContext(repoRoot),
    );

    expect(code).toBe(0);
    const { headers, body } = s.received[0]!;
    expect(headers['ce-type']).toBe('com.vmware.vsphere.DrsVmPoweredOnEvent.v0');
    expect(headers['ce-id']).toBeTruthy();
    expect(headers['ce-source']).toBeTruthy();
    expect((JSON.parse(body) as { Key: number }).Key).toBe(2816789);
  });

  it('sends one application/cloudevents+json envelope with --structured', async () => {
    const s = await server([{ status: 200 }]);
    const code = await runCli(
      ['send', s.url, 'kn-pcli-tag__test-payload.json', '--structured', '--id', 'abc-1'],
      captureContext(repoRoot),
    );

    expect(code).toBe(0);
    const { headers, body } = s.received[0]!;
    expect(headers['content-type']).toBe('application/cloudevents+json; charset=utf-8');
    expect(headers['ce-id']).toBeUndefined();
    const envelope = JSON.parse(body) as Record<string, unknown> & { data: { Key: number } };
    expect(envelope).toMatchObject({
      specversion: '1.0',
      id: 'abc-1',
      type: 'com.vmware.vsphere.DrsVmPoweredOnEvent.v0',
    });
    expect(envelope.data.Key).toBe(2816789);
  });

  it('retries 503 with backoff, prints each attempt and ends 0 on the 200', async () => {
    const s = await server([
      { status: 503, body: 'busy' },
      { status: 200, body: '{"ok":true}' },
    ]);
    const ctx = captureContext(repoRoot);
    const code = await runCli(
      ['send', s.url, 'kn-py-echo__testevent.json', '--backoff-delay', '10'],
      ctx,
    );

    expect(code).toBe(0);
    expect(s.received).toHaveLength(2);
    expect(s.received[1]!.headers['ce-id']).toBe(s.received[0]!.headers['ce-id']);
    const attempts = ctx.stdout.filter((line) => line.startsWith('attempt'));
    expect(attempts[0]).toMatch(
      /^attempt 1: 503 Service Unavailable \(\d+ ms\), retry in 10 ms {2}busy$/,
    );
    expect(attempts[1]).toMatch(/^attempt 2: 200 OK \(\d+ ms\) {2}\{"ok":true\}$/);
    expect(ctx.stdout.at(-1)).toBe('delivered 1: 200 x1 (2 attempts)');
  });

  it('delivers --times duplicates of the same event with --concurrency', async () => {
    const s = await server([{ status: 200 }]);
    const ctx = captureContext(repoRoot);
    const code = await runCli(
      ['send', s.url, 'kn-py-echo__testevent.json', '--times', '5', '--concurrency', '3'],
      ctx,
    );

    expect(code).toBe(0);
    expect(s.received).toHaveLength(5);
    expect(new Set(s.received.map((r) => r.headers['ce-id'])).size).toBe(1);
    expect(new Set(s.received.map((r) => r.body)).size).toBe(1);
    for (let n = 1; n <= 5; n += 1) {
      expect(ctx.stdout.some((line) => line.startsWith(`#${n} attempt 1: 200 OK`))).toBe(true);
    }
  });

  it('stops after --retries and exits 1 when the last answer is still an error', async () => {
    const s = await server([{ status: 500 }]);
    const ctx = captureContext(repoRoot);
    const code = await runCli(
      ['send', s.url, 'kn-py-echo__testevent.json', '--retries', '1', '--backoff-delay', '1'],
      ctx,
    );

    expect(code).toBe(1);
    expect(s.received).toHaveLength(2);
    expect(ctx.stdout.at(-1)).toBe('delivered 1: 500 x1 (2 attempts)');
  });

  it("keeps the URL's path and query", async () => {
    const s = await server([{ status: 204 }]);
    const code = await runCli(
      ['send', `${s.url}/hooks/echo?x=1`, 'kn-py-echo__testevent.json'],
      captureContext(repoRoot),
    );

    expect(code).toBe(0);
    expect(s.received[0]!.url).toBe('/hooks/echo?x=1');
  });

  it('does not retry a 400 (the broker drops it)', async () => {
    const s = await server([{ status: 400, body: '{"error":"invalid_event"}' }]);
    const code = await runCli(
      ['send', s.url, 'kn-py-echo__testevent.json'],
      captureContext(repoRoot),
    );

    expect(code).toBe(1);
    expect(s.received).toHaveLength(1);
  });

  it('honours Retry-After on a 429, in seconds (fractional too) or as an HTTP date', async () => {
    const s = await server([
      { status: 429, headers: { 'retry-after': '1' } },
      { status: 503, headers: { 'retry-after': '0.25' } },
      { status: 503, headers: { 'retry-after': 'Thu, 01 Jan 1970 00:00:00 GMT' } },
      { status: 200 },
    ]);
    const result = await deliverEvent(
      s.url,
      {
        attributes: { specversion: '1.0', id: '1', source: 's', type: 't' },
        data: {},
        origin: 'test',
      },
      { backoffDelayMs: 5, retries: 3 },
    );

    expect(result.ok).toBe(true);
    // At least Retry-After, never less than the backoff (5 x retry number).
    expect(result.attempts.map((a) => a.retryInMs)).toEqual([1000, 250, 15, undefined]);
  });

  it('counts a per-attempt timeout as a network error and retries it', async () => {
    const silent = await startSilentServer();
    closers.push(() => silent.close());
    const result = await deliverEvent(
      silent.url,
      { attributes: { specversion: '1.0', id: '1', source: 's', type: 't' }, origin: 'test' },
      { retries: 1, backoffDelayMs: 1, timeoutMs: 50 },
    );

    expect(result.ok).toBe(false);
    expect(result.attempts.map((a) => a.error)).toEqual(['timed out', 'timed out']);
    expect(silent.requests()).toBe(2);
  });
});

describe('veba-fn send: sample shapes', () => {
  it('sends a legacy envelope without specversion or source as it is (a negative case stays one)', async () => {
    const s = await server([{ status: 400 }]);
    const code = await runCli(
      ['send', s.url, 'openfaas-pagerduty-trigger__invalid-event-1', '--retries', '0'],
      captureContext(repoRoot),
    );

    expect(code).toBe(1);
    const { headers } = s.received[0]!;
    expect(headers['ce-type']).toBe('com.vmware.event.router/event');
    expect(headers['ce-subject']).toBe('VmReconfiguredEvent');
    expect(headers['ce-specversion']).toBeUndefined();
    expect(headers['ce-source']).toBeUndefined();
  });

  it('gives a bare body the --type asked for, its Key as id and a default source', async () => {
    const s = await server([{ status: 204 }]);
    const code = await runCli(
      ['send', s.url, 'kn-go-tagging__event2', '--type', 'com.vmware.vsphere.VmPoweredOnEvent.v0'],
      captureContext(repoRoot),
    );

    expect(code).toBe(0);
    const { headers, body } = s.received[0]!;
    expect(headers['ce-type']).toBe('com.vmware.vsphere.VmPoweredOnEvent.v0');
    expect(headers['ce-id']).toBe(String((JSON.parse(body) as { Key: number }).Key));
    expect(headers['ce-source']).toBe('https://vcenter.local/sdk');
    expect(headers['ce-specversion']).toBe('1.0');
  });

  it("notes when a function's Triggers would not select the event's type", async () => {
    const s = await server([{ status: 204 }]);
    const port = new URL(s.url).port;
    const ctx = captureContext(repoRoot);
    const code = await runCli(
      ['send', 'slack-alert', 'kn-pcli-snapshot-cron__test-payload', '--port', port],
      ctx,
    );

    expect(code).toBe(0);
    expect(s.received).toHaveLength(1);
    expect(ctx.stderr).toEqual([
      'note: no Trigger of slack-alert selects type dev.knative.sources.ping; the broker would not deliver it there (sending anyway)',
    ]);
  });
});

describe('veba-fn send: errors (one line, exit 2)', () => {
  it('names a function that does not exist', async () => {
    const ctx = captureContext(repoRoot);
    const code = await runCli(['send', 'no-such-function', 'kn-py-echo__testevent.json'], ctx);

    expect(code).toBe(2);
    expect(ctx.stderr).toHaveLength(1);
    expect(ctx.stderr[0]).toMatch(/^veba-fn: no function "no-such-function" in .*\(known: .*echo/);
  });

  it('reports an event file that cannot be read', async () => {
    const ctx = captureContext(repoRoot);
    const code = await runCli(['send', 'http://127.0.0.1:1', 'does/not/exist.json'], ctx);

    expect(code).toBe(2);
    expect(ctx.stderr).toEqual([
      'veba-fn: cannot read event "does/not/exist.json": no such file or sample fixture',
    ]);
  });

  it('reports an event file that is not JSON, with the parser message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'veba-fn-send-'));
    writeFileSync(join(dir, 'broken.json'), '{ "Key": REPLACE-ME }');
    const ctx = captureContext(dir);
    const code = await runCli(['send', 'http://127.0.0.1:1', 'broken.json'], ctx);

    expect(code).toBe(2);
    expect(ctx.stderr).toHaveLength(1);
    expect(ctx.stderr[0]).toMatch(/^veba-fn: event file broken.json is not valid JSON: /);
  });

  it('rejects the corpus file with an unquoted placeholder as invalid JSON', async () => {
    const ctx = captureContext(repoRoot);
    const code = await runCli(
      ['send', 'http://127.0.0.1:1', 'kn-pcli-template__test-payload'],
      ctx,
    );

    expect(code).toBe(2);
    expect(ctx.stderr[0]).toMatch(/is not valid JSON/);
  });

  it('asks for --type when a data-only body has no recorded type', async () => {
    const ctx = captureContext(repoRoot);
    const code = await runCli(['send', 'http://127.0.0.1:1', 'kn-go-tagging__event.json'], ctx);

    expect(code).toBe(2);
    expect(ctx.stderr[0]).toMatch(/no recorded CloudEvent type: pass --type/);
  });

  it('says which URL is unreachable after the retries', async () => {
    const port = await closedPort();
    const ctx = captureContext(repoRoot);
    const code = await runCli(
      ['send', `http://127.0.0.1:${port}`, 'kn-py-echo__testevent.json', '--backoff-delay', '1'],
      ctx,
    );

    expect(code).toBe(2);
    expect(ctx.stdout.filter((line) => line.includes('network error'))).toHaveLength(3);
    expect(ctx.stderr).toEqual([
      `veba-fn: cannot reach http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    ]);
  });

  it('rejects an unknown option and a bad number', async () => {
    const ctx = captureContext(repoRoot);
    expect(await runCli(['send', 'echo', 'x.json', '--bogus'], ctx)).toBe(2);
    expect(await runCli(['send', 'echo', 'x.json', '--times', '0'], ctx)).toBe(2);
    expect(ctx.stderr[1]).toBe('veba-fn: --times must be an integer >= 1, not "0"');
  });
});

describe('delivery rules', () => {
  it('retries what Knative retries and nothing else', () => {
    for (const status of [404, 408, 409, 429, 500, 502, 503, 504]) {
      expect(isRetryableStatus(status)).toBe(true);
    }
    for (const status of [200, 202, 204, 400, 401, 403, 410, 413, 422]) {
      expect(isRetryableStatus(status)).toBe(false);
    }
  });

  it('percent-encodes header values as the CloudEvents HTTP binding says', () => {
    expect(encodeHeaderValue('VmPoweredOnEvent')).toBe('VmPoweredOnEvent');
    expect(encodeHeaderValue('a b"%é')).toBe('a%20b%22%25%C3%A9');
  });
});
