import type { StateMetrics } from './metrics.js';
import type { CompleteOutcome, StateLogger } from './store.js';

const WARNINGS: Record<Exclude<CompleteOutcome, 'completed'>, string> = {
  recreated:
    'handled; its claim record had vanished (Redis restarted or failed over without it, or it was evicted): recorded as completed, so redeliveries are duplicates',
  taken_over:
    'handled, but another delivery holds the claim now (it took over after this lease expired, or claimed after the record was lost): completion left to that delivery; the side effect may run twice',
  completed_by_other:
    'handled, but another delivery completed the same event meanwhile: the side effect ran twice',
};

/**
 * What the dedupe guard says about a completion that did not simply complete its own claim: one
 * accurate warning per outcome, counted in `veba_state_completion_conflicts_total{outcome}`.
 */
export function reportCompletion(
  outcome: CompleteOutcome,
  functionName: string,
  metrics: StateMetrics,
  logger: StateLogger,
): void {
  if (outcome === 'completed') return;
  metrics.completionConflicts.inc({ function: functionName, outcome });
  logger.warn({ guard: 'dedupe', completion: outcome }, WARNINGS[outcome]);
}
