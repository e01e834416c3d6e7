import {
  type EventGuard,
  type GuardEnterContext,
  type GuardStartContext,
  type GuardVerdict,
} from '@veba-functions/runtime';
import { z } from 'zod';
import { DEFAULTS, orderingConfigShape, readConfig, type StoreErrorMode } from './config.js';
import { vcenterEventKey, type GuardedEvent } from './event-fields.js';
import { orderKey } from './keys.js';
import { MarkCache } from './mark-cache.js';
import { stateMetrics, type StateMetrics } from './metrics.js';
import { StoreHolder, type StoreOptions } from './store-holder.js';
import type { StateStore } from './store.js';
import { errorText } from './errors.js';
import { storeFailureVerdict } from './store-failure.js';

/** What to do with an event older than the mark of its scope. */
export type OrderingPolicy = 'skip' | 'process' | 'flag';

/** Options of {@link ordering}. Config keys (env) win over these when set. */
export interface OrderingOptions<E extends GuardedEvent = GuardedEvent> {
  /** `ORDERING_POLICY`; default `skip` (200, logged, counted). `flag` sets `ctx.outOfOrder`. */
  policy?: OrderingPolicy;
  /**
   * The scope whose events are ordered. Default: the event `source` (one vCenter). E.g. per VM:
   * `vmOrderingScope` of `@veba-functions/vsphere-events`. Return `undefined` to let an event
   * through unchecked.
   */
  scope?: (event: E) => string | undefined;
  /**
   * The event's position, a non-negative safe integer. Default: the vCenter event `Key`
   * (`data.Key`, int32; a present but unusable Key is a 400). `undefined` lets the event through
   * unchecked.
   */
  eventKey?: (event: E) => number | undefined;
  /** How long a mark is kept after its last advance. `ORDERING_TTL_SECONDS`; default 604 800 (7 days). */
  ttlSeconds?: number;
  /** `ORDERING_ON_STORE_ERROR`; default `fail-closed` (503). */
  onStoreError?: StoreErrorMode;
  /** Short-cut "stale" answers from marks this process has seen (see README); default true. */
  localCache?: boolean | { maxScopes?: number; maxAgeSeconds?: number };
  /** Use this store instead of one created from `REDIS_URL` (it is started, never closed, by the guard). */
  store?: StateStore;
  /** Options for the store created from `REDIS_URL`. */
  storeOptions?: StoreOptions;
}

/** Config keys the ordering guard declares: {@link orderingConfigShape} plus `ORDERING_POLICY`. */
export const orderingGuardConfigShape = {
  ...orderingConfigShape,
  ORDERING_POLICY: z.enum(['skip', 'process', 'flag']).optional(),
};

interface Started {
  store: StateStore;
  metrics: StateMetrics;
  ttlMs: number;
  policy: OrderingPolicy;
  mode: StoreErrorMode;
  cache: MarkCache | undefined;
}

/**
 * The ordering guard on a given store holder: what `createStateGuards` builds, for a guard list of
 * one's own whose guards share one store (and Redis connection).
 */
