import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Outcomes counted in `veba_function_events_total`. */
export type EventOutcome =
  | 'processed'
  | 'duplicate'
  | 'stale'
  | 'ignored'
  | 'invalid'
  | 'in_progress'
  | 'unavailable'
  | 'failed'
  | 'timeout'
  | 'cut_off'
  | 'too_large';

/** Every outcome, in the order `/metrics` lists them (exported as `EVENT_OUTCOMES`). */
export const OUTCOMES: readonly EventOutcome[] = [
  'processed',
  'duplicate',
  'stale',
  'ignored',
  'invalid',
  'in_progress',
  'unavailable',
  'failed',
  'timeout',
  'cut_off',
  'too_large',
];

/** Distinct `type` labels kept before new ones are folded into `other` (a sender can invent types). */
const MAX_TYPES = 200;
const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The runtime's metrics, on a per-instance registry. */
export interface FunctionMetrics {
  registry: Registry;
  count(type: string, outcome: EventOutcome): void;
  observe(type: string, seconds: number): void;
}

/** The label children of one event type, bound once when the type is first seen. */
interface TypeChildren {
  outcomes: Map<EventOutcome, Counter.Internal>;
  duration: Histogram.Internal<'function' | 'type'>;
}

/**
 * `veba_function_events_total{function,type,outcome}` and
 * `veba_function_handler_duration_seconds{function,type}` as prom-client metrics on a registry of
 * the function's own (with the default process metrics). Label children are bound once per type
 * (`labels()` on first sight), not looked up per event.
 */
export function createMetrics(functionName: string): FunctionMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const events = new Counter({
    name: 'veba_function_events_total',
    help: 'CloudEvents received, by type and outcome',
    labelNames: ['function', 'type', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'veba_function_handler_duration_seconds',
    help: 'Time spent parsing, in guards and in the handler per event',
    labelNames: ['function', 'type'] as const,
    buckets: BUCKETS,
    registers: [registry],
  });
  const byType = new Map<string, TypeChildren>();

  const children = (type: string): TypeChildren => {
    let entry = byType.get(type);
    if (entry !== undefined) return entry;
    const label = byType.size >= MAX_TYPES ? 'other' : type;
    entry = byType.get(label);
    if (entry === undefined) {
      entry = {
        outcomes: new Map(
          OUTCOMES.map((outcome) => [outcome, events.labels(functionName, label, outcome)]),
        ),
        duration: duration.labels(functionName, label),
      };
      byType.set(label, entry);
    }
    return entry;
  };

  return {
    registry,
    count(type, outcome) {
      children(type).outcomes.get(outcome)?.inc();
    },
    observe(type, seconds) {
      children(type).duration.observe(seconds);
    },
  };
}
