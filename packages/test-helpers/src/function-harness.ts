import { request } from 'node:http';
import { startFunction } from '@veba-functions/runtime';
import type {
  AnyFunctionDefinition,
  DestinationStream,
  HandlerContext,
  Logger,
  RunningFunction,
} from '@veba-functions/runtime';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import type { VebaFixture } from './fixtures.js';
import { loadVebaFixture } from './fixtures.js';

/** Log lines captured from a function or a handler, parsed on demand. */
export interface LogCapture extends DestinationStream {
  readonly lines: string[];
  /** Every line as a JSON object. */
  records(): Array<Record<string, unknown>>;
  /** The `msg` of every line at `level` (pino label, e.g. `warn`). */
  messages(level?: string): string[];
  /** All lines as one text (for "no secret anywhere" greps). */
  text(): string;
}

/** A log destination that keeps every line. */
export function captureLogs(): LogCapture {
  const lines: string[] = [];
  const records = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    lines,
    write(line: string) {
      lines.push(line);
    },
    records,
    messages: (level) =>
      records()
        .filter((record) => level === undefined || record.level === level)
        .map((record) => String(record.msg)),
    text: () => lines.join(''),
  };
}

/** A function started in-process for a test. */
export interface TestFunction extends RunningFunction {
  readonly logs: LogCapture;
  /** The sum of a Prometheus sample's values from `GET /metrics` whose labels include `labels`. */
  metric(name: string, labels?: Record<string, string>): Promise<number>;
}

/**
 * Starts a function definition on a free loopback port with captured logs (the same
 * `startFunction` the CLI uses). Stop it after the test.
 *
 * @example
 * const fn = await startTestFunction(createEcho(), { env: {} });
 * afterEach(() => fn.stop());
 */
export async function startTestFunction(
  definition: AnyFunctionDefinition,
  options: { env?: Record<string, string | undefined> } = {},
): Promise<TestFunction> {
  const logs = captureLogs();
  const running = await startFunction(definition, {
    env: options.env ?? {},
    port: 0,
    host: '127.0.0.1',
    logDestination: logs,
  });
  return Object.assign(running, {
    logs,
    async metric(name: string, labels: Record<string, string> = {}) {
      const text = (await httpRequest(running.url, { method: 'GET', path: '/metrics' })).body;
      return sumSamples(text, name, labels);
    },
  });
}

