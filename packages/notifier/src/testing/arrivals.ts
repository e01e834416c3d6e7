/**
 * What the stand-ins of this folder share: a list of what arrived that a test can wait on, and
 * closing an HTTP stand-in with answers still held back (`hang`).
 */
import type { Server, ServerResponse } from 'node:http';

/** A list of arrivals (requests, posts, mails) a test can wait on. */
export interface Arrivals<T> {
  /** Records one arrival and wakes the waits it completes. */
  add: (item: T) => void;
  /** Resolves once `count` have arrived (since the last reset of the list). */
  waitFor: (count: number, timeoutMs?: number) => Promise<void>;
}

/**
 * @example
 * const requests: RecordedRequest[] = [];
 * const arrivals = createArrivals(requests, 'requests');
 * arrivals.add(request); // in the server
 * await arrivals.waitFor(3); // in a test
 */
export function createArrivals<T>(items: T[], noun: string): Arrivals<T> {
  const waiters: Array<{ count: number; resolve(): void }> = [];
  return {
    add: (item) => {
      items.push(item);
      for (const waiter of [...waiters]) {
        if (items.length >= waiter.count) {
          waiters.splice(waiters.indexOf(waiter), 1);
          waiter.resolve();
        }
      }
    },
    waitFor: (count, timeoutMs = 30_000) => {
      if (items.length >= count) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(new Error(`waited ${timeoutMs} ms for ${count} ${noun}, got ${items.length}`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
  };
}

/** Closes an HTTP stand-in: held answers dropped, open connections closed. */
export async function closeServer(
  server: Server,
  hanging: Iterable<ServerResponse>,
): Promise<void> {
  for (const res of hanging) res.destroy();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
