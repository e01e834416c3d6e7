/**
 * The configuration keys every notifier function shares (each function adds its own webhook keys).
 */
import { booleanFromEnv, secretString } from '@veba-functions/runtime';
import { z } from 'zod';

/** Keys read by the notifier core: pacing and maintenance marks in Redis, maintenance suppression. */
export const notifierConfigShape = {
  /**
   * Shared pacing and maintenance marks across replicas (the same Redis as the dedupe guard's);
   * unset: in memory, per instance. Secret: may carry a password.
   */
  REDIS_URL: secretString().optional(),
  /** `true`: alarms on a host in maintenance mode (or on its VMs) are skipped (200) and counted. */
  NOTIFY_SUPPRESS_IN_MAINTENANCE: booleanFromEnv().default(false),
  /** How long a host stays marked after `EnteredMaintenanceModeEvent` without an exit event. */
  NOTIFY_MAINTENANCE_TTL_SECONDS: z.coerce.number().int().positive().default(86_400),
};

/** Per-request timeout of a webhook POST (capped by the event's deadline), in ms. */
export function timeoutKey() {
  return z.coerce.number().int().min(100).max(120_000).default(10_000);
}
