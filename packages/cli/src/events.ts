import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
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

/** One entry of the VEBA sample corpus index (packages/test-helpers/fixtures/veba-events/index.json). */
export interface FixtureIndexEntry {
  file: string;
  valid_json?: boolean | null;
  mode?: string | null;
  ce?: Record<string, string>;
  ce_headers_from_send_script?: Record<string, string>;
  event_type?: string;
  note?: string;
}

/** Attribute overrides from the command line (--type, --id, --source). */
export interface EventOverrides {
  type?: string;
  id?: string;
  source?: string;
}

/** Default `source` for data-only bodies that carry no recorded attributes. */
export const DEFAULT_SOURCE = 'https://vcenter.local/sdk';

/** Reads the corpus index; an empty list when the corpus is not there. */
export function readFixtureIndex(fixturesDir: string): FixtureIndexEntry[] {
  const file = join(fixturesDir, 'index.json');
  if (!existsSync(file)) return [];
  return JSON.parse(readFileSync(file, 'utf8')) as FixtureIndexEntry[];
}

/**
 * Finds `ref` in the corpus: the index's file name, with or without `.json`, with or without its
 * sub-folder (`legacy/`, `docs-extracted/`).
 */
export function findFixture(fixturesDir: string, ref: string): FixtureIndexEntry | undefined {
  const wanted = ref.endsWith('.json') ? ref : `${ref}.json`;
  const index = readFixtureIndex(fixturesDir);
  return (
    index.find((entry) => entry.file === wanted) ??
    index.find((entry) => basename(entry.file) === wanted)
  );
}

/**
 * Loads `ref` — a path to a JSON file, or the name of a file of the VEBA sample corpus — as an
 * event. A CloudEvent envelope (an object with `specversion` or `data`) keeps its attributes, as
 * they are, missing ones included; a data-only
 * body gets the `ce-*` headers its corpus entry recorded, else `id` from `data.Key`, a default
 * `source`, and the `type` from `--type` (required then).
 */
export function loadEvent(
  ref: string,
  options: { fixturesDir?: string; cwd?: string; overrides?: EventOverrides } = {},
): OutgoingEvent {
  const cwd = options.cwd ?? process.cwd();
  const asPath = resolve(cwd, ref);
  let path: string;
  let entry: FixtureIndexEntry | undefined;
  if (existsSync(asPath)) {
    path = asPath;
    if (options.fixturesDir) {
      const rel = relative(options.fixturesDir, asPath);
      if (!rel.startsWith('..')) entry = findFixture(options.fixturesDir, rel);
    }
  } else {
    entry = options.fixturesDir ? findFixture(options.fixturesDir, ref) : undefined;
    if (!entry || !options.fixturesDir) {
      throw new EventFileError(`cannot read event "${ref}": no such file or sample fixture`);
    }
    path = join(options.fixturesDir, entry.file);
  }
  const origin = entry ? entry.file : ref;

  let text: string;
  try {
    if (statSync(path).isDirectory()) throw new Error('is a directory');
    text = readFileSync(path, 'utf8');
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
  return toOutgoingEvent(parsed, { origin, entry, overrides: options.overrides });
}

/** Builds an event from parsed JSON (see {@link loadEvent} for the rules). */
export function toOutgoingEvent(
  parsed: unknown,
  options: { origin: string; entry?: FixtureIndexEntry; overrides?: EventOverrides },
): OutgoingEvent {
  const { origin, entry, overrides = {} } = options;
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
    const recorded = entry?.ce_headers_from_send_script ?? entry?.ce ?? {};
    for (const [key, value] of Object.entries(recorded)) {
      attributes[key.toLowerCase().replace(/^ce-/, '')] = value;
    }
    data = parsed;
    attributes.specversion ??= '1.0';
    attributes.id ??= keyOf(parsed) ?? randomUUID();
    attributes.source ??= DEFAULT_SOURCE;
    attributes.datacontenttype ??= 'application/json';
  }
  if (overrides.type) attributes.type = overrides.type;
  if (overrides.id) attributes.id = overrides.id;
  if (overrides.source) attributes.source = overrides.source;
  if (!attributes.type) {
    throw new EventFileError(
      `event file ${origin} is a data-only body with no recorded CloudEvent type: pass --type (e.g. com.vmware.vsphere.VmPoweredOnEvent.v0)`,
    );
  }
  return { attributes, data, origin };
}

/**
 * A CloudEvent envelope: it has `specversion`, or it wraps the body in `data` (the legacy OpenFaaS
 * samples, some of which omit attributes on purpose; those are sent as they are).
 */
function isStructured(value: unknown): value is Record<string, unknown> & { data?: unknown } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return typeof record.specversion === 'string' || Object.hasOwn(record, 'data');
}

/** vSphere's event `Key`, the id VSphereSource gives the CloudEvent. */
function keyOf(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const key = (data as Record<string, unknown>).Key;
  return typeof key === 'number' || typeof key === 'string' ? String(key) : undefined;
}

/**
 * A corpus file whose CloudEvent type is one of `types` (the first in index order), for hints
 * such as "try: veba-fn send echo <file>".
 */
export function sampleForTypes(fixturesDir: string, types: readonly string[]): string | undefined {
  const wanted = new Set(types);
  return readFixtureIndex(fixturesDir).find((entry) => {
    if (entry.valid_json === false) return false;
    const type = entry.ce_headers_from_send_script?.['ce-type'] ?? entry.ce?.type;
    return type !== undefined && wanted.has(type);
  })?.file;
}
