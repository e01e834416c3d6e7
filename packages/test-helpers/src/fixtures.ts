import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * This package's `fixtures/` folder. Resolved from this module's own URL, so it is the same folder
 * whether the code runs from `src/` (vitest) or `dist/` (built, or installed with `files`).
 */
export const fixturesDir: string = fileURLToPath(new URL('../fixtures', import.meta.url));

/** The VEBA sample event corpus (`fixtures/veba-events`, see its README.md and index.json). */
export const vebaFixturesDir: string = join(fixturesDir, 'veba-events');

/** One entry of `fixtures/veba-events/index.json`, as recorded (snake_case). */
export interface VebaIndexEntry {
  readonly file: string;
  readonly valid_json?: boolean;
  readonly mode?: string;
  /** The CloudEvent attributes of a structured file. */
  readonly ce?: Readonly<Record<string, string>>;
  /** The `ce-*` headers the example's send script sets for a data-only body. */
  readonly ce_headers_from_send_script?: Readonly<Record<string, string>>;
  readonly send_script?: string;
  /** The event type the sample stands for, or a description such as `negative: null moref`. */
  readonly event_type?: string;
  readonly note?: string;
}

/**
 * How a fixture becomes a CloudEvent: `structured` (the file is a JSON CloudEvent), `binary` (the
 * file is the body, the attributes are the send script's `ce-*` headers), `data-only` (a bare
 * body with no attributes anywhere: not deliverable as a CloudEvent).
 */
export type VebaFixtureMode = 'structured' | 'binary' | 'data-only';

/** A corpus file turned into a CloudEvent-ready shape. */
export interface VebaFixture {
  /** Path relative to {@link vebaFixturesDir}, `/`-separated (absolute for a file outside it). */
  readonly file: string;
  /** Absolute path. */
  readonly path: string;
  readonly mode: VebaFixtureMode;
  /** True when the file yields a complete CloudEvent (JSON body and the four required attributes). */
  readonly valid: boolean;
  /** Why it is not valid, e.g. `not valid JSON: ...` or `missing CloudEvent attribute(s): source`. */
  readonly reason?: string;
  /** Context attributes and extensions (`ce-` prefix removed for binary ones), when any are known. */
  readonly attributes?: Readonly<Record<string, string>>;
  /** The event data (parsed JSON), when the file is JSON. */
  readonly data?: unknown;
  /** `{ ...attributes, data }`: ready for `new CloudEvent(fixture.event)` (only when `valid`). */
  readonly event?: Readonly<Record<string, unknown>>;
  /** The file's text as stored (send it as-is to exercise a receiver's own parsing). */
  readonly body: string;
  /** index.json `event_type` and `note`, when the file is indexed. */
  readonly eventType?: string;
  readonly note?: string;
}

const REQUIRED_ATTRIBUTES = ['specversion', 'id', 'source', 'type'] as const;
const V0_VSPHERE_TYPE = /^com\.vmware\.vsphere\.\S+\.v0$/;

let indexCache: ReadonlyMap<string, VebaIndexEntry> | undefined;

function indexByFile(): ReadonlyMap<string, VebaIndexEntry> {
  if (indexCache === undefined) {
    const entries = JSON.parse(
      readFileSync(join(vebaFixturesDir, 'index.json'), 'utf8'),
    ) as VebaIndexEntry[];
    indexCache = new Map(entries.map((entry) => [entry.file, entry]));
  }
  return indexCache;
}

/** The entries of `index.json`, in its order. */
export function vebaFixtureIndex(): readonly VebaIndexEntry[] {
  return [...indexByFile().values()];
}

/**
 * Every sample file of the corpus (`*.json` except `index.json`), relative to
 * {@link vebaFixturesDir}, `/`-separated and sorted.
 *
 * @example
 * it.each(listVebaFixtures())('%s', (file) => { const fixture = loadVebaFixture(file); ... });
 */
export function listVebaFixtures(): string[] {
  return readdirSync(vebaFixturesDir, { recursive: true, encoding: 'utf8' })
    .map((name) => name.split(sep).join('/'))
    .filter((name) => name.endsWith('.json') && name !== 'index.json')
    .sort();
}

