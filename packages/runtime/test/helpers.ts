import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect } from 'node:net';
import { afterEach } from 'vitest';
import type { DestinationStream } from '../src/index.js';
import { startFunction } from '../src/index.js';
import type { AnyFunctionDefinition, RunningFunction, StartFunctionOptions } from '../src/index.js';

/** The VEBA DRS power-on event (structured form) the tests send. */
export const drsEvent = JSON.parse(
  readFileSync(new URL('./fixtures/drs-vm-powered-on.json', import.meta.url), 'utf8'),
) as {
  id: string;
  source: string;
  type: string;
  specversion: string;
  data: Record<string, unknown>;
};

/** Binary-mode headers for the fixture (or overrides; `undefined` removes a header). */
export function binaryHeaders(
  overrides: Record<string, string | undefined> = {},
): Record<string, string> {
  const headers: Record<string, string | undefined> = {
    'ce-id': drsEvent.id,
    'ce-source': drsEvent.source,
    'ce-type': drsEvent.type,
    'ce-specversion': '1.0',
    'ce-time': '2021-09-27T19:02:54.063Z',
    'content-type': 'application/json',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
}

/** Log lines captured from a function, parsed. */
export interface CapturedLogs extends DestinationStream {
  readonly lines: string[];
  records(): Array<Record<string, unknown>>;
  text(): string;
}

export function captureLogs(): CapturedLogs {
  const lines: string[] = [];
  return {
    lines,
    write(line: string) {
      lines.push(line);
    },
    records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>),
    text: () => lines.join(''),
  };
}

const running: RunningFunction[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((fn) => fn.stop()));
});

/** Starts a function on a free loopback port; stopped after the test. */
export async function start(
  def: AnyFunctionDefinition,
  options: StartFunctionOptions & { logs?: CapturedLogs } = {},
): Promise<RunningFunction & { logs: CapturedLogs }> {
  const logs = options.logs ?? captureLogs();
  const fn = await startFunction(def, {
    env: {},
    port: 0,
    host: '127.0.0.1',
    logDestination: logs,
    ...options,
  });
  running.push(fn);
  return Object.assign(fn, { logs });
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

/**
 * A raw node:http request (fetch hides connection handling the 413 and drain tests look at). A
 * header given as an array is sent as that many header lines.
 */
export function send(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string | string[]>;
    body?: string | Buffer;
    path?: string;
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const target = new URL(options.path ?? '/', url);
    const req = request(
      target,
      { method: options.method ?? 'POST', headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            json: <T>() => JSON.parse(body) as T,
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** POSTs the fixture in binary mode. */
export function postBinary(
  url: string,
  overrides: Record<string, string | undefined> = {},
  body: string | Buffer = JSON.stringify(drsEvent.data),
): Promise<Reply> {
  return send(url, { headers: binaryHeaders(overrides), body });
}

export function get(url: string, path: string): Promise<Reply> {
  return send(url, { method: 'GET', path });
}

/** What a raw socket saw: every byte the server sent, and how the connection ended. */
export interface RawExchange {
  /** The response bytes as latin1 text (status line, headers, body). */
  text: string;
  /** `close` (the server closed after answering) or the socket error code (EPIPE, ECONNRESET). */
  ended: string;
  /** Body bytes the client managed to write. */
  written: number;
}

/**
 * A request over a raw TCP socket, the way a simple client (or Go's transport, which checks for
 * the answer only once the body is written) does it: write the head and the whole body, then read.
 * `body` is written in `chunkBytes` pieces, each after the previous was accepted.
 */
export function rawExchange(
  url: string,
  head: string | Buffer,
  body: Buffer = Buffer.alloc(0),
  options: { chunkBytes?: number; readAfterWrite?: boolean } = {},
): Promise<RawExchange> {
  const { port, hostname } = new URL(url);
  const chunkBytes = options.chunkBytes ?? 64 * 1024;
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    const received: Buffer[] = [];
    let written = 0;
    let settled = false;
    const finish = (ended: string) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve({ text: Buffer.concat(received).toString('latin1'), ended, written });
    };
    if (options.readAfterWrite !== false) socket.pause();
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => finish(error.code ?? 'error'));
    socket.on('close', () => finish('close'));
    const writeFrom = (offset: number): void => {
      if (offset >= body.length) {
        socket.resume();
        return;
      }
      const piece = body.subarray(offset, offset + chunkBytes);
      socket.write(piece, (error) => {
        if (error) return;
        written += piece.length;
        writeFrom(offset + piece.length);
      });
    };
    socket.write(head, (error) => {
      if (!error) writeFrom(0);
    });
  });
}
