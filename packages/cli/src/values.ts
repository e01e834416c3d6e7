import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** A function's Triggers as its values.yaml declares them (charts/veba-function shape). */
export interface TriggerSummary {
  name?: string;
  /** The `filter.attributes.type`, or undefined when the trigger filters on other attributes. */
  type?: string;
  /** Every filter attribute, e.g. { type, subject }. */
  attributes: Record<string, string>;
}

/**
 * Reads `functions/<name>/values.yaml` and returns its `triggers`. Throws when the file is not
 * valid YAML; an absent file or key gives an empty list.
 */
export function readTriggers(functionDir: string): TriggerSummary[] {
  const file = join(functionDir, 'values.yaml');
  if (!existsSync(file)) return [];
  const values = parse(readFileSync(file, 'utf8')) as { triggers?: unknown } | null;
  const triggers = values?.triggers;
  if (!Array.isArray(triggers)) return [];
  return triggers.map((trigger: unknown): TriggerSummary => {
    const record = (typeof trigger === 'object' && trigger !== null ? trigger : {}) as {
      name?: unknown;
      filter?: { attributes?: Record<string, unknown> };
    };
    const attributes: Record<string, string> = {};
    for (const [key, value] of Object.entries(record.filter?.attributes ?? {})) {
      attributes[key] = String(value);
    }
    return {
      name: typeof record.name === 'string' ? record.name : undefined,
      type: attributes.type,
      attributes,
    };
  });
}
