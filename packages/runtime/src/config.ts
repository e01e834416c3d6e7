import { z } from 'zod';
import { ConfigError } from './errors.js';

/** Environment-like input: variable name -> value. */
export type Env = Record<string, string | undefined>;

/** The typed configuration a shape produces. */
export type Config<Shape extends z.ZodRawShape> = z.output<z.ZodObject<Shape>>;

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions {
  /** Where variables come from. The runtime passes `process.env`; tests pass a plain object. */
  env: Env;
  /** Variables holding a JSON object of keys (VEBA's secret pattern), consulted in order after the individual variable. */
  secretVariables?: readonly string[];
}

/** Key names whose values are secret whatever their schema says. */
export const SECRET_KEY_PATTERN = /PASSWORD|SECRET|TOKEN|WEBHOOK|PRIVATE|CREDENTIAL|API_?KEY/i;

const sensitiveSchemas = new WeakSet<object>();

/**
 * A non-empty string whose value is secret: redacted from every log line even when its key
 * name does not look secret.
 *
 * @example
 * config: { VCENTER_USERNAME: z.string(), VCENTER_PASSWORD: secretString() }
 */
export function secretString(): z.ZodString {
  const schema = z.string().min(1);
  sensitiveSchemas.add(schema);
  return schema;
}

const TRUE_WORDS = new Set(['true', '1', 'yes', 'on']);
const FALSE_WORDS = new Set(['false', '0', 'no', 'off', '']);

/**
 * A boolean read from an environment string: `true/1/yes/on` and `false/0/no/off/''`
 * (case-insensitive), or a JSON boolean from a secret. Anything else is a config error.
 *
 * @example
 * config: { VCENTER_INSECURE: booleanFromEnv().default(false) }
 */
export function booleanFromEnv() {
  return z.union([z.boolean(), z.string()]).transform((value, ctx) => {
    if (typeof value === 'boolean') return value;
    const word = value.trim().toLowerCase();
    if (TRUE_WORDS.has(word)) return true;
    if (FALSE_WORDS.has(word)) return false;
    ctx.addIssue({ code: 'custom', message: 'expected true/false/1/0/yes/no/on/off' });
    return z.NEVER;
  });
}

/**
 * A comma-separated list of non-empty, trimmed strings (`"a, b,c"` -> `['a','b','c']`).
 *
 * @example
 * config: { TAG_NAMES: stringList().default([]) }
 */
export function stringList() {
  return z
    .union([z.array(z.string()), z.string()])
    .transform((value) =>
      (Array.isArray(value) ? value : value.split(','))
        .map((item) => item.trim())
        .filter((item) => item.length > 0),
    );
}

/** Whether a key's value must never be logged. */
export function isSensitive(
  key: string,
  schema: unknown,
  sensitiveKeys: readonly string[] = [],
): boolean {
  if (SECRET_KEY_PATTERN.test(key) || sensitiveKeys.includes(key)) return true;
  // Walk optional/default/pipe wrappers down to the schema secretString() registered.
  let current: unknown = schema;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth++) {
    if (sensitiveSchemas.has(current)) return true;
    const def = (current as { _zod?: { def?: { innerType?: unknown; in?: unknown } } })._zod?.def;
    current = def?.innerType ?? def?.in;
  }
  return false;
}

/** The result of {@link resolveConfig}: the config plus the values the logger must scrub. */
export interface ResolvedConfig<C> {
  config: C;
  /** Values of sensitive keys and the raw content of the secret variables. */
  secretValues: string[];
}

/**
 * Values of the sensitive keys found inside a JSON object, at any depth: keys matching
 * {@link SECRET_KEY_PATTERN} or listed in `sensitiveKeys`. A secret variable's whole text is
 * scrubbed already, but a function logs the values it reads from it (a webhook URL in an error
 * message), not the whole JSON: each of those must be scrubbed on its own.
 * @internal
 */
export function sensitiveValuesIn(
  value: unknown,
  sensitiveKeys: readonly string[] = [],
  out: string[] = [],
): string[] {
  if (value === null || typeof value !== 'object') return out;
  if (Array.isArray(value)) {
    for (const item of value) sensitiveValuesIn(item, sensitiveKeys, out);
    return out;
  }
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
    if (SECRET_KEY_PATTERN.test(key) || sensitiveKeys.includes(key)) {
      if (typeof inner === 'string') {
        if (inner.length > 0) out.push(inner);
      } else if (typeof inner === 'number' || typeof inner === 'boolean') out.push(String(inner));
      else if (inner !== null && inner !== undefined) {
        out.push(JSON.stringify(inner));
        // A list of secrets (recipients with tokens, rotated keys): each item on its own too.
        if (Array.isArray(inner))
          for (const item of inner) if (typeof item === 'string' && item.length > 0) out.push(item);
      }
    }
    sensitiveValuesIn(inner, sensitiveKeys, out);
  }
  return out;
}

/**
 * {@link sensitiveValuesIn} for a variable's text when it holds a JSON object; nothing otherwise.
 * @internal
 */