function resolveFixturePath(file: string): string {
  const candidates = isAbsolute(file)
    ? [file]
    : [resolve(vebaFixturesDir, file), resolve(vebaFixturesDir, `${file}.json`)];
  for (const candidate of candidates) {
    const inside = relative(vebaFixturesDir, candidate);
    if (!isAbsolute(file) && (inside.startsWith('..') || isAbsolute(inside))) {
      throw new Error(`VEBA fixture '${file}' is outside ${vebaFixturesDir}`);
    }
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  throw new Error(
    `unknown VEBA fixture '${file}' (listVebaFixtures() names the ${vebaFixturesDir} files)`,
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Unindexed files: a JSON object with a spec version or a data member is a structured CloudEvent.
function looksStructured(value: unknown): boolean {
  return (
    isPlainObject(value) && ('specversion' in value || 'data' in value || 'data_base64' in value)
  );
}

function modeOf(entry: VebaIndexEntry | undefined, parsed: unknown): VebaFixtureMode {
  if (entry?.ce_headers_from_send_script) return 'binary';
  if (entry?.mode !== undefined)
    return entry.mode.startsWith('structured') ? 'structured' : 'data-only';
  return looksStructured(parsed) ? 'structured' : 'data-only';
}

function binaryAttributes(entry: VebaIndexEntry): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [header, value] of Object.entries(entry.ce_headers_from_send_script ?? {})) {
    attributes[header.toLowerCase().replace(/^ce-/, '')] = value;
  }
  // The send scripts post the body with Content-Type: application/json.
  attributes['datacontenttype'] ??= 'application/json';
  // A send script's default type can be wrong for one of its payloads (kn-pcli-hostmaint-alarms
  // sends the exit payload with the Enter type unless told otherwise): the index's event_type says
  // what the payload is, so it wins when both are v0 vSphere types.
  const intended = entry.event_type;
  const scripted = attributes['type'];
  if (
    intended !== undefined &&
    scripted !== undefined &&
    V0_VSPHERE_TYPE.test(intended) &&
    V0_VSPHERE_TYPE.test(scripted)
  ) {
    attributes['type'] = intended;
  }
  return attributes;
}

function structuredAttributes(value: Record<string, unknown>): {
  attributes: Record<string, string>;
  problem?: string;
} {
  const attributes: Record<string, string> = {};
  for (const [name, attribute] of Object.entries(value)) {
    if (name === 'data' || name === 'data_base64') continue;
    if (typeof attribute === 'string') attributes[name] = attribute;
    else if (typeof attribute === 'number' || typeof attribute === 'boolean')
      attributes[name] = String(attribute);
    else return { attributes, problem: `attribute '${name}' is not a string` };
  }
  return { attributes };
}

/**
 * Loads one corpus file (relative to {@link vebaFixturesDir}, `.json` optional; or an absolute path)
 * and turns it into a CloudEvent-ready shape:
 * - a structured CloudEvent file: its attributes and `data`, as they are;
 * - a data-only PowerShell body: the body as `data`, with the `ce-*` headers index.json records
 *   from the example's send script as attributes;
 * - invalid JSON, missing required attributes, or a bare body without recorded headers:
 *   `valid: false` with the reason (and whatever could be read).
 * Throws only for a file that does not exist.
 *
 * @example
 * const fixture = loadVebaFixture('kn-pcli-tag__test-payload.json');
 * if (fixture.valid) await send(new CloudEvent(fixture.event));
 */
export function loadVebaFixture(file: string): VebaFixture {
  const path = resolveFixturePath(file);
  const inside = relative(vebaFixturesDir, path);
  const name = inside.startsWith('..') || isAbsolute(inside) ? path : inside.split(sep).join('/');
  const entry = indexByFile().get(name);
  const body = readFileSync(path, 'utf8');
  const base = {
    file: name,
    path,
    body,
    ...(entry?.event_type !== undefined && { eventType: entry.event_type }),
    ...(entry?.note !== undefined && entry.note !== '' && { note: entry.note }),
  };

  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    const mode = modeOf(entry, undefined);
    return {
      ...base,
      mode,
      valid: false,
      reason: `not valid JSON: ${(error as Error).message}`,
      ...(mode === 'binary' && entry && { attributes: binaryAttributes(entry) }),
    };
  }

  const mode = modeOf(entry, parsed);
  if (mode === 'data-only') {
    return {
      ...base,
      mode,
      valid: false,
      reason:
        entry === undefined
          ? 'a bare JSON body without CloudEvent attributes'
          : `a bare body without CloudEvent attributes (index.json records no ce-* headers for it): ${entry.event_type ?? entry.mode ?? 'no event type'}`,
      data: parsed,
    };
  }

  let attributes: Record<string, string>;
  let data: unknown;
  if (mode === 'binary') {
    attributes = binaryAttributes(entry as VebaIndexEntry);
    data = parsed;
  } else {
    if (!isPlainObject(parsed)) {
      return {
        ...base,
        mode,
        valid: false,
        reason: 'a structured CloudEvent must be a JSON object',
        data: parsed,
      };
    }
    const read = structuredAttributes(parsed);
    data = parsed['data'];
    if (read.problem !== undefined) {
      return {
        ...base,
        mode,
        valid: false,
        reason: read.problem,
        attributes: read.attributes,
        data,
      };
    }
    attributes = read.attributes;
  }

  const missing = REQUIRED_ATTRIBUTES.filter(
    (name) => attributes[name] === undefined || attributes[name] === '',
  );
  if (missing.length > 0) {
    return {
      ...base,
      mode,
      valid: false,
      reason: `missing CloudEvent attribute(s): ${missing.join(', ')}`,
      attributes,
      data,
    };
  }
  return { ...base, mode, valid: true, attributes, data, event: { ...attributes, data } };
}

/** {@link loadVebaFixture} for every file of {@link listVebaFixtures}. */
export function loadVebaFixtures(): VebaFixture[] {
  return listVebaFixtures().map((file) => loadVebaFixture(file));
}
