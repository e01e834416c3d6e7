/**
 * The configuration keys every notifier function shares (each function adds its own webhook keys).
 */
import { booleanFromEnv } from '@veba-functions/runtime';
import { redisConfigShape } from '@veba-functions/state';
import { z } from 'zod';

/** Keys read by the notifier core: pacing and maintenance marks in Redis, maintenance suppression. */
export const notifierConfigShape = {
  /**
   * Shared pacing and maintenance marks across replicas: the same Redis keys as the dedupe guard's
   * (`REDIS_URL`, or `REDIS_SENTINELS` + `REDIS_SENTINEL_MASTER`, or `REDIS_CLUSTER_NODES`, with
   * `REDIS_USERNAME`, `REDIS_PASSWORD`, `REDIS_TLS`); none set: in memory, per instance.
   */
  ...redisConfigShape,
  /** `true`: alarms on a host in maintenance mode (or on its VMs) are skipped (200) and counted. */
  NOTIFY_SUPPRESS_IN_MAINTENANCE: booleanFromEnv().default(false),
  /** How long a host stays marked after `EnteredMaintenanceModeEvent` without an exit event. */
  NOTIFY_MAINTENANCE_TTL_SECONDS: z.coerce.number().int().positive().default(86_400),
};

/** Per-request timeout of a webhook POST (capped by the event's deadline), in ms. */
export function timeoutKey() {
  return z.coerce.number().int().min(100).max(120_000).default(10_000);
}
