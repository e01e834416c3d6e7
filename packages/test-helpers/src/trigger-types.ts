import { readFileSync } from 'node:fs';

/**
 * The CloudEvent types a function's Triggers filter on: every `type: <value>` of its values.yaml
 * (the chart's `triggers[].filter.attributes.type`), read as text, in file order.
 *
 * @example
 * triggerTypes(new URL('../values.yaml', import.meta.url)); // ['com.vmware.vsphere.VmPoweredOnEvent.v0', ...]
 */
export function triggerTypes(valuesYaml: URL | string): string[] {
  return [...readFileSync(valuesYaml, 'utf8').matchAll(/type: (\S+)/g)].map((m) => m[1]!);
}
