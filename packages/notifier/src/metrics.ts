import { Counter, type Registry } from 'prom-client';

/**
 * The counter `name` on `registry`: the one registered there already (the targets, clients and
 * test instances of one process share a function's registry, and prom-client throws on a second
 * registration of a name), else a new one.
 */
export function registeredCounter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: L[],
): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}
