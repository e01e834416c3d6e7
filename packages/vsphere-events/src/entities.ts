import { isRecord } from '@veba-functions/runtime';
import type { EntityKind, EntityRef } from './types.js';

interface EntitySpec {
  /** The field inside the entity holding the moref, e.g. `Ds.Datastore`. */
  readonly ref: string;
  /** The managed object types a reference of this kind may name. */
  readonly types: readonly string[];
}

/** The nested field and the accepted managed object types of each entity reference. */
export const ENTITY_SPECS: Readonly<Record<EntityKind, EntitySpec>> = {
  Vm: { ref: 'Vm', types: ['VirtualMachine'] },
  Host: { ref: 'Host', types: ['HostSystem'] },
  Datacenter: { ref: 'Datacenter', types: ['Datacenter'] },
  ComputeResource: { ref: 'ComputeResource', types: ['ComputeResource', 'ClusterComputeResource'] },
  Ds: { ref: 'Datastore', types: ['Datastore'] },
  Net: { ref: 'Network', types: ['Network', 'DistributedVirtualPortgroup', 'OpaqueNetwork'] },
  Dvs: { ref: 'Dvs', types: ['DistributedVirtualSwitch', 'VmwareDistributedVirtualSwitch'] },
};

/** The entity kinds, in the order vSphere lists them. */
export const ENTITY_KINDS: readonly EntityKind[] = [
  'Datacenter',
  'ComputeResource',
  'Host',
  'Vm',
  'Ds',
  'Net',
  'Dvs',
];

// A moref ends up in REST paths (`/api/vcenter/vm/{vm}`): refuse anything that could change the path.
const MOREF = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;

/** Renders an untrusted value for an error message: short, never the whole payload. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'string':
      return `'${value.length > 120 ? `${value.slice(0, 117)}...` : value}'`;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'object':
      return 'an object';
    default:
      return `a ${typeof value}`;
  }
}

/** A non-empty string, or undefined. */
export function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Reads `data.<kind>` and checks it: `{ Name, <Ref>: { Type, Value } }` with a well-formed moref and
 * an accepted type. Returns the reference, or the reason it is unusable (naming the field).
 */
export function readEntity(
  data: Readonly<Record<string, unknown>>,
  kind: EntityKind,
): EntityRef | string {
  const spec = ENTITY_SPECS[kind];
  const path = `data.${kind}`;
  const entity = data[kind];
  if (entity === undefined || entity === null) return `${path} is missing`;
  if (!isRecord(entity)) return `${path} is ${describe(entity)}, expected an object`;
  const refPath = `${path}.${spec.ref}`;
  const ref = entity[spec.ref];
  if (ref === undefined || ref === null) return `${refPath} is missing`;
  if (!isRecord(ref)) return `${refPath} is ${describe(ref)}, expected an object`;
  const value = ref['Value'];
  if (value === undefined || value === null || value === '') return `${refPath}.Value is missing`;
  if (typeof value !== 'string') return `${refPath}.Value is ${describe(value)}, expected a string`;
  if (!MOREF.test(value))
    return `${refPath}.Value ${describe(value)} is not a valid managed object id`;
  const type = ref['Type'];
  if (type === undefined || type === null || type === '') return `${refPath}.Type is missing`;
  if (typeof type !== 'string' || !spec.types.includes(type)) {
    return `${refPath}.Type is ${describe(type)}, expected ${spec.types.map((t) => `'${t}'`).join(' or ')}`;
  }
  return { name: nonEmptyString(entity['Name']), moref: value, type };
}
