import type { Config } from '@veba-functions/runtime';
import { z } from 'zod';

/**
 * The function's own keys: a zod shape the runtime reads from the environment (and from the JSON
 * secret variables below). Errors name the key and where it was looked for, never its value.
 * Replace the example key with yours.
 */
export const config = {
  /**
   * Only VMs whose name matches this regular expression are handled; others are skipped (200).
   * Compiled once, at start (an invalid pattern fails the start, naming the key), not per event.
   */
  VM_NAME_PATTERN: z
    .string()
    .default('.*')
    .transform((pattern, ctx) => {
      try {
        return new RegExp(pattern);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'expected a JavaScript regular expression' });
        return z.NEVER;
      }
    }),
};

/**
 * Variables holding a JSON object of the keys above (VEBA's secret pattern, e.g.
 * `MY_SECRET='{"VM_NAME_PATTERN":"^web-"}'` with `secretVariables: ['MY_SECRET']`); individual
 * variables win.
 */
export const secretVariables: string[] = [];

/** Keys whose values must never be logged, beyond the runtime's name pattern (`*PASSWORD*`, ...). */
export const sensitiveKeys: string[] = [];

export type FunctionConfig = Config<typeof config>;
