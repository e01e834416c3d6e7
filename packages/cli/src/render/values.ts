import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { brokerSettings, checkTriggerAnnotations } from './broker.js';
import { RenderError } from './errors.js';
import { isRecord, type Values } from './values-tree.js';

export { isRecord, type Values } from './values-tree.js';

/** Reads a YAML values file; an empty file is `{}`. */
export function readValuesFile(file: string): Values {
  if (!existsSync(file)) throw new RenderError(`${file}: no such values file`);
  let parsed: unknown;
  try {
    parsed = parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new RenderError(`${file}: not valid YAML: ${(error as Error).message}`, { cause: error });
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isRecord(parsed)) throw new RenderError(`${file}: expected a mapping at the top level`);
  return parsed;
}

/**
 * Helm's merge of values files: maps merge key by key, anything else (lists included) is
 * replaced, and `null` removes the key from the defaults.
 */
export function mergeValues(base: Values, override: Values): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === null) {
      delete out[key];
    } else if (isRecord(value) && isRecord(out[key])) {
      out[key] = mergeValues(out[key], value);
    } else {
      out[key] = value;
    }
  }
  return out;
}

/**
 * Helm's merge of the user's own layers (`-f` files, then `--set`) before the chart defaults
 * fill in: the same as {@link mergeValues} except that `null` is kept, so it still removes the
 * default when the defaults come in. A map replaces a string here, as `--set broker.parallelism=5`
 * replaces `broker: my-broker` (the name then comes from the defaults, as with helm).
 */
export function mergeUserValues(base: Values, override: Values): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    out[key] = isRecord(value) && isRecord(current) ? mergeUserValues(current, value) : value;
  }
  return out;
}

const RESERVED_ENV = new Set(['PORT', 'K_SERVICE', 'K_CONFIGURATION', 'K_REVISION']);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const TRIGGER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
// The container securityContext fields Knative Serving 1.13 accepts (knative/serving
// pkg/apis/serving/fieldmask.go, SecurityContextMask); `privileged` only from 1.17
// (knative/serving#15643), so the chart leaves it out.
const SECURITY_CONTEXT_FIELDS = new Set([
  'allowPrivilegeEscalation',
  'capabilities',
  'readOnlyRootFilesystem',
  'runAsGroup',
  'runAsNonRoot',
  'runAsUser',
  'seccompProfile',
]);

function fail(source: string, path: string, problem: string): never {
  throw new RenderError(`${source}: ${path}: ${problem}`);
}

function integer(values: Values, key: string, source: string, min: number): void {
  const value = values[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    fail(source, key, `expected an integer >= ${min}, got ${JSON.stringify(value)}`);
  }
}

/**
 * The checks of charts/veba-function/values.schema.json that decide whether the output is a
 * working deployment (helm runs the full schema; this path has no helm).
 */
export function checkValues(values: Values, source: string): void {
  const image = values['image'];
  if (!isRecord(image) || (!image['repository'] && !image['registry'])) {
    fail(source, 'image', 'set image.repository or image.registry');
  }
  const digest = image['digest'];
  if (
    digest !== undefined &&
    digest !== '' &&
    !(typeof digest === 'string' && /^sha256:[a-f0-9]{64}$/.test(digest))
  ) {
    fail(source, 'image.digest', 'expected sha256: and 64 hex digits');
  }
  integer(values, 'minScale', source, 0);
  integer(values, 'maxScale', source, 0);
  integer(values, 'containerConcurrency', source, 0);
  integer(values, 'timeoutSeconds', source, 6);
  const env = values['env'] ?? {};
  if (!isRecord(env)) fail(source, 'env', 'expected a mapping NAME: value');
  for (const [name, value] of Object.entries(env)) {
    if (!ENV_NAME.test(name)) fail(source, `env.${name}`, 'not a valid variable name');
    if (RESERVED_ENV.has(name)) fail(source, `env.${name}`, 'reserved by Knative');
    if (!['string', 'number', 'boolean'].includes(typeof value))
      fail(source, `env.${name}`, 'expected a string, number or boolean');
  }
  const secretEnv = values['secretEnv'] ?? [];
  if (!Array.isArray(secretEnv)) fail(source, 'secretEnv', 'expected a list');
  secretEnv.forEach((entry: unknown, i) => {
    if (
      !isRecord(entry) ||
      typeof entry['name'] !== 'string' ||
      typeof entry['secretName'] !== 'string'
    ) {
      fail(source, `secretEnv[${i}]`, 'needs name and secretName');
    }
    if (!ENV_NAME.test(entry['name']) || RESERVED_ENV.has(entry['name']))
      fail(source, `secretEnv[${i}].name`, 'not a usable variable name');
  });
  const secret = values['secret'];
  if (isRecord(secret) && secret['create'] === true) {
    const variable = secret['variable'];
    if (typeof variable !== 'string' || !ENV_NAME.test(variable)) {
      fail(source, 'secret.variable', 'required when secret.create is true (e.g. TAG_SECRET)');
    }
  }
  const securityContext = values['securityContext'];
  if (isRecord(securityContext)) {
    for (const key of Object.keys(securityContext)) {
      if (key === 'privileged') {
        fail(
          source,
          'securityContext.privileged',
          'Knative Serving before 1.17 refuses this field, even set to false (VEBA 0.8 ships 1.13); leave it out',
        );
      }
      if (!SECURITY_CONTEXT_FIELDS.has(key)) {
        fail(
          source,
          `securityContext.${key}`,
          'not a field Knative Serving accepts on a container',
        );
      }
    }
  }
  if (
    !isRecord(securityContext) ||
    securityContext['runAsNonRoot'] !== true ||
    securityContext['readOnlyRootFilesystem'] !== true ||
    securityContext['allowPrivilegeEscalation'] !== false
  ) {
    fail(
      source,
      'securityContext',
      'must keep runAsNonRoot, readOnlyRootFilesystem and no privilege escalation',
    );
  }
  brokerSettings(values, source);
  const triggers = values['triggers'];
  if (!Array.isArray(triggers)) fail(source, 'triggers', 'expected a list');
  const seen = new Map<string, number>();
  triggers.forEach((trigger: unknown, i) => {
    const at = `triggers[${i}]`;
    if (!isRecord(trigger)) fail(source, at, 'expected a mapping');
    checkTriggerAnnotations(trigger['annotations'], at, source);
    const name = trigger['name'];
    if (typeof name !== 'string' || !TRIGGER_NAME.test(name) || name.length > 40) {
      fail(source, `${at}.name`, 'expected a DNS label of at most 40 characters');
    }
    const first = seen.get(name);
    if (first !== undefined) {
      fail(
        source,
        `${at}.name`,
        `"${name}" repeats triggers[${first}].name; trigger names must be unique (kubectl apply would keep only one of two same-named Triggers)`,
      );
    }
    seen.set(name, i);
    const filter = trigger['filter'];
    if (!isRecord(filter) || !isRecord(filter['attributes']))
      fail(source, `${at}.filter.attributes`, 'missing');
    const type = filter['attributes']['type'];
    if (typeof type !== 'string' || type.length === 0) {
      fail(
        source,
        `${at}.filter.attributes.type`,
        'required: v0.8 events carry no subject, so filter by type',
      );
    }
  });
}
