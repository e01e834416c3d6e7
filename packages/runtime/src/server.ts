import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CloudEvent } from 'cloudevents';
import { isRejection, parseRequest, readHead } from './cloudevent.js';
import type { EventIdentity, RequestHead, Rejection } from './cloudevent.js';
import type { Logger } from './logger.js';
import type { FunctionMetrics } from './metrics.js';
import type { EventResult, Processor } from './processor.js';

type Phase = 'starting' | 'ready' | 'draining' | 'closed';

/** Options of {@link createFunctionServer}. */
export interface FunctionServerOptions {
  logger: Logger;
  metrics: FunctionMetrics;
  maxBodyBytes: number;
}

/** The HTTP side of a function: events on `POST /`, health, metrics, and the drain. */
export interface FunctionServer {
  readonly server: Server;
  readonly phase: Phase;
  listen(port: number, host: string | undefined): Promise<AddressInfo>;
  /** Init is done: start taking events. */
  open(processor: Processor): void;
  /** Shutdown began: readiness 503, new events 503 with `Connection: close`, idle keep-alive sockets closed. */
  beginDrain(): void;
  /** Resolves true once no event is in flight, or false when `timeoutMs` passes first. */
  waitIdle(timeoutMs: number): Promise<boolean>;
  /** Stops listening and closes every connection. */
  close(): Promise<void>;
}

const EMPTY = Buffer.alloc(0);
const JSON_TYPE = 'application/json';

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  close: boolean,
  retryAfter?: number,
): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | number> = {
    'content-type': JSON_TYPE,
    'content-length': Buffer.byteLength(text),
  };
  if (retryAfter !== undefined && retryAfter > 0) headers['retry-after'] = Math.ceil(retryAfter);
  if (close) headers.connection = 'close';
  res.writeHead(status, headers);
  res.end(text);
}

function worstStatus(results: readonly EventResult[]): number {
  let worst = 200;
  for (const result of results)
    if (result.status >= 300 && result.status > worst) worst = result.status;
  return worst;
}