export function createOrderingGuard<E extends GuardedEvent>(
  options: OrderingOptions<E>,
  holder: StoreHolder,
): EventGuard<E> {
  const keyOf: (event: E) => number | undefined = options.eventKey ?? vcenterEventKey;
  let started: Started | undefined;

  return {
    name: 'ordering',
    config: orderingGuardConfigShape,

    async start(ctx: GuardStartContext): Promise<void> {
      const config = readConfig(orderingGuardConfigShape, ctx.config);
      const ttlSeconds =
        config.ORDERING_TTL_SECONDS ?? options.ttlSeconds ?? DEFAULTS.orderingTtlSeconds;
      const cacheOptions = options.localCache ?? true;
      const store = await holder.acquire(config, ctx.logger);
      started = {
        store,
        metrics: stateMetrics(ctx.metrics),
        ttlMs: ttlSeconds * 1000,
        policy: config.ORDERING_POLICY ?? options.policy ?? 'skip',
        mode: config.ORDERING_ON_STORE_ERROR ?? options.onStoreError ?? DEFAULTS.onStoreError,
        cache:
          cacheOptions === false
            ? undefined
            : new MarkCache(
                (cacheOptions === true ? undefined : cacheOptions.maxScopes) ?? 10_000,
                Math.min(
                  ttlSeconds,
                  (cacheOptions === true ? undefined : cacheOptions.maxAgeSeconds) ?? 300,
                ) * 1000,
              ),
      };
    },

    async enter(event: E, ctx: GuardEnterContext): Promise<GuardVerdict> {
      const s = started;
      if (!s) throw new Error('ordering guard used before start()');
      const fn = ctx.functionName;

      // A Key that is present but unusable throws InvalidEventError (400) from here.
      const raw = keyOf(event);
      const eventKey = raw !== undefined && Number.isSafeInteger(raw) && raw >= 0 ? raw : undefined;
      if (eventKey === undefined) {
        s.metrics.unchecked.inc({ function: fn, reason: 'no_key' });
        ctx.logger.warn(
          { guard: 'ordering' },
          'event has no integer Key: processing without the ordering check',
        );
        return { action: 'proceed' };
      }
      let scope: string | undefined;
      try {
        scope = options.scope ? options.scope(event) : event.source;
      } catch (error) {
        // An unusable event is the parser's or the handler's to reject; the scope just cannot tell.
        ctx.logger.debug({ guard: 'ordering', err: errorText(error) }, 'ordering scope failed');
        scope = undefined;
      }
      if (!scope) {
        s.metrics.unchecked.inc({ function: fn, reason: 'no_scope' });
        ctx.logger.debug(
          { guard: 'ordering', eventKey },
          'event has no ordering scope: processing without the ordering check',
        );
        return { action: 'proceed' };
      }
      const scopeKey = orderKey(fn, scope);

      let mark = s.cache?.staleAgainst(scopeKey, eventKey);
      if (mark === undefined) {
        try {
          mark = await s.store.getMark(scopeKey);
        } catch (error) {
          return storeFailureVerdict(
            {
              guard: 'ordering',
              skipped: 'the ordering check',
              functionName: fn,
              operation: 'check',
              mode: s.mode,
              metrics: s.metrics,
              logger: ctx.logger,
            },
            error,
          );
        }
        if (mark !== undefined) s.cache?.observe(scopeKey, mark);
      }

      const key = eventKey;
      // The mark advances only after a successful handle, so a failed event that the broker
      // retries is never judged stale against itself (key == mark is not stale either).
      const advance = async (): Promise<void> => {
        try {
          const now = await s.store.advanceMark(scopeKey, key, s.ttlMs);
          s.cache?.observe(scopeKey, now);
        } catch (error) {
          s.metrics.storeErrors.inc({ function: fn, operation: 'advance', mode: s.mode });
          ctx.logger.error(
            { guard: 'ordering', err: errorText(error), eventKey: key },
            'handled, but advancing the ordering mark failed',
          );
        }
      };

      if (mark === undefined || eventKey >= mark) return { action: 'proceed', onSuccess: advance };

      s.metrics.stale.inc({ function: fn, policy: s.policy });
      ctx.logger.info(
        { guard: 'ordering', eventKey, mark, scope, policy: s.policy },
        'event is older than one already handled in its scope',
      );
      if (s.policy === 'skip') {
        return {
          action: 'skip',
          outcome: 'stale',
          reason: `stale: key ${eventKey} is older than ${mark} already handled`,
        };
      }
      return s.policy === 'flag' ? { action: 'proceed', outOfOrder: true } : { action: 'proceed' };
    },

    async stop(): Promise<void> {
      if (!started) return;
      started = undefined;
      await holder.release();
    },
  };
}

/**
 * Out-of-order tracking: remembers the highest vCenter event `Key` handled per scope and applies the
 * policy to older events (`skip`, `process`, or `flag` -> `ctx.outOfOrder`). Missing or non-integer
 * keys are let through with a warning. Owns its store; see {@link createStateGuards} to share one.
 *
 * @example
 * guards: [ordering({ policy: 'flag', scope: (e) => vmMoref(e) })]
 */
export function ordering<E extends GuardedEvent = GuardedEvent>(
  options: OrderingOptions<E> = {},
): EventGuard<E> {
  return createOrderingGuard(options, new StoreHolder(options.store, options.storeOptions));
}
