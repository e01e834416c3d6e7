import { isRecord } from '@veba-functions/runtime';

/**
 * The field readers every function uses on untrusted event data (top level through
 * `VSphereEventData`, nested records through these). Own properties only, so a field named like an
 * `Object.prototype` member never reads an inherited function. They never throw.
 */

/**
 * A field as text: a non-empty string, or a number / boolean as its text; otherwise undefined.
 *
 * @example textField({ To: 'red' }, 'To'); // 'red'
 */
export function textField(record: unknown, key: string): string | undefined {
  if (!isRecord(record) || !Object.hasOwn(record, key)) return undefined;
  const value = record[key];
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/**
 * A field that is a JSON object, or undefined.
 *
 * @example recordField(data, 'Info'); // the TaskInfo of a TaskEvent
 */
export function recordField(record: unknown, key: string): Record<string, unknown> | undefined {
  if (!isRecord(record) || !Object.hasOwn(record, key)) return undefined;
  const value = record[key];
  return isRecord(value) ? value : undefined;
}

/**
 * The `Name` of a reference field (`{ Name, <Kind>: { Type, Value } }`), unchecked: for display,
 * where a malformed moref must not hide the name.
 *
 * @example refName(data, 'Alarm'); // 'Datastore usage on disk'
 */
export function refName(record: unknown, key: string): string | undefined {
  return textField(recordField(record, key), 'Name');
}
