import { VcsimHelperError } from './vcsim-errors.js';

/** One POST of one event to one sink, as the source emulator logs it (`VCSIM_DELIVERY` line). */
export interface VcsimDeliveryAttempt {
  /** The sink URL (a password in it is replaced by `xxxxx`). */
  readonly sink: string;
  /** The vCenter event's `Key`; `id` is the same number as the CloudEvent's `id`. */
  readonly key: number;
  readonly id: string;
  /** The CloudEvent `type`, e.g. `com.vmware.vsphere.VmPoweredOnEvent.v0`. */
  readonly type: string;
  /** 1 for the first POST of this event to this sink, 2 for the first retry, ... */
  readonly attempt: number;
  /** HTTP status, or 0 when the request failed (connection refused, timeout). */
  readonly status: number;
  /** `retry`: failed, will be retried; `delivered`: 2xx; `failed`: gave up. */
  readonly outcome: 'delivered' | 'retry' | 'failed';
  readonly error?: string;
}

/** A state change of the source emulator (`VCSIM_SOURCE` line): started, reconnecting, gap, skipped. */
export interface VcsimSourceLogEntry {
  readonly state: 'started' | 'reconnecting' | 'gap' | 'skipped';
  readonly [field: string]: unknown;
}

/** What the source emulator has logged so far, in order. */
export interface VcsimDeliveryLog {
  readonly attempts: readonly VcsimDeliveryAttempt[];
  readonly source: readonly VcsimSourceLogEntry[];
  /**
   * Resolves with the attempts once `predicate` holds for them (checked now and after each new
   * line); rejects with `VcsimHelperError` after `timeoutMs` (default 10 000).
   */
  waitFor(
    predicate: (attempts: readonly VcsimDeliveryAttempt[]) => boolean,
    timeoutMs?: number,
  ): Promise<readonly VcsimDeliveryAttempt[]>;
}

const DELIVERY_PREFIX = 'VCSIM_DELIVERY ';
const SOURCE_PREFIX = 'VCSIM_SOURCE ';
// A long-running vcsim must not grow the test process without bound.
const MAX_KEPT = 50_000;

/** Collects the emulator's stderr lines; `accept` returns false for lines that are not its own. */
export function createDeliveryLog(): { log: VcsimDeliveryLog; accept(line: string): boolean } {
  const attempts: VcsimDeliveryAttempt[] = [];
  const source: VcsimSourceLogEntry[] = [];
  const waiters = new Set<() => void>();

  const accept = (line: string): boolean => {
    const isDelivery = line.startsWith(DELIVERY_PREFIX);
    if (!isDelivery && !line.startsWith(SOURCE_PREFIX)) return false;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line.slice((isDelivery ? DELIVERY_PREFIX : SOURCE_PREFIX).length));
    } catch {
      return false;
    }
    if (typeof parsed !== 'object' || parsed === null) return false;
    const list: object[] = isDelivery ? attempts : source;
    list.push(parsed);
    if (list.length > MAX_KEPT) list.splice(0, list.length - MAX_KEPT);
    for (const wake of [...waiters]) wake();
    return true;
  };

  const log: VcsimDeliveryLog = {
    attempts,
    source,
    waitFor(predicate, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          if (!predicate(attempts)) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(attempts);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(
            new VcsimHelperError(
              `the expected deliveries were not logged within ${timeoutMs} ms (${attempts.length} attempts so far)`,
            ),
          );
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
  };
  return { log, accept };
}