export function createFunctionServer(options: FunctionServerOptions): FunctionServer {
  const { logger, metrics, maxBodyBytes } = options;
  let phase: Phase = 'starting';
  let processor: Processor | undefined;
  let inFlight = 0;
  let idleWaiters: Array<() => void> = [];

  const server = createServer({ noDelay: true }, onRequest);

  function eventDone(): void {
    inFlight--;
    if (inFlight === 0 && idleWaiters.length > 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  function logRejection(identity: EventIdentity, reason: string, status: number): void {
    logger.warn(
      { ceId: identity.id, ceType: identity.type, ceSource: identity.source, reason, status },
      'event rejected',
    );
    metrics.count(identity.type ?? 'unknown', status === 413 ? 'too_large' : 'invalid');
  }

  function reject(res: ServerResponse, rejection: Rejection): void {
    logRejection(rejection.identity, rejection.invalid, 400);
    sendJson(res, 400, { error: 'invalid_event', reason: rejection.invalid }, phase !== 'ready');
  }

  function respond(res: ServerResponse, result: EventResult): void {
    eventDone();
    const close = phase !== 'ready';
    if (result.body === undefined) {
      if (close) res.writeHead(result.status, { connection: 'close' });
      else res.writeHead(result.status);
      res.end();
      return;
    }
    sendJson(res, result.status, result.body, close, result.retryAfterSeconds);
  }

  function failInternally(res: ServerResponse, error: unknown): void {
    // The processor maps every handler error itself; reaching this is a runtime bug.
    logger.error({ err: error }, 'event processing failed inside the runtime');
    respond(res, { status: 500, outcome: 'failed', body: { error: 'internal_error' } });
  }

  function processOne(res: ServerResponse, active: Processor, event: CloudEvent<unknown>): void {
    inFlight++;
    let result: EventResult | Promise<EventResult>;
    try {
      result = active.process(event);
    } catch (error) {
      failInternally(res, error);
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (value) => respond(res, value),
        (error: unknown) => failInternally(res, error),
      );
    } else {
      respond(res, result);
    }
  }

  async function processBatch(
    res: ServerResponse,
    active: Processor,
    events: Array<CloudEvent<unknown> | Rejection>,
  ) {
    inFlight++;
    const results: EventResult[] = [];
    const summary: Array<{
      id: string | undefined;
      status: number;
      outcome: string;
      reason?: string;
    }> = [];
    // Sequential on purpose: ordering guards see the batch in the order it was sent.
    for (const item of events) {
      if (isRejection(item)) {
        logRejection(item.identity, item.invalid, 400);
        const result: EventResult = { status: 400, outcome: 'invalid' };
        results.push(result);
        summary.push({
          id: item.identity.id,
          status: 400,
          outcome: 'invalid',
          reason: item.invalid,
        });
        continue;
      }
      const result = await active.process(item);
      results.push(result);
      const reason = (result.body as { reason?: string; skipped?: string } | undefined) ?? {};
      const text = reason.reason ?? reason.skipped;
      summary.push({
        id: item.id,
        status: result.status,
        outcome: result.outcome,
        ...(text === undefined ? {} : { reason: text }),
      });
    }
    respond(res, {
      status: worstStatus(results),
      outcome: 'processed',
      body: { results: summary },
    });
  }

  function onBody(res: ServerResponse, head: RequestHead, body: Buffer): void {
    const active = processor;
    if (phase !== 'ready' || active === undefined) {
      sendJson(res, 503, { error: 'shutting_down' }, true);
      return;
    }
    const parsed = parseRequest(head, body);
    switch (parsed.mode) {
      case 'binary':
      case 'structured':
        if (isRejection(parsed.event)) reject(res, parsed.event);
        else processOne(res, active, parsed.event);
        return;
      case 'batch':
        processBatch(res, active, parsed.events).catch((error: unknown) =>
          failInternally(res, error),
        );
        return;
      case 'none':
        reject(res, parsed.rejection);
        return;
    }
  }

  function tooLarge(res: ServerResponse, head: RequestHead, size: number): void {
    const identity: EventIdentity = {
      id: head.ce?.id,
      type: head.ce?.type,
      source: head.ce?.source,
    };
    const reason = `body of ${size} bytes exceeds the limit of ${maxBodyBytes} bytes`;
    logRejection(identity, reason, 413);
    // Connection: close makes Node drop the socket after the answer instead of reading the rest.
    sendJson(res, 413, { error: 'too_large', reason }, true);
  }

  function onPost(req: IncomingMessage, res: ServerResponse): void {
    if (phase !== 'ready') {
      req.resume();
      const reason = phase === 'starting' ? 'not_ready' : 'shutting_down';
      const ce = readHead(req.rawHeaders).ce;
      // Not counted: the event was not taken, and the broker retries a 503.
      logger.warn(
        { ceId: ce?.id, ceType: ce?.type, ceSource: ce?.source, reason, status: 503 },
        'event refused',
      );
      sendJson(res, 503, { error: reason }, phase !== 'starting');
      return;
    }
    const head = readHead(req.rawHeaders);
    if (head.contentLength !== undefined && head.contentLength > maxBodyBytes) {
      tooLarge(res, head, head.contentLength);
      return;
    }
    let first: Buffer | undefined;
    let chunks: Buffer[] | undefined;
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > maxBodyBytes) {
        over = true;
        req.pause();
        tooLarge(res, head, size);
        return;
      }
      if (first === undefined) first = chunk;
      else (chunks ??= [first]).push(chunk);
    });
    req.on('end', () => {
      if (over) return;
      onBody(res, head, chunks === undefined ? (first ?? EMPTY) : Buffer.concat(chunks, size));
    });
  }

  function onGet(req: IncomingMessage, res: ServerResponse, path: string): void {
    switch (path) {
      case '/health/liveness':
        sendJson(res, 200, { status: 'alive' }, false);
        return;
      case '/health/readiness':
        sendJson(res, phase === 'ready' ? 200 : 503, { status: phase }, false);
        return;
      case '/metrics':
        metrics.registry.metrics().then(
          (text) => {
            res.writeHead(200, { 'content-type': metrics.registry.contentType });
            res.end(text);
          },
          (error: unknown) => {
            logger.error({ err: error }, 'metrics collection failed');
            sendJson(res, 500, { error: 'metrics_failed' }, false);
          },
        );
        return;
      default:
        sendJson(
          res,
          path === '/' ? 405 : 404,
          { error: path === '/' ? 'method_not_allowed' : 'not_found' },
          false,
        );
    }
  }

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    if (req.method === 'POST') {
      if (path === '/') onPost(req, res);
      else {
        req.resume();
        sendJson(res, 404, { error: 'not_found' }, false);
      }
      return;
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      onGet(req, res, path);
      return;
    }
    req.resume();
    sendJson(res, 405, { error: 'method_not_allowed' }, false);
  }

  return {
    server,
    get phase() {
      return phase;
    },
    listen(port, host) {
      return new Promise((resolve, reject) => {
        const onError = (error: Error) => reject(error);
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          resolve(server.address() as AddressInfo);
        });
      });
    },
    open(active) {
      processor = active;
      phase = 'ready';
    },
    beginDrain() {
      if (phase === 'ready' || phase === 'starting') phase = 'draining';
      server.closeIdleConnections();
    },
    waitIdle(timeoutMs) {
      if (inFlight === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          idleWaiters = idleWaiters.filter((wake) => wake !== onIdle);
          resolve(false);
        }, timeoutMs);
        const onIdle = () => {
          clearTimeout(timer);
          resolve(true);
        };
        idleWaiters.push(onIdle);
      });
    },
    close() {
      phase = 'closed';
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
