import { describe } from './entities.js';

/**
 * The largest vCenter event `Key`. `Event.key` is an `xsd:int` in the vSphere Web Services API
 * (vim.event.Event: "key: int, The event ID"), so a Key beyond int32 cannot come from vCenter:
 * accepting one would let a single forged event move an ordering mark past every real event.
 */
export const MAX_EVENT_KEY = 2_147_483_647;

/**
 * The one parser of a vCenter event `Key` (also `ChainId`): a non-negative integer within
 * vCenter's int32 range, as a JSON number or a decimal string (some PowerShell re-emitters write
 * integers as strings). Anything else is `undefined`.
 *
 * @example
 * parseEventKey(9902);          // 9902
 * parseEventKey('929015');      // 929015
 * parseEventKey(2 ** 53 - 1);   // undefined: outside int32
 */
export function parseEventKey(value: unknown): number | undefined {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && /^\d{1,10}$/.test(value)) n = Number(value);
  else return undefined;
  return Number.isInteger(n) && n >= 0 && n <= MAX_EVENT_KEY ? n : undefined;
}

/**
 * Why a present `Key` value is unusable, for a 400 reason naming the field; undefined when it parses.
 *
 * @example
 * eventKeyProblem('data.Key', 1.5); // 'data.Key is 1.5, expected an integer'
 */
export function eventKeyProblem(field: string, value: unknown): string | undefined {
  if (parseEventKey(value) !== undefined) return undefined;
  if (value === undefined || value === null) return `${field} is missing`;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  if (Number.isInteger(n) && (n < 0 || n > MAX_EVENT_KEY)) {
    return `${field} ${describe(value)} is outside vCenter's event key range (0 to ${MAX_EVENT_KEY})`;
  }
  return `${field} is ${describe(value)}, expected an integer`;
}
