import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, relative, resolve } from 'node:path';
import { isRecord } from '@veba-functions/runtime';
import {
  listVebaFixtures,
  loadVebaFixture,
  vebaFixtureIndex,
  vebaFixturesDir,
  type VebaFixture,
} from '@veba-functions/test-helpers/fixtures';
import { EventFileError } from './errors.js';

/** A CloudEvent ready to deliver: context attributes (strings) plus the data. */
export interface OutgoingEvent {
  /** specversion, id, source, type and any other attribute or extension, except data. */
  attributes: Record<string, string>;
  /** The parsed data, serialised as JSON on the wire. Ignored when `rawBody` is set. */
  data?: unknown;
  /**
   * Text to send as the body instead of `JSON.stringify(data)` (e.g. a file that is not JSON); in
   * structured mode it becomes the envelope's `data` string.
   */
  rawBody?: string;
  /** Where the event came from (file path or fixture name), for messages. */
  origin: string;
}

/** Attribute overrides from the command line (--type, --id, --source). */
export interface EventOverrides {
  type?: string;
  id?: string;
  source?: string;
}

/** Default `source` for data-only bodies that carry no recorded attributes. */
export const DEFAULT_SOURCE = 'https://vcenter.local/sdk';

/**
 * Finds `ref` in the VEBA sample corpus (test-helpers' `loadVebaFixture`): the file name with or
 * without `.json`, with or without its sub-folder (`legacy/`, `docs-extracted/`). Undefined when no
 * sample has that name.
 */
export function findFixture(ref: string): VebaFixture | undefined {
  const wanted = ref.endsWith('.json') ? ref : `${ref}.json`;
  const file =
    listVebaFixtures().find((name) => name === wanted) ??
    listVebaFixtures().find((name) => basename(name) === wanted);
  return file === undefined ? undefined : loadVebaFixture(file);
}

/**
 * Loads `ref` — a path to a JSON file, or the name of a file of the VEBA sample corpus — as an
 * event. A CloudEvent envelope (an object with `specversion` or `data`) keeps its attributes as
 * they are, missing ones included; a corpus body sent by a script gets the `ce-*` headers the
 * corpus recorded for it; any other data-only body gets `id` from `data.Key`, a default `source`,
 * and the `type` from `--type` (required then).
 */
export function loadEvent(
  ref: string,
  options: { cwd?: string; overrides?: EventOverrides } = {},
): OutgoingEvent {
  const asPath = resolve(options.cwd ?? process.cwd(), ref);
  if (!existsSync(asPath)) {
    const fixture = findFixture(ref);
    if (!fixture) {
      throw new EventFileError(`cannot read event "${ref}": no such file or sample fixture`);
    }
    return fixtureToEvent(fixture, ref, options.overrides);
  }
  const inCorpus = relative(vebaFixturesDir, asPath);
  if (!inCorpus.startsWith('..') && statSync(asPath).isFile()) {
    return fixtureToEvent(loadVebaFixture(asPath), ref, options.overrides);
  }
  let text: string;
  try {
    if (statSync(asPath).isDirectory()) throw new Error('is a directory');
    text = readFileSync(asPath, 'utf8');
  } catch (error) {
    throw new EventFileError(`cannot read event file ${ref}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new EventFileError(`event file ${ref} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return toOutgoingEvent(parsed, { origin: ref, overrides: options.overrides });
}

/**
 * A corpus sample as an event: its attributes as the loader read them (complete or not: the
 * corpus's negative cases stay negative), its data; a bare body as {@link toOutgoingEvent} makes
 * one. A sample that is not JSON is refused.
 */
export function fixtureToEvent(
  fixture: VebaFixture,
  ref: string = fixture.file,
  overrides: EventOverrides = {},
): OutgoingEvent {
  if (fixture.reason?.startsWith('not valid JSON')) {
    throw new EventFileError(`event file ${ref} is ${fixture.reason}`);
  }
  if (fixture.mode === 'data-only') {
    return toOutgoingEvent(fixture.data, { origin: fixture.file, overrides });
  }
  const attributes: Record<string, string> = { ...fixture.attributes };
  applyOverrides(attributes, overrides);
  if (!attributes.type) {
    throw new EventFileError(`event file ${fixture.file} has no CloudEvent type: pass --type`);
  }
  return { attributes, data: fixture.data, origin: fixture.file };
}

/** Builds an event from parsed JSON (see {@link loadEvent} for the rules). */
export function toOutgoingEvent(
  parsed: unknown,
  options: { origin: string; overrides?: EventOverrides },
): OutgoingEvent {
  const { origin, overrides = {} } = options;
  const attributes: Record<string, string> = {};
  let data: unknown;

  if (isStructured(parsed)) {
    for (const [key, value] of Object.entries(parsed)) {
      if (key === 'data' || key === 'data_base64' || value === null || value === undefined) {
        continue;
      }
      attributes[key.toLowerCase()] = typeof value === 'string' ? value : JSON.stringify(value);
    }
    data = parsed.data;
  } else {
    data = parsed;
    attributes.specversion = '1.0';
    attributes.id = keyOf(parsed) ?? randomUUID();
    attributes.source = DEFAULT_SOURCE;
    attributes.datacontenttype = 'application/json';
  }
  applyOverrides(attributes, overrides);
  if (!attributes.type) {
    throw new EventFileError(
      `event file ${origin} is a data-only body with no recorded CloudEvent type: pass --type (e.g. com.vmware.vsphere.VmPoweredOnEvent.v0)`,
    );
  }
  return { attributes, data, origin };
}

function applyOverrides(attributes: Record<string, string>, overrides: EventOverrides): void {
  if (overrides.type) attributes.type = overrides.type;
  if (overrides.id) attributes.id = overrides.id;
  if (overrides.source) attributes.source = overrides.source;
}

/**
 * A CloudEvent envelope: it has `specversion`, or it wraps the body in `data` (the legacy OpenFaaS
 * samples, some of which omit attributes on purpose; those are sent as they are).
 */
function isStructured(value: unknown): value is Record<string, unknown> & { data?: unknown } {
  return isRecord(value) && (typeof value.specversion === 'string' || Object.hasOwn(value, 'data'));
}

/** vSphere's event `Key`, the id VSphereSource gives the CloudEvent. */
function keyOf(data: unknown): string | undefined {
  if (!isRecord(data)) return undefined;
  const key = data.Key;
  return typeof key === 'number' || typeof key === 'string' ? String(key) : undefined;
}

/**
 * A corpus file whose CloudEvent type is one of `types` (the first in the corpus index's order),
 * for hints such as "try: veba-fn send echo <file>".
 */
export function sampleForTypes(types: readonly string[]): string | undefined {
  const wanted = new Set(types);
  return vebaFixtureIndex()
    .map((entry) => loadVebaFixture(entry.file))
    .find((fixture) => fixture.valid && wanted.has(fixture.attributes?.type ?? ''))?.file;
}