/** Sums the samples of `name` in a Prometheus text exposition whose labels include `labels`. */
export function sumSamples(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][\w:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const present = new Map(
      [...(match[3] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
    if (Object.entries(labels).every(([key, value]) => present.get(key) === value)) {
      sum += Number(match[4]);
    }
  }
  return sum;
}

/** A CloudEvent to send: its attributes (strings) and data. */
export interface CloudEventInput {
  specversion?: string;
  id: string;
  source: string;
  type: string;
  data?: unknown;
  [attribute: string]: unknown;
}

/** An HTTP answer. */
export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

/** Options of {@link sendCloudEvent}. */
export interface SendOptions {
  /** `binary` (what the Knative broker sends; default) or `structured`. */
  mode?: 'binary' | 'structured';
  /** Extra or replacing headers (`undefined` removes one). */
  headers?: Record<string, string | undefined>;
  /** Send this body instead of the JSON of `data` (binary mode). */
  rawBody?: string | Buffer;
}

/**
 * POSTs one CloudEvent the way the Knative broker does (binary mode: `ce-*` headers, JSON body),
 * or in structured mode. Attribute values are percent-encoded as the HTTP binding says
 * ({@link encodeHeaderValue}).
 *
 * @example
 * const reply = await sendCloudEvent(fn.url, fixtureEvent('kn-pcli-tag__test-payload.json'));
 * expect(reply.status).toBe(200);
 */
export function sendCloudEvent(
  url: string,
  event: CloudEventInput,
  options: SendOptions = {},
): Promise<HttpReply> {
  const { data, ...attributes }: Record<string, unknown> = { specversion: '1.0', ...event };
  let headers: Record<string, string | undefined>;
  let body: string | Buffer | undefined;
  if (options.mode === 'structured') {
    headers = { 'content-type': 'application/cloudevents+json' };
    body = JSON.stringify(
      event.specversion === undefined ? { specversion: '1.0', ...event } : event,
    );
  } else {
    headers = { 'content-type': 'application/json' };
    for (const [name, value] of Object.entries(attributes)) {
      if (value === undefined || name === 'datacontenttype') continue;
      headers[`ce-${name}`] = encodeHeaderValue(
        typeof value === 'string' ? value : JSON.stringify(value),
      );
    }
    const contentType = attributes.datacontenttype;
    if (typeof contentType === 'string') headers['content-type'] = contentType;
    body = options.rawBody ?? (data === undefined ? undefined : JSON.stringify(data));
  }
  return httpRequest(url, { headers: { ...headers, ...options.headers }, body });
}

/**
 * A `ce-*` header value per the CloudEvents HTTP binding: space, `"`, `%` and anything outside
 * printable ASCII are percent-encoded (UTF-8). The one encoder: the CLI's deliveries use it too.
 *
 * @example
 * encodeHeaderValue('a b"%é'); // 'a%20b%22%25%C3%A9'
 */
export function encodeHeaderValue(value: string): string {
  return value.replace(/[^\x21-\x7e]|["%]/gu, (char) =>
    Array.from(
      Buffer.from(char, 'utf8'),
      (byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    ).join(''),
  );
}

/**
 * A raw node:http request (fetch hides the connection handling some tests look at). `signal`
 * aborts it (rejecting with the `AbortError`), e.g. `AbortSignal.timeout(ms)` for a deadline.
 */
export function httpRequest(
  url: string,
  options: {
    method?: string;
    path?: string;
    headers?: Record<string, string | undefined>;
    body?: string | Buffer | undefined;
    signal?: AbortSignal;
  } = {},
): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    // Without a path, the URL's own path and query are the target (a sink at /events?x=1).
    const target = options.path === undefined ? new URL(url) : new URL(options.path, url);
    const headers = Object.fromEntries(
      Object.entries(options.headers ?? {}).filter(([, value]) => value !== undefined),
    ) as Record<string, string>;
    const req = request(
      target,
      { method: options.method ?? 'POST', headers, agent: false, signal: options.signal },
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

/**
 * A corpus sample as a CloudEvent to send or to parse (`new CloudEvent(fixtureEvent(...))`), with
 * attribute or data overrides. Throws for a sample that is not a complete CloudEvent.
 *
 * @example
 * const event = fixtureEvent('kn-pcli-tag__test-payload.json', { id: '42' });
 */
export function fixtureEvent(
  file: string,
  overrides: Partial<CloudEventInput> = {},
): CloudEventInput {
  const fixture: VebaFixture = loadVebaFixture(file);
  if (!fixture.valid || fixture.event === undefined) {
    throw new Error(`VEBA fixture ${file} is not a complete CloudEvent: ${fixture.reason ?? ''}`);
  }
  return { ...(structuredClone(fixture.event) as CloudEventInput), ...overrides };
}

/** Options of {@link handlerContext}. */
export interface HandlerContextOptions<S, C> {
  state: S;
  config?: C;
  /** Milliseconds to the deadline. Default 30 000. */
  timeoutMs?: number;
  /** Log level of the captured logger. Default `debug`. */
  level?: string;
}

/**
 * The context the runtime hands a handler, for unit tests that call `handle(event, ctx)` directly:
 * a real pino logger writing to a capture, a live AbortSignal and a deadline.
 *
 * @example
 * const ctx = handlerContext({ state: { slack: fakeSlack } });
 * await handle(event, ctx);
 * expect(ctx.logs.messages('info')).toContain('posted');
 */
export function handlerContext<S, C = Record<string, unknown>>(
  options: HandlerContextOptions<S, C>,
): HandlerContext<S, C> & { logs: LogCapture; controller: AbortController } {
  const logs = captureLogs();
  const logger: Logger = pino(
    {
      level: options.level ?? 'debug',
      base: null,
      formatters: { level: (label) => ({ level: label }) },
    },
    logs,
  );
  const controller = new AbortController();
  return {
    state: options.state,
    config: (options.config ?? {}) as C,
    logger,
    signal: controller.signal,
    deadline: Date.now() + (options.timeoutMs ?? 30_000),
    outOfOrder: false,
    metrics: new Registry(),
    logs,
    controller,
  };
}
