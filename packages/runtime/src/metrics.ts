import { Registry, collectDefaultMetrics } from 'prom-client';

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

const OUTCOMES: readonly EventOutcome[] = [
  'processed',
  'duplicate',
  'stale',
  'ignored',
  'invalid',
  'in_progress',
  'unavailable',
  'failed',
  'timeout',
  'too_large',
];
const OUTCOME_INDEX = new Map<EventOutcome, number>(OUTCOMES.map((outcome, i) => [outcome, i]));

/** Distinct `type` labels kept before new ones are folded into `other` (a sender can invent types). */
const MAX_TYPES = 200;
const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The runtime's metrics, on a per-instance registry. */
export interface FunctionMetrics {
  registry: Registry;
  count(type: string, outcome: EventOutcome): void;
  observe(type: string, seconds: number): void;
}

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

interface PerType {
  outcomes: number[];
  buckets: number[]; // per bucket, not cumulative; the last slot is +Inf
  sum: number;
  count: number;
}

/**
 * Counting an event is two array increments: prom-client's labelled children hash their label
 * set on every call, which cost more than the rest of the runtime's per-event work. The numbers
 * are kept here and handed to the registry as prom-client metric objects at scrape time.
 */
export function createMetrics(functionName: string): FunctionMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const byType = new Map<string, PerType>();

  const slot = (type: string): PerType => {
    let entry = byType.get(type);
    if (entry === undefined) {
      const label = byType.size >= MAX_TYPES ? 'other' : type;
      entry = byType.get(label);
      if (entry === undefined) {
        entry = {
          outcomes: OUTCOMES.map(() => 0),
          buckets: [...BUCKETS.map(() => 0), 0],
          sum: 0,
          count: 0,
        };
        byType.set(label, entry);
      }
    }
    return entry;
  };

  const events = {
    name: 'veba_function_events_total',
    help: 'CloudEvents received, by type and outcome',
    type: 'counter',
    aggregator: 'sum',
    get() {
      const values: MetricValue[] = [];
      for (const [type, entry] of byType) {
        entry.outcomes.forEach((value, i) => {
          if (value > 0)
            values.push({ labels: { function: functionName, type, outcome: OUTCOMES[i]! }, value });
        });
      }
      return {
        name: this.name,
        help: this.help,
        type: this.type,
        aggregator: this.aggregator,
        values,
      };
    },
    reset() {
      for (const entry of byType.values()) entry.outcomes.fill(0);
    },
  };

  const duration = {
    name: 'veba_function_handler_duration_seconds',
    help: 'Time spent in guards and the handler per event',
    type: 'histogram',
    aggregator: 'sum',
    get() {
      const values: MetricValue[] = [];
      for (const [type, entry] of byType) {
        if (entry.count === 0) continue;
        let cumulative = 0;
        entry.buckets.forEach((value, i) => {
          cumulative += value;
          const le = i < BUCKETS.length ? BUCKETS[i]! : '+Inf';
          values.push({
            metricName: `${this.name}_bucket`,
            labels: { function: functionName, type, le },
            value: cumulative,
          });
        });
        values.push({
          metricName: `${this.name}_sum`,
          labels: { function: functionName, type },
          value: entry.sum,
        });
        values.push({
          metricName: `${this.name}_count`,
          labels: { function: functionName, type },
          value: entry.count,
        });
      }
      return {
        name: this.name,
        help: this.help,
        type: this.type,
        aggregator: this.aggregator,
        values,
      };
    },
    reset() {
      for (const entry of byType.values()) {
        entry.buckets.fill(0);
        entry.sum = 0;
        entry.count = 0;
      }
    },
  };

  // prom-client's Registry accepts any object with name/help/type/get(); the cast is its missing type.
  registry.registerMetric(events as unknown as Parameters<Registry['registerMetric']>[0]);
  registry.registerMetric(duration as unknown as Parameters<Registry['registerMetric']>[0]);

  return {
    registry,
    count(type, outcome) {
      slot(type).outcomes[OUTCOME_INDEX.get(outcome)!]! += 1;
    },
    observe(type, seconds) {
      const entry = slot(type);
      let i = 0;
      while (i < BUCKETS.length && seconds > BUCKETS[i]!) i++;
      entry.buckets[i]! += 1;
      entry.sum += seconds;
      entry.count += 1;
    },
  };
}
