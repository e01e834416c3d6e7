import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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

/**
 * Every outcome, in the order `/metrics` lists them (exported as `EVENT_OUTCOMES`, for tools that
 * report a count per outcome).
 */
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
  /**
   * Reports `veba_function_events_in_flight` from `read` at each scrape (nothing per event): the
   * events the server has taken in and not yet answered.
   */
  trackInFlight(read: () => number): void;
}

/** prom-client's record of one label set, as `inc()` and `observe()` leave it in `hashMap`. */
interface CounterRecord {
  value: number;
  labels: object;
}
interface HistogramRecord {
  sum: number;
  count: number;
  bucketValues: Record<string, number>;
  labels: object;
}
type Store<R> = { hashMap?: Record<string, R | undefined> };

/**
 * One label set of a prom-client metric, updated in place. prom-client's `inc()`/`observe()`
 * (and the children `labels()` returns) validate and hash the label set on every call, about
 * half of the runtime's own work per event; here the first update of a label set goes through
 * the public API, which creates prom-client's record of it, and later ones add to that record
 * as prom-client would. The record is looked up again under its key on every update, so a
 * `reset()` or `remove()` (which drop it) sends the next update back through the public API.
 */
class BoundRecord<R extends { labels: object }> {
  private key: string | undefined;
  private record: R | undefined;

  constructor(
    private readonly store: Store<R>,
    readonly labels: Record<string, string>,
    private readonly slow: (labels: Record<string, string>) => void,
  ) {}

  /** prom-client's current record for these labels, or undefined after the public call made it. */
  current(): R | undefined {
    const map = this.store.hashMap;
    if (this.key !== undefined && map !== undefined) {
      const record = map[this.key];
      if (record === this.record && record !== undefined) return record;
    }
    this.slow(this.labels);
    this.bind();
    return undefined;
  }

  /** Finds the record prom-client made for exactly this labels object (it keeps the reference). */
  private bind(): void {
    this.key = undefined;
    this.record = undefined;
    const map = this.store.hashMap;
    if (map === undefined) return;
    for (const key in map) {
      const record = map[key];
      if (record !== undefined && record.labels === this.labels) {
        this.key = key;
        this.record = record;
        return;
      }
    }
  }
}

/** The buckets as prom-client keys them (`bucketValues['0.005']`): a number key would be converted per event. */
const BUCKET_KEYS = BUCKETS.map(String);

function addCount(record: CounterRecord): void {
  record.value += 1;
}

function addObservation(record: HistogramRecord, seconds: number): void {
  record.sum += seconds;
  record.count += 1;
  // prom-client keeps no bucket for +Inf: count and sum cover it.
  for (let i = 0; i < BUCKETS.length; i++) {
    if (seconds <= BUCKETS[i]!) {
      const key = BUCKET_KEYS[i]!;
      record.bucketValues[key] = (record.bucketValues[key] ?? 0) + 1;
      return;
    }
  }
}

let inPlaceWorks: boolean | undefined;

/**
 * Whether updating records in place gives exactly what prom-client's own calls give, with the
 * installed prom-client: the same two updates made both ways on unregistered metrics must leave
 * equal records. If prom-client ever stores its values differently, the runtime falls back to its
 * label children (slower, never wrong).
 */
export function inPlaceUpdatesMatch(): boolean {
  if (inPlaceWorks !== undefined) return inPlaceWorks;
  try {
    const config = { help: 'probe', labelNames: ['type'] as const, registers: [] };
    const counters = [0, 1].map((i) => new Counter({ ...config, name: `probe_c${i}` }));
    const histograms = [0, 1].map(
      (i) => new Histogram({ ...config, name: `probe_h${i}`, buckets: BUCKETS }),
    );
    const labels = [{ type: 't' }, { type: 't' }];
    counters[0]!.inc(labels[0]!);
    counters[0]!.inc(labels[0]!);
    histograms[0]!.observe(labels[0]!, 0.003);
    histograms[0]!.observe(labels[0]!, 0.2);
    const counter = new BoundRecord<CounterRecord>(
      counters[1] as unknown as Store<CounterRecord>,
      labels[1]!,
      (l) => counters[1]!.inc(l),
    );
    const histogram = new BoundRecord<HistogramRecord>(
      histograms[1] as unknown as Store<HistogramRecord>,
      labels[1]!,
      (l) => histograms[1]!.observe(l, 0.003),
    );
    for (let i = 0; i < 2; i++) {
      const c = counter.current();
      if (c !== undefined) addCount(c);
      const h = histogram.current();
      if (h !== undefined) addObservation(h, 0.2);
    }
    const same = (a: unknown, b: unknown) =>
      JSON.stringify((a as Store<unknown>).hashMap) ===
      JSON.stringify((b as Store<unknown>).hashMap);
    inPlaceWorks =
      counter.current() !== undefined &&
      same(counters[0], counters[1]) &&
      same(histograms[0], histograms[1]);
  } catch {
    inPlaceWorks = false;
  }
  return inPlaceWorks;
}

