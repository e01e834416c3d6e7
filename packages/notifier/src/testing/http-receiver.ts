/**
 * A recording HTTP server for the stand-ins of this folder: keeps every request (headers and the
 * raw body), answers with scripted answers first and the stand-in's own answer after that.
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, createArrivals } from './arrivals.js';

/** One request the receiver got. */
export interface RecordedRequest {
  /** Arrival time, epoch ms. */
  at: number;
  method: string;
  /** Path and query, as requested. */
  path: string;
  headers: IncomingHttpHeaders;
  /** The body as received (exactly: a signature covers these bytes). */
  raw: string;
  /** The body parsed as JSON, or `undefined` when it is not JSON. */
  json: unknown;
}

/** An answer: status, body, headers; `hang` never answers (a timeout). */
export type RecordedAnswer =
  { status: number; body?: string; headers?: Record<string, string> } | 'hang';

/** A running recording server. */
export interface RecordingServer {
  readonly base: string;
  readonly requests: RecordedRequest[];
  script: (...answers: RecordedAnswer[]) => void;
  waitForRequests: (count: number, timeoutMs?: number) => Promise<void>;
  /** Forgets the requests and the scripted answers not used yet. */
  reset: () => void;
  close: () => Promise<void>;
}

/** Starts a recording server on a free loopback port; `answer` decides unscripted answers. */
export async function startRecordingServer(
  answer: (request: RecordedRequest) => Exclude<RecordedAnswer, 'hang'>,
): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const queue: RecordedAnswer[] = [];
  const hanging = new Set<ServerResponse>();
  const arrivals = createArrivals(requests, 'requests');
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let json: unknown;
      try {
        json = JSON.parse(raw);
      } catch {
        json = undefined;
      }
      const request: RecordedRequest = {
        at: Date.now(),
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        raw,
        json,
      };
      arrivals.add(request);
      const scripted = queue.shift() ?? answer(request);
      if (scripted === 'hang') {
        hanging.add(res);
        return;
      }
      res
        .writeHead(scripted.status, {
          'content-type': 'application/json; charset=utf-8',
          ...scripted.headers,
        })
        .end(scripted.body ?? '');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    requests,
    script: (...answers) => void queue.push(...answers),
    waitForRequests: arrivals.waitFor,
    reset: () => {
      requests.length = 0;
      queue.length = 0;
    },
    close: () => closeServer(server, hanging),
  };
}
