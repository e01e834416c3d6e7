import type { Counter, Registry } from 'prom-client';
import { registeredCounter } from '@veba-functions/runtime';

/** The counters the guards add to the function's registry. */
export interface StateMetrics {
  duplicates: Counter<'function'>;
  inProgress: Counter<'function'>;
  stale: Counter<'function' | 'policy'>;
  storeErrors: Counter<'function' | 'operation' | 'mode'>;
  payloadMismatch: Counter<'function'>;
  takeovers: Counter<'function'>;
  completionConflicts: Counter<'function' | 'outcome'>;
  unchecked: Counter<'function' | 'reason'>;
}

// Both guards of a function (and several functions in one test process) share a registry.
const counter = <L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: L[],
): Counter<L> => registeredCounter(registry, { name, help, labelNames });

/** Registers (or finds) the state counters on `registry`. */
export function stateMetrics(registry: Registry): StateMetrics {
  return {
    duplicates: counter(
      registry,
      'veba_state_duplicates_total',
      'Events skipped because the same event was already processed',
      ['function'],
    ),
    inProgress: counter(
      registry,
      'veba_state_in_progress_total',
      'Events answered 409 because the same event was being processed',
      ['function'],
    ),
    stale: counter(
      registry,
      'veba_state_stale_total',
      'Events older than the ordering mark of their scope',
      ['function', 'policy'],
    ),
    storeErrors: counter(
      registry,
      'veba_state_store_errors_total',
      'State store operations that failed (Redis down or timed out)',
      ['function', 'operation', 'mode'],
    ),
    payloadMismatch: counter(
      registry,
      'veba_state_payload_mismatch_total',
      'Events whose identity was seen before with a different payload',
      ['function'],
    ),
    takeovers: counter(
      registry,
      'veba_state_lease_takeovers_total',
      'Claims that took over an expired in-progress lease (a worker crashed or overran)',
      ['function'],
    ),
    completionConflicts: counter(
      registry,
      'veba_state_completion_conflicts_total',
      'Completions that found their claim record gone (recreated) or held or completed by another delivery',
      ['function', 'outcome'],
    ),
    unchecked: counter(
      registry,
      'veba_state_unchecked_total',
      'Events let through without a dedupe or ordering check (no identity, no Key, fail-open)',
      ['function', 'reason'],
    ),
  };
}
