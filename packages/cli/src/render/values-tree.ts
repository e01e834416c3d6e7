/** A values tree as YAML parses it. */
export type Values = Record<string, unknown>;

/** A YAML mapping (not a list, not null). */
export function isRecord(value: unknown): value is Values {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
