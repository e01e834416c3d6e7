import { randomUUID } from 'node:crypto';
import {
  EventInProgressError,
  type EventGuard,
  type GuardEnterContext,
  type GuardStartContext,
  type GuardVerdict,
} from '@veba-functions/runtime';
import { DEFAULTS, dedupeConfigShape, readConfig, type StoreErrorMode } from './config.js';
import { defaultIdentity, type EventIdentity, type GuardedEvent } from './event-fields.js';
import { dedupeKey, eventFingerprint } from './keys.js';
import { stateMetrics, type StateMetrics } from './metrics.js';
import { StoreHolder, type StoreOptions } from './store-holder.js';
import type { StateLogger, StateStore } from './store.js';
import { errorText } from './errors.js';
import { storeFailureVerdict } from './store-failure.js';
import { reportCompletion } from './completion.js';
import { createPendingWrites, type PendingWrites } from './pending-writes.js';

/** The lease always covers the handler deadline plus this margin (for complete/release to land). */
const LEASE_MARGIN_MS = 2_000;

/** Options of {@link dedupe}. Config keys (env) win over these when set. */
export interface DedupeOptions<E extends GuardedEvent = GuardedEvent> {
  /**
   * Which events are "the same". Default: (`source`, `id`); legacy router events (`id` random per
   * emission) use (`source`, `data.Key`). Return `undefined` to let an event through unchecked.
   */
  identity?: (event: E) => EventIdentity | undefined;
  /** How long a completed event is remembered. `DEDUPE_TTL_SECONDS`; default 86 400 (24 h). */
  ttlSeconds?: number;
  /** In-progress lease before another attempt may take over. `DEDUPE_LEASE_SECONDS`; default 90. */
  leaseSeconds?: number;
  /** `DEDUPE_ON_STORE_ERROR`; default `fail-closed` (503). */
  onStoreError?: StoreErrorMode;
  /** Use this store instead of one created from `REDIS_URL` (it is started, never closed, by the guard). */
  store?: StateStore;
  /** Options for the store created from `REDIS_URL` (key prefix, timeouts, memory size). */
  storeOptions?: StoreOptions;
}

interface Started {
  store: StateStore;
  metrics: StateMetrics;
  logger: StateLogger;
  ttlMs: number;
  leaseMs: number;
  mode: StoreErrorMode;
  /** Completions and releases that failed, retried until the store answers (pending-writes.ts). */
  pending: PendingWrites;
}

/**
 * The dedupe guard on a given store holder: what `createStateGuards` builds, for a guard list of
 * one's own whose guards share one store (and Redis connection).
 */
