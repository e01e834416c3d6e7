/**
 * Sends notifications to one destination at its documented rate, folding a storm into digests.
 *
 * A lone event goes out at once (a free send slot). While events wait for the next slot, every
 * one that is waiting is folded into the next message: one event alone, two or more as a digest.
 * Each event's `deliver` resolves only once the message carrying it was accepted, so its delivery
 * answers 2xx only after its content was posted; if that message fails, every event in it fails
 * the same way (and the broker redelivers each).
 *
 * Deadlines: an event whose turn would come after its deadline (less `minSendWindowMs`) is refused
 * at once with 503 + Retry-After, instead of waiting to time out. An event whose `signal` aborts
 * while it waits leaves the queue and rejects with the abort reason; once its message is being
 * sent, the outcome of that message is its outcome.
 */
import { DependencyUnavailableError } from '@veba-functions/runtime';
import type { Registry } from 'prom-client';
import { registeredCounter } from '@veba-functions/runtime';
import { RateLimitedError } from './errors.js';
import type { Notification } from './model.js';
import type { RateLimiter } from './rate-limiter.js';
import type { MessageRenderer } from './target.js';
import type { NotifierLogger, TargetClient } from './target-client.js';

/** How one event was delivered. */
export interface Delivery {
  /** True when the event went out inside a digest of `events` events. */
  digest: boolean;
  /** How many events the message carried. */
  events: number;
  /** What the target and its client tell about the accepted message (added to the 200 answer). */
  details?: Record<string, unknown>;
}

/** Options of one delivery. */
export interface DeliverOptions {
  /** Epoch ms: the event's deadline (`ctx.deadline`). */
  deadline: number;
  /** The event's signal (`ctx.signal`): aborts a waiting event. */
  signal?: AbortSignal;
  /** The event's logger. */
  logger?: NotifierLogger;
}

/** Sends to one destination. */
export interface DigestDispatcher {
  /** Resolves once a message carrying the notification was accepted. */
  deliver(notification: Notification, options: DeliverOptions): Promise<Delivery>;
  /** Refuses every waiting event (503) and stops; later deliveries are refused too. */
  close(): void;
  /** Events waiting for a send slot right now. */
  readonly waiting: number;
}

/** Options of {@link createDigestDispatcher}. */
export interface DigestDispatcherOptions<M> {
  target: MessageRenderer<M>;
  client: TargetClient<M>;
  limiter: RateLimiter;
  logger: NotifierLogger;
  metrics?: Registry;
  /**
   * Fold waiting events into digests. Default true (when the target renders digests); false sends
   * each event alone, paced.
   */
  digest?: boolean;
  /** Time left before an event's deadline below which it is not sent. Default 500 ms. */
  minSendWindowMs?: number;
  /** At most this many 429 answers are waited out for one event. Default 3. */
  maxRateLimitRetries?: number;
  /** At most this many events in one digest. Default 500. */
  maxDigestEvents?: number;
}

interface Entry {
  notification: Notification;
  deadline: number;
  signal: AbortSignal | undefined;
  logger: NotifierLogger | undefined;
  state: 'queued' | 'sending' | 'settled';
  rateLimited: number;
  resolve(delivery: Delivery): void;
  reject(error: unknown): void;
}

/**
 * @example
 * const dispatcher = createDigestDispatcher({ target, client, limiter, logger });
 * const delivery = await dispatcher.deliver(notification, { deadline: ctx.deadline, signal: ctx.signal });
 */