export function sensitiveValuesInJsonText(
  text: string,
  sensitiveKeys: readonly string[] = [],
): string[] {
  if (!text.trimStart().startsWith('{')) return [];
  try {
    return sensitiveValuesIn(JSON.parse(text), sensitiveKeys);
  } catch {
    return [];
  }
}

/** Reads the secret variables once; a variable that is set but is not a JSON object is an error naming it. */
function readSecretVariables(
  env: Env,
  names: readonly string[],
  issues: string[],
): Array<[string, Record<string, unknown>]> {
  const secrets: Array<[string, Record<string, unknown>]> = [];
  for (const name of names) {
    const raw = env[name];
    if (raw === undefined || raw.trim() === '') continue;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      issues.push(`${name}: not valid JSON (expected a JSON object of keys)`);
      continue;
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      issues.push(`${name}: not a JSON object (expected a JSON object of keys)`);
      continue;
    }
    secrets.push([name, parsed as Record<string, unknown>]);
  }
  return secrets;
}

function describeIssues(error: z.ZodError): string {
  // Zod messages name the expectation, not the received value; paths matter for object-valued keys.
  return error.issues
    .map((issue) =>
      issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message,
    )
    .join(', ');
}

/**
 * Like {@link loadConfig}, and also returns the values the logger must scrub.
 * @internal used by the runtime.
 */
export function resolveConfig<Shape extends z.ZodRawShape>(
  shape: Shape,
  options: LoadConfigOptions & { sensitiveKeys?: readonly string[] },
): ResolvedConfig<Config<Shape>> {
  const { env, secretVariables = [], sensitiveKeys = [] } = options;
  const issues: string[] = [];
  const secrets = readSecretVariables(env, secretVariables, issues);
  const secretValues: string[] = [];
  for (const name of secretVariables) {
    const raw = env[name];
    if (raw !== undefined && raw.trim() !== '') secretValues.push(raw);
  }
  for (const [, object] of secrets) sensitiveValuesIn(object, sensitiveKeys, secretValues);
  const config: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(shape)) {
    let value: unknown = env[key];
    let from = `env ${key}`;
    if (value === undefined) {
      for (const [name, object] of secrets) {
        if (Object.hasOwn(object, key) && object[key] !== undefined && object[key] !== null) {
          const raw = object[key];
          // Secrets hold what env vars would hold; numbers and booleans read as their text.
          value = typeof raw === 'number' || typeof raw === 'boolean' ? String(raw) : raw;
          from = `JSON secret ${name}`;
          break;
        }
      }
    }
    const sensitive = isSensitive(key, schema, sensitiveKeys);
    if (sensitive && value !== undefined) {
      secretValues.push(typeof value === 'string' ? value : JSON.stringify(value));
    }
    const result = (schema as z.ZodType).safeParse(value);
    if (result.success) {
      config[key] = result.data;
      continue;
    }
    if (value === undefined) {
      const places = [`env ${key}`, ...secretVariables.map((name) => `JSON secret ${name}`)];
      issues.push(`${key}: missing (looked in ${places.join(' and ')})`);
    } else {
      let detail = describeIssues(result.error);
      if (typeof value === 'string' && value.length > 0)
        detail = detail.split(value).join('[REDACTED]');
      issues.push(`${key}: invalid (from ${from}): ${detail}`);
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return { config: config as Config<Shape>, secretValues };
}

/**
 * Reads and validates configuration keys. A key is taken from its own variable first, then
 * from each secret variable's JSON object in order. Errors name every failing key and where
 * it was looked for, never a value.
 *
 * @throws {ConfigError} when a key is missing or invalid, or a secret variable is not a JSON object.
 * @example
 * const config = loadConfig(
 *   { VCENTER_SERVER: z.string(), VCENTER_PASSWORD: secretString() },
 *   { env: process.env, secretVariables: ['VCENTER_SECRET'] },
 * );
 */
export function loadConfig<Shape extends z.ZodRawShape>(
  shape: Shape,
  options: LoadConfigOptions,
): Config<Shape> {
  return resolveConfig(shape, options).config;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * The runtime's own keys (all optional), read for every function: exported so tools that check a
 * function's configuration can tell them from the function's own keys.
 */
export const runtimeConfigShape = {
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
  FUNCTION_DEBUG: booleanFromEnv().default(false),
  FUNCTION_MAX_BODY_BYTES: z.coerce.number().int().positive().default(1_048_576),
  FUNCTION_TIMEOUT_SECONDS: z.coerce.number().positive().default(60),
  FUNCTION_DRAIN_SECONDS: z.coerce.number().min(0).default(25),
  /** Time a client has to send a request's headers; see CONNECTION_DEFAULTS in server.ts for why. */
  FUNCTION_HEADERS_TIMEOUT_SECONDS: z.coerce.number().positive().default(10),
  /** Time a client has to send a whole request, body included. */
  FUNCTION_REQUEST_TIMEOUT_SECONDS: z.coerce.number().positive().default(30),
  /** How long an idle keep-alive connection is kept: longer than the client's (Go: 90 s). */
  FUNCTION_KEEPALIVE_TIMEOUT_SECONDS: z.coerce.number().positive().default(95),
};

/** The runtime's settings, read from the same environment as the function's keys. */
export type RuntimeConfig = Config<typeof runtimeConfigShape>;
