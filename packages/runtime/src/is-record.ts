/**
 * Whether a value is a plain JSON object (not null, not an array): the one check every package
 * uses before reading fields of untrusted data.
 *
 * @example
 * if (isRecord(event.data) && typeof event.data.Key === 'number') ...
 */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
