import { DependencyUnavailableError, type GuardVerdict } from '@veba-functions/runtime';
import type { StoreErrorMode } from './config.js';
import { errorText } from './errors.js';
import type { StateMetrics } from './metrics.js';
import type { StateLogger } from './store.js';

/** What a guard knows when its store fails under an event. */
export interface StoreFailure {
  guard: 'dedupe' | 'ordering';
  /** What fail-open skips, for the warning: e.g. `dedupe`, `the ordering check`. */
  skipped: string;
  functionName: string;
  operation: string;
  mode: StoreErrorMode;
  metrics: StateMetrics;
  logger: StateLogger;
}

/**
 * The one store-outage policy of both guards: counted, then fail-open proceeds unchecked (warned)
 * and fail-closed throws `DependencyUnavailableError` so the runtime answers 503 and the broker retries.
 */
export function storeFailureVerdict(failure: StoreFailure, error: unknown): GuardVerdict {
  const { guard, functionName, operation, mode, metrics, logger } = failure;
  metrics.storeErrors.inc({ function: functionName, operation, mode });
  const err = errorText(error);
  if (mode === 'fail-open') {
    metrics.unchecked.inc({ function: functionName, reason: 'fail_open' });
    logger.warn(
      { err, guard },
      `state store unavailable: processing without ${failure.skipped} (fail-open)`,
    );
    return { action: 'proceed' };
  }
  logger.warn(
    { err, guard },
    'state store unavailable: answering 503 so the broker retries (fail-closed)',
  );
  throw new DependencyUnavailableError(`${guard} state store unavailable`, { cause: error });
}
