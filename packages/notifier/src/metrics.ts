import { Counter, type Registry } from 'prom-client';

/**
 * The counter `name` on `registry`: the one registered there already (the targets, clients and
 * test instances of one process share a function's registry, and prom-client throws on a second
 * registration of a name), else a new one.
 */
export function registeredCounter<L extends string>(
  registry: Registry,
  metric: { name: string; help: string; labelNames: readonly L[] },
): Counter<L> {
  const existing = registry.getSingleMetric(metric.name);
  if (existing) return existing as Counter<L>;
  return new Counter({ ...metric, registers: [registry] });
}
