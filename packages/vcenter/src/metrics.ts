/** Request counting: the performance goal of a function is counted in vCenter calls per event. */
import type { Counter, Registry } from 'prom-client';
import { registeredCounter } from '@veba-functions/runtime';

export const REQUESTS_METRIC = 'veba_vcenter_requests_total';

/** What the client has done so far (for tests, benches and debug logs). */
export interface VCenterStats {
  /** HTTP requests sent, all operations. */
  requests: number;
  /** Successful logins (the first one included). */
  logins: number;
  /** Requests per operation, e.g. `{ 'tag.attach': 3, 'session.create': 1 }`. */
  byOperation: Record<string, number>;
}

export interface RequestRecorder {
  record(operation: string, status: string): void;
  login(): void;
  snapshot(): VCenterStats;
}

/** Counts in memory and, when given a registry, in `veba_vcenter_requests_total{operation,status}`. */
export function createRecorder(registry: Registry | undefined): RequestRecorder {
  const byOperation: Record<string, number> = {};
  let requests = 0;
  let logins = 0;
  const counter = registry === undefined ? undefined : requestCounter(registry);
  return {
    record(operation, status) {
      requests += 1;
      byOperation[operation] = (byOperation[operation] ?? 0) + 1;
      counter?.inc({ operation, status });
    },
    login() {
      logins += 1;
    },
    snapshot: () => ({ requests, logins, byOperation: { ...byOperation } }),
  };
}

/** One counter per registry, shared by every client registered there. */
function requestCounter(registry: Registry): Counter<'operation' | 'status'> {
  return registeredCounter(registry, {
    name: REQUESTS_METRIC,
    help: 'vCenter REST requests by client operation and HTTP status (or error kind when there was no answer)',
    labelNames: ['operation', 'status'],
  });
}