export function createDedupeGuard<E extends GuardedEvent>(
  options: DedupeOptions<E>,
  holder: StoreHolder,
): EventGuard<E> {
  const identityOf = options.identity ?? defaultIdentity;
  let started: Started | undefined;

  return {
    name: 'dedupe',
    config: dedupeConfigShape,

    async start(ctx: GuardStartContext): Promise<void> {
      const config = readConfig(dedupeConfigShape, ctx.config);
      const ttlSeconds =
        config.DEDUPE_TTL_SECONDS ?? options.ttlSeconds ?? DEFAULTS.dedupeTtlSeconds;
      const leaseSeconds =
        config.DEDUPE_LEASE_SECONDS ?? options.leaseSeconds ?? DEFAULTS.dedupeLeaseSeconds;
      const store = await holder.acquire(config, ctx.logger);
      started = {
        store,
        metrics: stateMetrics(ctx.metrics),
        logger: ctx.logger,
        ttlMs: ttlSeconds * 1000,
        leaseMs: leaseSeconds * 1000,
        mode: config.DEDUPE_ON_STORE_ERROR ?? options.onStoreError ?? DEFAULTS.onStoreError,
        pending: createPendingWrites(),
      };
    },

    async enter(event: E, ctx: GuardEnterContext): Promise<GuardVerdict> {
      const s = started;
      if (!s) throw new Error('dedupe guard used before start()');
      const fn = ctx.functionName;
      const identity = identityOf(event);
      if (!identity) {
        s.metrics.unchecked.inc({ function: fn, reason: 'no_identity' });
        ctx.logger.warn(
          { guard: 'dedupe' },
          'event has no dedupe identity (legacy event without data.Key?): processing without dedupe',
        );
        return { action: 'proceed' };
      }

      const key = dedupeKey(fn, identity.source, identity.id);
      const owner = randomUUID();
      const fp = eventFingerprint(ctx.delivery);
      // The lease must outlive the handler, whatever DEDUPE_LEASE_SECONDS says.
      const leaseMs = Math.max(s.leaseMs, ctx.deadline - Date.now() + LEASE_MARGIN_MS);

      const leaseEnd = Date.now() + leaseMs;
      /** Releases this owner's claim once the store answers again (see pending-writes.ts). */
      const releaseLater = (): void =>
        s.pending.add({
          until: leaseEnd,
          attempt: async () => {
            await s.store.release(key, owner);
          },
          abandon: () => undefined,
        });

      let result;
      try {
        result = await s.store.claim(key, { owner, leaseMs, ttlMs: s.ttlMs, fingerprint: fp });
        // The store answers: writes left over from an outage can land now.
        s.pending.nudge();
      } catch (error) {
        // The store may have written the claim and lost the reply (a connection cut, a command
        // timeout on a store that then runs it): left alone, it would hold every redelivery at 409
        // for the whole lease. Releasing a claim this owner does not hold is a no-op.
        releaseLater();
        return storeFailureVerdict(
          {
            guard: 'dedupe',
            skipped: 'dedupe',
            functionName: fn,
            operation: 'claim',
            mode: s.mode,
            metrics: s.metrics,
            logger: ctx.logger,
          },
          error,
        );
      }

      if (result.status !== 'claimed' && result.fingerprint && result.fingerprint !== fp) {
        s.metrics.payloadMismatch.inc({ function: fn });
        ctx.logger.warn(
          { guard: 'dedupe', identitySource: identity.source, identityId: identity.id },
          'event identity seen before with a different payload: treated as the same event',
        );
      }

      if (result.status === 'completed') {
        s.metrics.duplicates.inc({ function: fn });
        return {
          action: 'skip',
          outcome: 'duplicate',
          reason: 'duplicate: the same event was already processed',
        };
      }
      if (result.status === 'in_progress') {
        s.metrics.inProgress.inc({ function: fn });
        throw new EventInProgressError(
          `the same event is being processed (lease ends in ${Math.ceil(result.retryAfterMs / 1000)} s)`,
        );
      }
      if (result.takeover) {
        s.metrics.takeovers.inc({ function: fn });
        ctx.logger.warn(
          { guard: 'dedupe' },
          'took over an expired in-progress claim (a worker crashed or overran its lease)',
        );
      }

      return {
        action: 'proceed',
        async onSuccess() {
          try {
            const outcome = await s.store.complete(key, owner, s.ttlMs, fp);
            reportCompletion(outcome, fn, s.metrics, ctx.logger);
          } catch (error) {
            // The work is done: do not fail the event. Left in progress, the claim would answer
            // 409 to every redelivery until its lease ends and then let one run the side effect
            // again, so the completion is retried until the store answers.
            s.metrics.storeErrors.inc({ function: fn, operation: 'complete', mode: s.mode });
            ctx.logger.error(
              { guard: 'dedupe', err: errorText(error) },
              'handled, but recording completion failed: retrying until the state store answers',
            );
            s.pending.add({
              until: leaseEnd,
              attempt: async () => {
                const outcome = await s.store.complete(key, owner, s.ttlMs, fp);
                ctx.logger.info({ guard: 'dedupe', completion: outcome }, 'completion recorded');
                reportCompletion(outcome, fn, s.metrics, ctx.logger);
              },
              abandon: () =>
                ctx.logger.error(
                  { guard: 'dedupe' },
                  'gave up recording completion (the lease ended, or the function stopped): a redelivery may run the side effect again',
                ),
            });
          }
        },
        async onFailure() {
          try {
            await s.store.release(key, owner);
          } catch (error) {
            s.metrics.storeErrors.inc({ function: fn, operation: 'release', mode: s.mode });
            ctx.logger.error(
              { guard: 'dedupe', err: errorText(error) },
              'releasing the claim failed: retrying until the state store answers (until then, retries get 409)',
            );
            releaseLater();
          }
        },
      };
    },

    async stop(): Promise<void> {
      if (!started) return;
      const { pending } = started;
      started = undefined;
      // One last try for the completions and releases still pending, before the store closes.
      await pending.flush();
      await holder.release();
    },
  };
}

/**
 * Dedupe by event identity: an event already processed is skipped (200), one being processed right
 * now answers 409, a store outage answers 503 (fail-closed) or is processed unchecked (fail-open).
 * This guard owns its store; use {@link createStateGuards} to share one with the ordering guard.
 *
 * @example
 * export default defineFunction({ name: 'slack-alert', guards: [dedupe()], handle });
 */
export function dedupe<E extends GuardedEvent = GuardedEvent>(
  options: DedupeOptions<E> = {},
): EventGuard<E> {
  return createDedupeGuard(options, new StoreHolder(options.store, options.storeOptions));
}
