import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { defineFunction } from '../src/index.js';
import { drsEvent, get, postBinary, start } from './helpers.js';

describe('readiness follows init and shutdown (in process)', () => {
  it('503 while init runs, 200 after, 503 again once stop begins', async () => {
    let finishInit: () => void = () => undefined;
    let url = '';
    let finishEvent: () => void = () => undefined;
    let eventStarted = false;
    const def = defineFunction({
      name: 'lifecycle',
      init: () =>
        new Promise<{ warm: true }>((resolve) => (finishInit = () => resolve({ warm: true }))),
      handle: (_event, ctx) =>
        new Promise<{ status: 202 }>((resolve) => {
          eventStarted = ctx.state.warm;
          finishEvent = () => resolve({ status: 202 });
        }),
    });
    const starting = start(def, {
      onListening: (address) => (url = address.url),
      env: { FUNCTION_DRAIN_SECONDS: '5' },
    });
    await expect.poll(() => url).not.toBe('');
    expect((await get(url, '/health/readiness')).status).toBe(503);
    expect((await get(url, '/health/liveness')).status).toBe(200);
    expect((await postBinary(url)).status).toBe(503);
    finishInit();
    const fn = await starting;
    expect((await get(url, '/health/readiness')).status).toBe(200);

    const slow = postBinary(url);
    await expect.poll(() => eventStarted).toBe(true);
    const stopping = fn.stop();
    expect(fn.ready).toBe(false);
    expect((await get(url, '/health/readiness')).status).toBe(503);
    const refused = await postBinary(url);
    expect(refused.status).toBe(503);
    expect(refused.headers.connection).toBe('close');
    expect(fn.logs.records().find((r) => r.reason === 'shutting_down')).toMatchObject({
      level: 'warn',
      ceId: drsEvent.id,
    });
    finishEvent();
    const reply = await slow;
    expect(reply.status).toBe(202);
    expect(reply.headers.connection).toBe('close');
    await stopping;
  });

  it('an init throw rejects startFunction, logs the error and closes the server', async () => {
    let url = '';
    const def = defineFunction({
      name: 'broken',
      init() {
        throw new Error('no session');
      },
      handle: () => undefined,
    });
    const logs = (await import('./helpers.js')).captureLogs();
    await expect(start(def, { logs, onListening: (a) => (url = a.url) })).rejects.toThrow(
      'no session',
    );
    expect(logs.records().find((r) => r.msg === 'init failed')?.level).toBe('error');
    await expect(get(url, '/health/liveness')).rejects.toThrow(/ECONNREFUSED/);
  });

  it('the drain deadline answers in-flight events 503 after their guards released them, then shutdown runs', async () => {
    const calls: string[] = [];
    let started = 0;
    const def = defineFunction({
      name: 'stuck',
      guards: [
        {
          name: 'claim',
          // eslint-disable-next-line @typescript-eslint/require-await -- a synchronous fake of an async seam
          async enter() {
            return {
              action: 'proceed' as const,
              // eslint-disable-next-line @typescript-eslint/require-await
              async onFailure(error: unknown) {
                calls.push(`release ${(error as Error).name}`);
              },
            };
          },
          // eslint-disable-next-line @typescript-eslint/require-await
          async stop() {
            calls.push('guard stop');
          },
        },
      ],
      // A handler that never settles (a queued post waiting for a pacer, say): only the cut-off ends it.
      handle: (_event, ctx) =>
        new Promise<void>(() => {
          started += 1;
          ctx.signal.addEventListener('abort', () => calls.push('signal aborted'));
        }),
      shutdown() {
        calls.push('shutdown');
      },
    });
    const fn = await start(def, { env: { FUNCTION_DRAIN_SECONDS: '0.2' } });
    const first = postBinary(fn.url, { 'ce-id': 'a' });
    const second = postBinary(fn.url, { 'ce-id': 'b' });
    await expect.poll(() => started).toBe(2);
    await fn.stop();
    const replies = await Promise.all([first, second]);
    expect(replies.map((r) => r.status)).toEqual([503, 503]);
    expect(replies[0].json()).toMatchObject({ error: 'shutting_down' });
    // Both claims released before the guards stop and shutdown runs: the broker's retry is not a 409.
    expect(calls).toEqual([
      'signal aborted',
      'signal aborted',
      'release EventCutOffError',
      'release EventCutOffError',
      'guard stop',
      'shutdown',
    ]);
  });
});

const fixture = fileURLToPath(new URL('./fixtures/serve-fixture.ts', import.meta.url));

