import { STATUS_CODES } from 'node:http';
import { parseArgs } from 'node:util';
import { deliverRepeated, type AttemptReport, type DeliveryResult } from '../delivery.js';
import { UnreachableError, UsageError } from '../errors.js';
import { loadEvent } from '../events.js';
import type { CliContext } from '../io.js';
import { devPort, parsePort } from '../ports.js';
import { findRepoRoot, resolveFunctionDir } from '../repo.js';
import { readTriggers, type TriggerSummary } from '../values.js';

export const SEND_USAGE = `veba-fn send <function|url> <fixture|file> [options]

Delivers an event the way the Knative broker does and prints every attempt.

  <function|url>        a function name (-> http://127.0.0.1:<its dev port>), a URL, or host:port
  <fixture|file>        a JSON file, or a file name of the VEBA sample corpus (veba-fn fixtures)

  --structured          structured mode (application/cloudevents+json) instead of binary
  --times N             deliver the same event N times (duplicates, same id)      [1]
  --concurrency C       deliveries in flight at once                               [1]
  --retries R           retries on network errors, 5xx, 404, 408, 409, 429        [2]
  --backoff-delay MS    base backoff in ms                                         [200]
  --backoff-policy P    linear | exponential                                       [linear]
  --timeout MS          per-attempt timeout in ms                                  [30000]
  --type T, --id ID, --source S   override the event's attributes
  --port N              port of a <function> target (default: its dev port)
  --quiet               print only the summary line

Exit code: 0 when every delivery ended 2xx, 1 when one ended with another status,
2 for a usage error, an unreadable or invalid event file, or an unreachable URL.`;

/** Turns the first argument into a URL: a URL as is, host:port, or a function's dev port. */
export function resolveTarget(target: string, cwd: string, port?: number): string {
  if (/^https?:\/\//i.test(target)) return target;
  if (/^[\w.-]+:\d+$/.test(target)) return `http://${target}`;
  resolveFunctionDir(findRepoRoot(cwd), target);
  return `http://127.0.0.1:${port ?? devPort(target)}`;
}

/**
 * For a function target: a note when none of its Triggers selects the event's type (the broker
 * would never deliver it there), undefined otherwise.
 */
export function triggerMismatch(target: string, cwd: string, type: string): string | undefined {
  if (/^https?:\/\//i.test(target) || /^[\w.-]+:\d+$/.test(target)) return undefined;
  let triggers: TriggerSummary[];
  try {
    triggers = readTriggers(resolveFunctionDir(findRepoRoot(cwd), target));
  } catch {
    return undefined;
  }
  if (triggers.length === 0 || triggers.some((t) => t.type === undefined || t.type === type)) {
    return undefined;
  }
  return `note: no Trigger of ${target} selects type ${type}; the broker would not deliver it there (sending anyway)`;
}

/** `veba-fn send`. */
export async function sendCommand(argv: string[], ctx: CliContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      structured: { type: 'boolean', default: false },
      times: { type: 'string', default: '1' },
      concurrency: { type: 'string', default: '1' },
      retries: { type: 'string', default: '2' },
      'backoff-delay': { type: 'string', default: '200' },
      'backoff-policy': { type: 'string', default: 'linear' },
      timeout: { type: 'string', default: '30000' },
      type: { type: 'string' },
      id: { type: 'string' },
      source: { type: 'string' },
      port: { type: 'string' },
      quiet: { type: 'boolean', default: false },
    },
  });
  const [target, eventRef] = positionals;
  if (!target || !eventRef || positionals.length > 2) {
    throw new UsageError('usage: veba-fn send <function|url> <fixture|file> [options]');
  }
  const times = integer('--times', values.times, 1);
  const concurrency = integer('--concurrency', values.concurrency, 1);
  const retries = integer('--retries', values.retries, 0);
  const backoffDelayMs = integer('--backoff-delay', values['backoff-delay'], 0);
  const timeoutMs = integer('--timeout', values.timeout, 1);
  const policy = values['backoff-policy'];
  if (policy !== 'linear' && policy !== 'exponential') {
    throw new UsageError(`--backoff-policy must be linear or exponential, not "${policy}"`);
  }
  let port: number | undefined;
  if (values.port !== undefined) {
    try {
      port = parsePort(values.port);
    } catch (error) {
      throw new UsageError(`--port: ${(error as Error).message}`);
    }
  }

  const url = resolveTarget(target, ctx.cwd, port);
  const event = loadEvent(eventRef, {
    cwd: ctx.cwd,
    overrides: { type: values.type, id: values.id, source: values.source },
  });
  const mode = values.structured ? 'structured' : 'binary';
  const note = triggerMismatch(target, ctx.cwd, event.attributes.type ?? '');
  if (note && !values.quiet) ctx.err(note);
  if (!values.quiet) {
    ctx.out(
      `POST ${url} ${mode} ${event.attributes.type} id=${event.attributes.id ?? '(none)'} from ${event.origin}` +
        (times > 1 ? ` x${times} (concurrency ${concurrency})` : ''),
    );
  }
  const results = await deliverRepeated(url, event, {
    mode,
    times,
    concurrency,
    retries,
    backoffDelayMs,
    backoffPolicy: policy,
    timeoutMs,
    signal: ctx.signal,
    onAttempt: values.quiet ? undefined : (report) => ctx.out(formatAttempt(report, times)),
  });
  ctx.out(summarize(results));
  if (results.some((r) => r.unreachable)) {
    const last = results.find((r) => r.unreachable)!.attempts.at(-1)!;
    throw new UnreachableError(
      `cannot reach ${url}: ${last.error ?? 'no answer'}` +
        (/^https?:/i.test(target) ? '' : ` (is \`veba-fn dev ${target}\` running?)`),
    );
  }
  return results.every((r) => r.ok) ? 0 : 1;
}

/** `#2 attempt 1: 503 Service Unavailable (4 ms), retry in 200 ms  {"error":...}` */
export function formatAttempt(report: AttemptReport, times = 1): string {
  const who = times > 1 ? `#${report.delivery} ` : '';
  const outcome =
    report.status === undefined
      ? `network error: ${report.error ?? 'unknown'}`
      : `${report.status} ${STATUS_CODES[report.status] ?? ''}`.trimEnd();
  const retry = report.retryInMs === undefined ? '' : `, retry in ${report.retryInMs} ms`;
  const body = report.body.trim().replace(/\s+/g, ' ');
  const shown = body.length > 160 ? `${body.slice(0, 157)}...` : body;
  return `${who}attempt ${report.attempt}: ${outcome} (${report.durationMs} ms)${retry}${shown ? `  ${shown}` : ''}`;
}

/** `delivered 3: 200 x2, 409 x1 (4 attempts)` */
export function summarize(results: DeliveryResult[]): string {
  const counts = new Map<string, number>();
  for (const result of results) {
    const key = result.status === undefined ? 'unreachable' : String(result.status);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const attempts = results.reduce((sum, r) => sum + r.attempts.length, 0);
  const parts = [...counts].map(([key, count]) => `${key} x${count}`).join(', ');
  return `delivered ${results.length}: ${parts} (${attempts} attempt${attempts === 1 ? '' : 's'})`;
}

function integer(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new UsageError(`${flag} must be an integer >= ${min}, not "${value}"`);
  }
  return n;
}
