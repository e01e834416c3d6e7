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
  /** Time a client has to send a request's headers (Node `headersTimeout`); default 10 s. */
  headersTimeoutMs?: number;
  /** Time a client has to send a whole request, body included (Node `requestTimeout`); default 30 s. */
  requestTimeoutMs?: number;
  /** How long an idle keep-alive connection is kept (Node `keepAliveTimeout`); default 95 s. */
  keepAliveTimeoutMs?: number;
}

/**
 * Defaults of the connection timeouts, and why. In Knative the function's only client is the
 * queue-proxy in its pod: it reads a request's headers itself (ReadHeaderTimeout 1 min,
 * knative.dev/pkg/network/server.go) and passes them on at once, then streams the body, so 10 s
 * for headers and 30 s for a body of at most `FUNCTION_MAX_BODY_BYTES` only cut off clients that
 * are stuck or hostile (Node's defaults, 60 s and 300 s checked every 30 s, kept a trickling
 * connection open for 80 s and more). The queue-proxy's transport, like the eventing
 * dispatcher's, is a clone of Go's DefaultTransport (knative.dev/pkg/network/transports.go,
 * eventing pkg/kncloudevents/http_client.go), which keeps idle connections for 90 s
 * (IdleConnTimeout): the server keeps them longer (95 s), so it is always the client that closes
 * an idle connection, never the server just as the client reuses it (a POST on a connection the
 * server is closing fails, and Go does not retry it).
 */
export const CONNECTION_DEFAULTS = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 95_000,
} as const;

/**
 * After a 413, the rest of the body is read and discarded up to this many bytes in all (4x the
 * limit, at least 16 MiB) before the connection is closed: closing a socket with unread bytes
 * sends a TCP reset, which can destroy the 413 before the sender reads it, and a sender that
 * writes its whole body before reading (Go's net/http, so the Knative dispatcher) then sees a
 * network error, which the broker retries, instead of a 413.
 */
export function drainLimitFor(maxBodyBytes: number): number {
  return Math.max(4 * maxBodyBytes, 16 * 1024 * 1024);
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
  const drainLimit = drainLimitFor(maxBodyBytes);
  let phase: Phase = 'starting';
  let processor: Processor | undefined;
  let inFlight = 0;
  let idleWaiters: Array<() => void> = [];

  const requestTimeout = options.requestTimeoutMs ?? CONNECTION_DEFAULTS.requestTimeoutMs;
  // Node refuses a headers timeout longer than the request timeout.
  const headersTimeout = Math.min(
    options.headersTimeoutMs ?? CONNECTION_DEFAULTS.headersTimeoutMs,
    requestTimeout,
  );
  const keepAliveTimeout = options.keepAliveTimeoutMs ?? CONNECTION_DEFAULTS.keepAliveTimeoutMs;
  const server = createServer(
    {
      noDelay: true,
      headersTimeout,
      requestTimeout,
      keepAliveTimeout,
      // Node checks the two timeouts on this interval (30 s by default, which made a 10 s
      // timeout a 40 s one): every second, or more often for very short timeouts.
      connectionsCheckingInterval: Math.max(25, Math.min(1000, Math.floor(headersTimeout / 4))),
    },
    onRequest,
  );
  metrics.trackInFlight(() => inFlight);

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

  /**
   * 413 at once, `Connection: close`, but the response is ended (and the socket closed) only when
   * the rest of the body has been read and discarded, up to the drain limit: see drainLimitFor.
   */
  function refuseTooLarge(res: ServerResponse, head: RequestHead, size: number): void {
    const identity: EventIdentity = {
      id: head.ce?.id,
      type: head.ce?.type,
      source: head.ce?.source,
    };
    const reason = `body of ${size} bytes exceeds the limit of ${maxBodyBytes} bytes`;
    logRejection(identity, reason, 413);
    const text = JSON.stringify({ error: 'too_large', reason });
    res.writeHead(413, {
      'content-type': JSON_TYPE,
      'content-length': Buffer.byteLength(text),
      connection: 'close',
    });
    res.write(text);
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
    let first: Buffer | undefined;
    let chunks: Buffer[] | undefined;
    let size = 0;
    let over = false;
    if (head.contentLength !== undefined && head.contentLength > maxBodyBytes) {
      over = true;
      refuseTooLarge(res, head, head.contentLength);
    }
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (over) {
        if (size > drainLimit && !res.writableEnded) {
          // Not worth reading further: close, and accept that the sender may see a reset.
          res.end();
          req.socket.destroy();
        }
        return;
      }
      if (size > maxBodyBytes) {
        over = true;
        first = chunks = undefined;
        refuseTooLarge(res, head, size);
        return;
      }
      if (first === undefined) first = chunk;
      else (chunks ??= [first]).push(chunk);
    });
    req.on('end', () => {
      if (over) {
        if (!res.writableEnded) res.end();
        return;
      }
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
