import type {
  CloudEvent,
  EventGuard,
  GuardEnterContext,
  GuardStartContext,
  GuardVerdict,
} from '@veba-functions/runtime';
import { Registry } from 'prom-client';
import type { StateLogger } from '../src/store.js';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  obj: object;
}

/** A logger that keeps every line, for assertions. */
export function captureLogger(): StateLogger & {
  lines: LogLine[];
  messages(level?: LogLine['level']): string[];
} {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (obj: object, msg = ''): void => {
      lines.push({ level, msg, obj });
    };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    messages: (level) => lines.filter((l) => !level || l.level === level).map((l) => l.msg),
  };
}

export const SOURCE = 'https://vcsa.corp.local/sdk';

/** A v0.8+ vSphere event: `id` is the vCenter Key. */
export function vsphereEvent(
  key: number,
  overrides: Partial<Record<'id' | 'source' | 'type', string>> = {},
  data: Record<string, unknown> = {},
): CloudEvent<unknown> {
  return {
    specversion: '1.0',
    id: overrides.id ?? String(key),
    source: overrides.source ?? SOURCE,
    type: overrides.type ?? 'com.vmware.vsphere.VmPoweredOnEvent.v0',
    datacontenttype: 'application/json',
    data: { Key: key, ChainId: key, FullFormattedMessage: `event ${key}`, ...data },
  } as unknown as CloudEvent<unknown>;
}

/** A legacy router event: `id` random per emission. */
export function legacyEvent(key: number | undefined, id: string): CloudEvent<unknown> {
  return {
    specversion: '1.0',
    id,
    source: SOURCE,
    type: 'com.vmware.event.router/event',
    subject: 'VmPoweredOnEvent',
    data: key === undefined ? { FullFormattedMessage: 'no key' } : { Key: key },
  } as unknown as CloudEvent<unknown>;
}

export function startContext(
  config: Record<string, unknown>,
  logger = captureLogger(),
  functionName = 'test-fn',
): GuardStartContext & { registry: Registry; capture: ReturnType<typeof captureLogger> } {
  const registry = new Registry();
  return {
    functionName,
    config,
    logger: logger as unknown as GuardStartContext['logger'],
    metrics: registry,
    registry,
    capture: logger,
  };
}

export function enterContext(
  delivery: CloudEvent<unknown>,
  logger = captureLogger(),
  functionName = 'test-fn',
  timeoutMs = 30_000,
): GuardEnterContext {
  return {
    functionName,
    delivery,
    logger: logger as unknown as GuardEnterContext['logger'],
    deadline: Date.now() + timeoutMs,
  };
}

/** `guard.enter(event, ctx)` for an event that is its own delivery (a CloudEvent, no parse step). */
export function enter(
  guard: EventGuard,
  event: CloudEvent<unknown>,
  logger = captureLogger(),
  functionName = 'test-fn',
  timeoutMs = 30_000,
): Promise<GuardVerdict> {
  return guard.enter(event, enterContext(event, logger, functionName, timeoutMs));
}

export async function counterValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const data = await metric.get();
  return data.values
    .filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))
    .reduce((sum, v) => sum + v.value, 0);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fisher-Yates with a seeded generator, so a failing order can be replayed. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed >>> 0;
  const rand = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
