import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** A function's Trigger as its values.yaml declares it (charts/veba-function shape). */
export interface TriggerSummary {
  name?: string;
  /** The `filter.attributes.type`, or undefined when the trigger filters on other attributes. */
  type?: string;
  /** Every filter attribute, e.g. { type, subject }. */
  attributes: Record<string, string>;
}

/**
 * The `triggers` of a function's values.yaml, parsed as YAML (one reader for the CLI's list,
 * render and demo and for the function tests). Throws when the file is not valid YAML; an absent
 * file or key gives an empty list.
 */
export function readTriggers(valuesYaml: URL | string): TriggerSummary[] {
  if (!existsSync(valuesYaml)) return [];
  const values = parse(readFileSync(valuesYaml, 'utf8')) as { triggers?: unknown } | null;
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

/**
 * The CloudEvent types a function's Triggers filter on (`triggers[].filter.attributes.type`), in
 * file order.
 *
 * @example
 * triggerTypes(new URL('../values.yaml', import.meta.url)); // ['com.vmware.vsphere.VmPoweredOnEvent.v0', ...]
 */
export function triggerTypes(valuesYaml: URL | string): string[] {
  return readTriggers(valuesYaml).flatMap((trigger) => trigger.type ?? []);
}
