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
  | 'too_large';

/** Distinct `type` labels kept before new ones are folded into `other` (a sender can invent types). */
const MAX_TYPES = 200;

interface CounterChild {
  inc(): void;
}
interface HistogramChild {
  observe(value: number): void;
}

/** The runtime's metrics on a per-instance registry, with label children cached so counting an event does no label hashing. */
export interface FunctionMetrics {
  registry: Registry;
  count(type: string, outcome: EventOutcome): void;
  observe(type: string, seconds: number): void;
}

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
    help: 'Time spent in guards and the handler per event',
    labelNames: ['function', 'type'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const counters = new Map<string, Map<string, CounterChild>>();
  const histograms = new Map<string, HistogramChild>();
  const knownTypes = new Set<string>();

  const typeLabel = (type: string): string => {
    if (knownTypes.has(type)) return type;
    if (knownTypes.size >= MAX_TYPES) return 'other';
    knownTypes.add(type);
    return type;
  };

  return {
    registry,
    count(type, outcome) {
      const label = typeLabel(type);
      let byOutcome = counters.get(label);
      if (byOutcome === undefined) {
        byOutcome = new Map();
        counters.set(label, byOutcome);
      }
      let child = byOutcome.get(outcome);
      if (child === undefined) {
        child = events.labels(functionName, label, outcome);
        byOutcome.set(outcome, child);
      }
      child.inc();
    },
    observe(type, seconds) {
      const label = typeLabel(type);
      let child = histograms.get(label);
      if (child === undefined) {
        child = duration.labels(functionName, label);
        histograms.set(label, child);
      }
      child.observe(seconds);
    },
  };
}
