import { pino } from 'pino';
import type { DestinationStream, Logger, LoggerOptions } from 'pino';
import { REDACTED, createScrubber, secretForms } from './scrub.js';

export type { Logger, DestinationStream };
export { createScrubber };

/**
 * Wraps a destination so every line is scrubbed of secret values before it is written: this
 * catches secrets inside error messages and stacks that path-based `redact` cannot see.
 */
export function scrubbingDestination(
  destination: DestinationStream,
  values: readonly string[],
): DestinationStream {
  if (secretForms(values).length === 0) return destination;
  const scrub = createScrubber(values);
  return {
    write(line: string) {
      destination.write(scrub(line));
    },
  };
}

let lastMillis = 0;
let lastTime = '';
/**
 * pino's `isoTime` formats a Date per line, a measurable share of a busy function's CPU; under
 * load many lines share a millisecond, so the formatted string is reused.
 */
function cachedIsoTime(): string {
  const now = Date.now();
  if (now !== lastMillis) {
    lastMillis = now;
    lastTime = `,"time":"${new Date(now).toISOString()}"`;
  }
  return lastTime;
}

/** A destination that can be flushed synchronously before the process exits. */
export interface FlushableDestination extends DestinationStream {
  flushSync(): void;
}

/**
 * Lines written during one event-loop turn go out in one synchronous write at the end of the
 * turn (setImmediate): in a VM a write syscall costs several microseconds, as much as the rest of
 * an event's handling, so a busy function makes one write per turn instead of one per line, and a
 * quiet one still writes each line at once. `flushSync()` (called before every exit, and on the
 * process 'exit' event) leaves nothing behind. (Batching over 10 ms instead measured no faster.)
 */
export function createBatchedDestination(fd = 1): FlushableDestination {
  const sonic = pino.destination({ dest: fd, sync: true });
  let pending = '';
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    if (pending === '') return;
    const text = pending;
    pending = '';
    sonic.write(text);
  };
  process.on('exit', flush);
  return {
    write(line: string) {
      pending += line;
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    },
    flushSync: flush,
  };
}

/** Creates the logger of one event, bound to its `ceId`, `ceType` and `ceSource`. */
export type EventLoggerFactory = (id: unknown, type: unknown, source: unknown) => Logger;

type Internals = Record<symbol, unknown>;

/** Printable ASCII but `"` and the backslash: JSON.stringify would only add the quotes. */
const PLAIN_JSON_STRING = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function boundField(key: string, value: unknown): string {
  if (value === undefined) return '';
  // Event ids are UUIDs or numbers as text: a third of the JSON.stringify's cost.
  if (typeof value === 'string' && PLAIN_JSON_STRING.test(value)) return `,"${key}":"${value}"`;
  return `,"${key}":${JSON.stringify(value)}`;
}

/**
 * `logger.child({ ceId, ceType, ceSource })` for every event, at a fraction of its cost: pino's
 * `child` rebuilds its formatters and walks the bindings through its stringifiers on every call,
 * a measurable share of a busy function's CPU. Here the per-event logger is what `child` would
 * return (an object whose prototype is a child of `root`, holding the bound fields as pino's
 * serialized bindings), built with one string concatenation. At creation the result is checked
 * against a real `child` for the same bindings; any difference (a serializer, a redact path or a
 * bindings formatter touching these keys) falls back to `child` itself.
 */
export function createEventLoggerFactory(root: Logger): EventLoggerFactory {
  const slow: EventLoggerFactory = (id, type, source) =>
    root.child({ ceId: id, ceType: type, ceSource: source });
  const { chindingsSym } = pino.symbols;
  const template = root.child({});
  const base = (template as unknown as Internals)[chindingsSym];
  if (typeof base !== 'string') return slow;
  // A function sees the same few types and sources over and over: their fields are reused.
  let lastType: unknown;
  let lastSource: unknown;
  let lastTail = '';
  const fast: EventLoggerFactory = (id, type, source) => {
    if (type !== lastType || source !== lastSource || lastTail === '') {
      lastTail = boundField('ceType', type) + boundField('ceSource', source);
      lastType = type;
      lastSource = source;
    }
    const logger = Object.create(template) as Logger & Internals;
    logger[chindingsSym] = base + boundField('ceId', id) + lastTail;
    return logger;
  };
  const probes = [
    ['id "\\ \u2028 é', 'com.vmware.Event.v0', 'https://vc/sdk'],
    ['4f1a-9', 'com.vmware.vsphere.VmPoweredOnEvent.v0', 'https://vc.local/sdk'],
  ] as const;
  const same = (probe: readonly [string, string, string]) =>
    (slow(...probe) as unknown as Internals)[chindingsSym] ===
    (fast(...probe) as unknown as Internals)[chindingsSym];
  return probes.every(same) ? fast : slow;
}

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  name: string;
  level: string;
  /** Secret values to scrub from every line. */
  secretValues: readonly string[];
  /** Config keys whose values are secret; redacted by path wherever they appear as properties. */
  secretKeys: readonly string[];
  destination: DestinationStream;
}

const HEADER_PATHS = [
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'headers["x-api-key"]',
  'req.headers.authorization',
  'req.headers.cookie',
  'request.headers.authorization',
  'request.headers.cookie',
  'config.headers.Authorization',
  'config.headers.authorization',
];

/** The runtime's root logger: pino JSON, path redaction for credentials, value scrubbing in the destination. */
export function createLogger(options: CreateLoggerOptions): Logger {
  const keyPaths = options.secretKeys.flatMap((key) => [
    /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`,
    /^[A-Za-z_$][\w$]*$/.test(key) ? `config.${key}` : `config["${key}"]`,
  ]);
  const loggerOptions: LoggerOptions = {
    level: options.level,
    base: { function: options.name },
    timestamp: cachedIsoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: [...HEADER_PATHS, ...keyPaths], censor: REDACTED },
  };
  return pino(loggerOptions, scrubbingDestination(options.destination, options.secretValues));
}
