import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetrics, inPlaceUpdatesMatch } from '../src/metrics.js';
import type { EventOutcome } from '../src/metrics.js';

const BUCKETS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** The same two metrics fed through prom-client's public API only: what the runtime must match. */
function reference(functionName: string) {
  const registry = new Registry();
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
  return {
    registry,
    count: (type: string, outcome: EventOutcome) =>
      events.inc({ function: functionName, type, outcome }),
    observe: (type: string, seconds: number) =>
      duration.observe({ function: functionName, type }, seconds),
  };
}

async function text(registry: Registry): Promise<string> {
  const names = ['veba_function_events_total', 'veba_function_handler_duration_seconds'];
  const parts = await Promise.all(names.map((name) => registry.getSingleMetricAsString(name)));
  return parts.join('\n');
}

/** Durations on, between and beyond the bucket bounds (60 s and more land in +Inf only). */
const DURATIONS = [0.0004, 0.001, 0.0011, 0.02, 0.3, 1, 7, 60, 61, 3600];
const OUTCOMES: EventOutcome[] = ['processed', 'invalid', 'processed', 'failed', 'duplicate'];

describe('createMetrics', () => {
  it('updates prom-client records in place with the installed prom-client', () => {
    // If this fails after a prom-client upgrade, the runtime still counts right (through label
    // children) but pays for hashing every label set on every event again.
    expect(inPlaceUpdatesMatch()).toBe(true);
  });

  it('exposes exactly what prom-client itself would, for many events of several types', async () => {
    const metrics = createMetrics('fn');
    const expected = reference('fn');
    for (let i = 0; i < 500; i++) {
      const type = `com.vmware.vsphere.Type${i % 7}.v0`;
      const outcome = OUTCOMES[i % OUTCOMES.length]!;
      const seconds = DURATIONS[i % DURATIONS.length]!;
      for (const m of [metrics, expected]) {
        m.observe(type, seconds);
        m.count(type, outcome);
      }
    }
    const actual = await text(metrics.registry);
    expect(actual).toBe(await text(expected.registry));
    expect(actual).toContain(
      'veba_function_events_total{function="fn",type="com.vmware.vsphere.Type0.v0",outcome="processed"}',
    );
  });

  it('counts from zero again after the registry is reset, and after a label set is removed', async () => {
    const metrics = createMetrics('fn');
    for (let i = 0; i < 5; i++) {
      metrics.count('t', 'processed');
      metrics.observe('t', 0.002);
    }
    metrics.registry.resetMetrics();
    metrics.count('t', 'processed');
    metrics.count('t', 'processed');
    metrics.observe('t', 0.002);
    const afterReset = await text(metrics.registry);
    expect(afterReset).toContain(
      'veba_function_events_total{function="fn",type="t",outcome="processed"} 2',
    );
    expect(afterReset).toContain(
      'veba_function_handler_duration_seconds_count{function="fn",type="t"} 1',
    );

    const counter = metrics.registry.getSingleMetric('veba_function_events_total') as Counter;
    counter.remove({ function: 'fn', type: 't', outcome: 'processed' });
    metrics.count('t', 'processed');
    expect(await text(metrics.registry)).toContain(
      'veba_function_events_total{function="fn",type="t",outcome="processed"} 1',
    );
  });

  it('folds types beyond the first 200 into "other"', async () => {
    const metrics = createMetrics('fn');
    for (let i = 0; i < 205; i++) metrics.count(`type-${i}`, 'invalid');
    const exposed = await text(metrics.registry);
    expect(exposed).toContain('type="type-199"');
    expect(exposed).not.toContain('type="type-200"');
    expect(exposed).toContain(
      'veba_function_events_total{function="fn",type="other",outcome="invalid"} 5',
    );
  });
});
