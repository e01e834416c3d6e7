import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isRecord } from '@veba-functions/runtime';
import type { OutgoingEvent } from '../events.js';

/**
 * The broker emulation's ingress: where event producers (vcsim's VEBA source emulator) POST
 * CloudEvents. It keeps each event for the broker's dispatch and answers as a Knative sink must
 * (knative/eventing `docs/spec/data-plane.md`, "HTTP Support"): `202 Accepted` for an event,
 * `400 Bad Request` for a request that is no valid CloudEvent, `405` for any method but POST.
 */
export interface BrokerIngress {
  /** `http://127.0.0.1:<port>/`, the sink URL to give a producer. */
  readonly url: string;
  /** Accepted events, in arrival order. */
  readonly events: readonly OutgoingEvent[];
  /** Requests answered 400 or 405. */
  readonly refused: number;
  stop(): Promise<void>;
}

/** A request that is not a CloudEvent (the ingress answers 400 with the message). */
export class IngressRejectionError extends Error {
  override readonly name = 'IngressRejectionError';
}

const REQUIRED = ['specversion', 'id', 'source', 'type'] as const;

/** Reverses the CloudEvents HTTP binding's percent-encoding of a `ce-*` header value. */
function decodeHeaderValue(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    // A lone `%` that does not start an escape is kept as sent.
    return value;
  }
}

/**
 * A CloudEvent from an HTTP request: binary mode (`ce-*` headers, the body as data) or structured
 * mode (`application/cloudevents+json`). The body is kept byte for byte (`rawBody`) so the broker
 * forwards what it got; `data` is parsed when the body is JSON. Throws IngressRejectionError
 * when a required attribute is missing or a structured envelope is not a JSON object.
 */
export function decodeCloudEvent(
  headers: IncomingHttpHeaders,
  body: string,
  origin: string,
): OutgoingEvent {
  const contentType = String(headers['content-type'] ?? '');
  const attributes: Record<string, string> = {};
  let data: unknown;
  let rawBody: string | undefined;
  if (contentType.startsWith('application/cloudevents+json')) {
    let envelope: unknown;
    try {
      envelope = JSON.parse(body);
    } catch (error) {
      throw new IngressRejectionError(`structured event is not JSON: ${(error as Error).message}`);
    }
    if (!isRecord(envelope))
      throw new IngressRejectionError('structured event is not a JSON object');
    for (const [name, value] of Object.entries(envelope)) {
      if (name === 'data' || name === 'data_base64' || value === null) continue;
      attributes[name] = typeof value === 'string' ? value : JSON.stringify(value);
    }
    data = envelope.data;
  } else {
    for (const [name, value] of Object.entries(headers)) {
      if (!name.startsWith('ce-') || value === undefined) continue;
      attributes[name.slice(3)] = decodeHeaderValue(Array.isArray(value) ? value.join(',') : value);
    }
    if (contentType !== '') attributes.datacontenttype = contentType;
    rawBody = body;
    if (/[/+]json\b/.test(contentType)) {
      try {
        data = JSON.parse(body);
      } catch {
        // The broker does not read data; a function answers 400 for a body it cannot use.
      }
    }
  }
  const missing = REQUIRED.filter((name) => !attributes[name]);
  if (missing.length > 0) {
    throw new IngressRejectionError(`missing CloudEvent attribute(s): ${missing.join(', ')}`);
  }
  return { attributes, data, ...(rawBody === undefined ? {} : { rawBody }), origin };
}

/** Starts the ingress on a free loopback port; `origin` names each event's producer for messages. */
export async function startBrokerIngress(
  options: { origin?: (event: OutgoingEvent) => string } = {},
): Promise<BrokerIngress> {
  const events: OutgoingEvent[] = [];
  let refused = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST') {
        refused += 1;
        res.writeHead(405, { allow: 'POST' }).end();
        return;
      }
      try {
        const event = decodeCloudEvent(req.headers, Buffer.concat(chunks).toString('utf8'), '');
        event.origin = options.origin?.(event) ?? `ingress id ${event.attributes.id}`;
        events.push(event);
        res.writeHead(202).end();
      } catch (error) {
        if (!(error instanceof IngressRejectionError)) throw error;
        refused += 1;
        res
          .writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: error.message }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    events,
    get refused() {
      return refused;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
