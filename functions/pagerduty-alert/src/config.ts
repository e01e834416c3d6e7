import type { Config } from '@veba-functions/runtime';
import { PAGERDUTY_EVENTS_URL, notifierConfigShape } from '@veba-functions/notifier';
import { z } from 'zod';

/**
 * pagerduty-alert's keys: the Events API v2 routing key and endpoint, the request timeout, and
 * the notifier core's shared keys (Redis: pacing per routing key, maintenance marks).
 */
export const config = {
  /** The Events API v2 integration key (32 characters). Secret. */
  PAGERDUTY_ROUTING_KEY: z.string().optional(),
  /** Alert events go here; change events to `.../v2/change/enqueue` beside it. */
  PAGERDUTY_EVENTS_URL: z.string().default(PAGERDUTY_EVENTS_URL),
  /** Per-request timeout, capped by the event's deadline. */
  PAGERDUTY_TIMEOUT_SECONDS: z.coerce.number().positive().max(120).default(10),
  ...notifierConfigShape,
};

/** A JSON object of the keys above (individual variables win). */
export const secretVariables: string[] = ['PAGERDUTY_SECRET'];

/** The routing key is a secret although its name does not say so. */
export const sensitiveKeys: string[] = ['PAGERDUTY_ROUTING_KEY'];

export type PagerDutyAlertConfig = Config<typeof config>;