interface Child {
  process: ChildProcess;
  lines: Array<Record<string, unknown>>;
  /** Every stdout line as written, JSON or not. */
  raw: string[];
  exit: Promise<number | null>;
  waitFor(predicate: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

function serveFixture(mode: string, env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
    env: { PATH: process.env.PATH, PORT: '0', FIXTURE_MODE: mode, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const lines: Array<Record<string, unknown>> = [];
  const raw: string[] = [];
  const waiters: Array<{
    predicate: (line: Record<string, unknown>) => boolean;
    resolve: (line: Record<string, unknown>) => void;
  }> = [];
  let buffer = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let newline: number;
    while ((newline = buffer.indexOf('\n')) !== -1) {
      const text = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      raw.push(text);
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue; // kept in `raw`; a test that cares asserts on it
      }
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.predicate(line)) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve(line);
        }
      }
    }
  });
  const exit = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      if (code !== 0 && stderr !== '') console.error(stderr);
      resolve(code);
    }),
  );
  return {
    process: child,
    lines,
    raw,
    exit,
    waitFor(predicate) {
      const found = lines.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        waiters.push({ predicate, resolve });
        void exit.then((code) =>
          reject(new Error(`child exited (${String(code)}) before the expected log line`)),
        );
      });
    },
  };
}

async function readyUrl(child: Child): Promise<string> {
  const listening = await child.waitFor((line) => line.msg === 'listening; running init');
  await child.waitFor((line) => line.msg === 'ready');
  return `http://127.0.0.1:${String(listening.port)}`;
}

describe('serve() in a child process', () => {
  it('an init throw logs the error and exits with code 1', async () => {
    const child = serveFixture('init-throws');
    expect(await child.exit).toBe(1);
    const failure = child.lines.find((line) => line.msg === 'init failed');
    expect(failure?.level).toBe('error');
    expect((failure?.err as { message: string }).message).toBe('cannot reach vCenter');
  });

  it('SIGTERM with a slow event in flight: the event completes with its status, shutdown runs, exit 0', async () => {
    const child = serveFixture('slow');
    const url = await readyUrl(child);
    const slow = postBinary(url, { 'ce-id': 'slow-700' });
    await child.waitFor((line) => line.msg === 'handler started');
    child.process.kill('SIGTERM');
    await child.waitFor((line) => line.msg === 'shutting down: draining in-flight events');
    expect((await get(url, '/health/readiness')).status).toBe(503);
    const reply = await slow;
    expect(reply.status).toBe(202);
    expect(reply.json()).toEqual({ id: 'slow-700' });
    expect(await child.exit).toBe(0);
    const messages = child.lines.map((line) => line.msg);
    expect(messages.indexOf('handler finished')).toBeLessThan(messages.indexOf('shutdown ran'));
    expect(child.lines.find((line) => line.msg === 'shutdown ran')?.uptimeKnown).toBe(true);
  });

  it('SIGINT stops the same way', async () => {
    const child = serveFixture('slow');
    await readyUrl(child);
    child.process.kill('SIGINT');
    expect(await child.exit).toBe(0);
    expect(child.lines.map((line) => line.msg)).toContain('shutdown ran');
  });

  it('a shutdown throw is logged and the exit code stays 0', async () => {
    const child = serveFixture('shutdown-throws');
    await readyUrl(child);
    child.process.kill('SIGTERM');
    expect(await child.exit).toBe(0);
    const failure = child.lines.find((line) => line.msg === 'shutdown failed');
    expect(failure?.level).toBe('error');
    expect((failure?.err as { message: string }).message).toBe('close failed');
  });

  it('console output in init (a dependency warning) comes out as JSON lines through the logger, scrubbed', async () => {
    const token = 'tok-9f8e7d6c5b4a';
    const child = serveFixture('console', { API_TOKEN: token });
    await readyUrl(child);
    child.process.kill('SIGTERM');
    expect(await child.exit).toBe(0);
    const nonJson = child.raw.filter((line) => {
      try {
        JSON.parse(line);
        return false;
      } catch {
        return true;
      }
    });
    expect(nonJson).toEqual([]);
    expect(child.raw.join('\n')).not.toContain(token);
    const fromConsole = child.lines.filter((line) => line.console !== undefined);
    expect(fromConsole).toEqual([
      expect.objectContaining({
        level: 'warn',
        console: 'warn',
        function: 'fixture-console',
        msg: '[WARN] Redis server does not require a password, but a password was supplied.',
      }),
      expect.objectContaining({
        level: 'info',
        console: 'log',
        msg: 'connected with token [REDACTED]',
      }),
      expect.objectContaining({
        level: 'error',
        console: 'error',
        msg: 'handshake failed for [REDACTED]',
        err: expect.objectContaining({ type: 'Error' }) as unknown,
      }),
      expect.objectContaining({ level: 'info', console: 'info', msg: '{ pool: 2 }' }),
    ]);
    const messages = child.lines.map((line) => line.msg);
    expect(messages.indexOf('listening; running init')).toBeLessThan(
      messages.indexOf(
        '[WARN] Redis server does not require a password, but a password was supplied.',
      ),
    );
  });

  it('a config error exits with code 1 naming the key', async () => {
    const child = serveFixture('slow', { FUNCTION_MAX_BODY_BYTES: 'lots' });
    expect(await child.exit).toBe(1);
    const failure = child.lines.find((line) => line.level === 'error');
    expect((failure?.err as { message: string }).message).toContain(
      'FUNCTION_MAX_BODY_BYTES: invalid (from env FUNCTION_MAX_BODY_BYTES)',
    );
  });
});