export function createDigestDispatcher<M>(options: DigestDispatcherOptions<M>): DigestDispatcher {
  const { target, client, limiter, logger } = options;
  const digest = (options.digest ?? true) && target.renderDigest !== undefined;
  const minSendWindowMs = options.minSendWindowMs ?? 500;
  const maxRetries = options.maxRateLimitRetries ?? 3;
  const maxBatch = digest ? (options.maxDigestEvents ?? 500) : 1;
  const counter = options.metrics ? registeredCounter(options.metrics, MESSAGES_METRIC) : undefined;
  const queue: Entry[] = [];
  let running = false;
  let closed = false;
  let wake: (() => void) | undefined;

  function settle(entry: Entry, outcome: { delivery: Delivery } | { error: unknown }): void {
    if (entry.state === 'settled') return;
    entry.state = 'settled';
    if ('delivery' in outcome) entry.resolve(outcome.delivery);
    else entry.reject(outcome.error);
  }

  function remove(entry: Entry): void {
    const index = queue.indexOf(entry);
    if (index >= 0) queue.splice(index, 1);
  }

  /** Refuses the waiting events whose turn (`waitMs` from now) comes too late for them. */
  function refuseLate(waitMs: number): void {
    const turn = Date.now() + waitMs;
    for (const entry of [...queue]) {
      if (turn <= entry.deadline - minSendWindowMs) continue;
      remove(entry);
      counter?.inc({ target: target.metricName, kind: 'paced_out' });
      settle(entry, {
        error: new DependencyUnavailableError(
          `${target.label}: the next send slot is ${waitMs} ms away, past this event's deadline`,
          { retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) },
        ),
      });
    }
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });
  }

  async function send(batch: Entry[]): Promise<void> {
    const notifications = batch.map((entry) => entry.notification);
    let message: M;
    try {
      message =
        batch.length === 1 || target.renderDigest === undefined
          ? target.render(notifications[0]!)
          : target.renderDigest(notifications);
    } catch (error) {
      for (const entry of batch) settle(entry, { error });
      return;
    }
    const deadline = Math.min(...batch.map((entry) => entry.deadline));
    const eventLogger = batch.length === 1 ? batch[0]!.logger : undefined;
    let outcome;
    try {
      // No signal: once a message is being sent, its outcome is the outcome of its events.
      outcome = await client.post(message, { deadline, logger: eventLogger ?? logger });
    } catch (error) {
      if (error instanceof RateLimitedError) return rateLimited(batch, error);
      for (const entry of batch) settle(entry, { error });
      return;
    }
    const delivery: Delivery = { digest: batch.length > 1, events: batch.length };
    const details = { ...target.details?.(message), ...outcome?.details };
    if (Object.keys(details).length > 0) delivery.details = details;
    counter?.inc({ target: target.metricName, kind: batch.length > 1 ? 'digest' : 'single' });
    if (batch.length > 1) {
      logger.info(
        { target: target.label, events: batch.length },
        `${target.label}: posted a digest of ${batch.length} events`,
      );
    }
    for (const entry of batch) settle(entry, { delivery });
  }

  /** A 429: every sender of this destination holds off; the batch waits its turn again. */
  async function rateLimited(batch: Entry[], error: RateLimitedError): Promise<void> {
    try {
      await limiter.holdFor(error.retryAfterMs);
    } catch {
      // The shared hold failed (Redis down): the retried send will meet the 429 again.
    }
    const resumeAt = Date.now() + error.retryAfterMs;
    const again: Entry[] = [];
    for (const entry of batch) {
      entry.rateLimited += 1;
      const late = resumeAt > entry.deadline - minSendWindowMs;
      if (entry.rateLimited > maxRetries || late || entry.signal?.aborted === true) {
        settle(entry, { error });
      } else {
        entry.state = 'queued';
        again.push(entry);
      }
    }
    logger.warn(
      { target: target.label, retryAfterMs: error.retryAfterMs, requeued: again.length },
      `${target.label} rate limit: waiting Retry-After, then retrying`,
    );
    queue.unshift(...again);
  }

  async function pump(): Promise<void> {
    if (running) return;
    running = true;
    try {
      while (queue.length > 0 && !closed) {
        let waitMs: number;
        try {
          waitMs = await limiter.take();
        } catch (error) {
          const failure = new DependencyUnavailableError(
            `${target.label}: the pacing store is unavailable`,
            { cause: error },
          );
          for (const entry of queue.splice(0)) settle(entry, { error: failure });
          break;
        }
        if (waitMs > 0) {
          refuseLate(waitMs);
          if (queue.length > 0) await sleep(waitMs);
          continue;
        }
        const now = Date.now();
        const batch: Entry[] = [];
        while (queue.length > 0 && batch.length < maxBatch) {
          const entry = queue.shift()!;
          if (entry.deadline - now < minSendWindowMs) {
            settle(entry, {
              error: new DependencyUnavailableError(
                `${target.label}: too close to this event's deadline to send`,
                { retryAfterSeconds: 1 },
              ),
            });
            continue;
          }
          entry.state = 'sending';
          batch.push(entry);
        }
        if (batch.length > 0) await send(batch);
      }
    } finally {
      running = false;
      if (queue.length > 0 && !closed) void pump();
    }
  }

  return {
    get waiting() {
      return queue.length;
    },
    deliver(notification, { deadline, signal, logger: eventLogger }) {
      if (closed) {
        return Promise.reject(
          new DependencyUnavailableError(`${target.label}: the notifier is shutting down`),
        );
      }
      if (signal?.aborted) return Promise.reject(abortReason(signal));
      return new Promise<Delivery>((resolve, reject) => {
        const onAbort = (): void => {
          // Once its message is being sent, the message's outcome is the event's outcome.
          if (entry.state !== 'queued') return;
          remove(entry);
          settle(entry, { error: abortReason(signal!) });
        };
        const entry: Entry = {
          notification,
          deadline,
          signal,
          logger: eventLogger,
          state: 'queued',
          rateLimited: 0,
          resolve: (delivery) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(delivery);
          },
          reject: (error) => {
            signal?.removeEventListener('abort', onAbort);
            reject(error instanceof Error ? error : new Error(String(error)));
          },
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(entry);
        void pump();
      });
    },
    close() {
      closed = true;
      const failure = new DependencyUnavailableError(
        `${target.label}: the notifier is shutting down`,
      );
      for (const entry of queue.splice(0)) settle(entry, { error: failure });
      wake?.();
    },
  };
}

function abortReason(signal: AbortSignal): Error {
  return signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

const MESSAGES_METRIC = {
  name: 'veba_notifier_messages_total',
  help: 'Notifier messages by kind: single (one event), digest (several events), paced_out (an event refused: its send slot came after its deadline)',
  labelNames: ['target', 'kind'],
} as const;