/** Counting of one event type: an update per outcome and one for the duration. */
interface TypeCells {
  count(outcome: EventOutcome): void;
  observe(seconds: number): void;
}

/**
 * `veba_function_events_total{function,type,outcome}` and
 * `veba_function_handler_duration_seconds{function,type}` as prom-client metrics on a registry of
 * the function's own (with the default process metrics). Each label set is bound once (when its
 * type is first seen) and updated in place afterwards (see BoundRecord).
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
  let inFlight = (): number => 0;
  new Gauge({
    name: 'veba_function_events_in_flight',
    help: 'Events taken in (body read, being parsed, guarded or handled) and not yet answered',
    labelNames: ['function'] as const,
    registers: [registry],
    collect() {
      this.set({ function: functionName }, inFlight());
    },
  });
  const inPlace = inPlaceUpdatesMatch();
  const byType = new Map<string, TypeCells>();

  const inPlaceCells = (type: string): TypeCells => {
    const outcomes = new Map(
      OUTCOMES.map((outcome) => [
        outcome,
        new BoundRecord<CounterRecord>(
          events as unknown as Store<CounterRecord>,
          { function: functionName, type, outcome },
          (labels) => events.inc(labels),
        ),
      ]),
    );
    let pending = 0;
    const observed = new BoundRecord<HistogramRecord>(
      duration as unknown as Store<HistogramRecord>,
      { function: functionName, type },
      (labels) => duration.observe(labels, pending),
    );
    return {
      count(outcome) {
        const record = outcomes.get(outcome)?.current();
        if (record !== undefined) addCount(record);
      },
      observe(seconds) {
        pending = seconds;
        const record = observed.current();
        if (record !== undefined) addObservation(record, seconds);
      },
    };
  };

  const childCells = (type: string): TypeCells => {
    const outcomes = new Map(
      OUTCOMES.map((outcome) => [outcome, events.labels(functionName, type, outcome)]),
    );
    const observed = duration.labels(functionName, type);
    return {
      count: (outcome) => outcomes.get(outcome)?.inc(),
      observe: (seconds) => observed.observe(seconds),
    };
  };

  const cells = (type: string): TypeCells => {
    let entry = byType.get(type);
    if (entry !== undefined) return entry;
    const label = byType.size >= MAX_TYPES ? 'other' : type;
    entry = byType.get(label);
    if (entry === undefined) {
      entry = inPlace ? inPlaceCells(label) : childCells(label);
      byType.set(label, entry);
    }
    return entry;
  };

  return {
    registry,
    count(type, outcome) {
      cells(type).count(outcome);
    },
    observe(type, seconds) {
      cells(type).observe(seconds);
    },
    trackInFlight(read) {
      inFlight = read;
    },
  };
}

/** What {@link registeredCounter} and {@link registeredHistogram} register. */
export interface MetricSpec<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
}

/**
 * The counter `name` on `registry`: the one registered there already, else a new one. A package's
 * metrics go on its function's registry (`ctx.metrics`), where the guards, clients, targets and
 * test instances of one process meet, and prom-client throws on a second registration of a name.
 */
export function registeredCounter<L extends string>(
  registry: Registry,
  spec: MetricSpec<L>,
): Counter<L> {
  const existing = registry.getSingleMetric(spec.name);
  if (existing !== undefined) return existing as Counter<L>;
  return new Counter({ ...spec, registers: [registry] });
}

/** As {@link registeredCounter}, for a histogram with `buckets`. */
export function registeredHistogram<L extends string>(
  registry: Registry,
  spec: MetricSpec<L> & { buckets: number[] },
): Histogram<L> {
  const existing = registry.getSingleMetric(spec.name);
  if (existing !== undefined) return existing as Histogram<L>;
  return new Histogram({ ...spec, registers: [registry] });
}
