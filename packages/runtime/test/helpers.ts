import { readFileSync } from 'node:fs';
import { request } from 'node:http';
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

/** A raw node:http request (fetch hides connection handling the 413 and drain tests look at). */
export function send(
  url: string,
  options: {
    method?: string;
    headers?: Record<string, string>;
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
