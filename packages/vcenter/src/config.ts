/**
 * The configuration keys VEBA users already have, as a zod raw shape for the runtime's config
 * loader, and the mapping from a loaded config to client options.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { booleanFromEnv, ConfigError } from '@veba-functions/runtime';
import { z } from 'zod';
import type { VCenterClientOptions } from './client.js';

/** A positive number from a number or a numeric string. */
const seconds = z.coerce.number().positive();

/**
 * Config keys for a function that talks to vCenter. Spread into the function's `config` and
 * list the secret variable that holds them:
 *
 * @example
 * defineFunction({
 *   name: 'vm-tag-on-power-on',
 *   config: { ...vcenterConfig, TAG_NAME: z.string() },
 *   secretVariables: ['VCENTER_SECRET'],
 *   async init({ config, logger, metrics }) {
 *     const vcenter = createVCenterClient(vcenterOptionsFromConfig(config, { logger, metrics }));
 *     await vcenter.connect();
 *     return { vcenter };
 *   },
 *   ...
 * });
 */
export const vcenterConfig = {
  /** Hostname, `host:port` or `https://` URL (VEBA's PowerCLI secrets hold a URL). */
  VCENTER_SERVER: z.string().trim().min(1),
  VCENTER_USERNAME: z.string().min(1),
  VCENTER_PASSWORD: z.string().min(1),
  /** `true` turns certificate verification off for this client only (Go examples' key). */
  VCENTER_INSECURE: booleanFromEnv().optional(),
  /** PowerCLI's key: `Fail` (verify) or `Ignore` (do not verify). */
  VCENTER_CERTIFICATE_ACTION: z
    .string()
    .trim()
    .transform((v) => v.toLowerCase())
    .pipe(z.enum(['fail', 'ignore']))
    .optional(),
  /** Path to a PEM bundle of CA certificates to trust for vCenter. */
  VCENTER_CA_FILE: z.string().trim().min(1).optional(),
  /** `auto` (default) tries `/api` and falls back to `/rest`; `api` or `rest` force one. */
  VCENTER_API_FLAVOUR: z
    .string()
    .trim()
    .transform((v) => v.toLowerCase())
    .pipe(z.enum(['auto', 'api', 'rest']))
    .default('auto'),
  /** Keep-alive interval, seconds (default 300; vCenter's idle timeout defaults to 30 minutes). */
  VCENTER_KEEPALIVE_SECONDS: seconds.default(300),
  /** Per-request timeout, seconds (default 30). */
  VCENTER_REQUEST_TIMEOUT_SECONDS: seconds.default(30),
  /** Create a missing tag category/tag in `ensureTag` (default false). */
  VCENTER_CREATE_MISSING_TAGS: booleanFromEnv().default(false),
};

/** The config values `vcenterOptionsFromConfig` reads (extra keys are fine). */
export type VCenterConfig = z.output<z.ZodObject<typeof vcenterConfig>>;

const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value === '' ? undefined : value));

/** Where kn-go-tagging mounts its `vsphere-credentials` secret when `VCENTER_SECRET_PATH` is unset. */
export const DEFAULT_SECRET_PATH = '/var/bindings/vsphere';

/**
 * The keys of VEBA's Go example kn-go-tagging, for a function that accepts its configuration
 * unchanged: `VCENTER_URL` (the server) and `VCENTER_SECRET_PATH` (a folder holding the files
 * `username` and `password`: a `kubernetes.io/basic-auth` Secret mounted as a volume, by default
 * at `/var/bindings/vsphere`). Spread after `vcenterConfig`: it makes `VCENTER_SERVER`,
 * `VCENTER_USERNAME` and `VCENTER_PASSWORD` optional, and `vcenterOptionsFromConfig` fills them
 * from these (the individual keys win).
 *
 * @example
 * config: { ...vcenterConfig, ...vcenterGoExampleConfig, TAG_ACTION: ... }
 */
export const vcenterGoExampleConfig = {
  VCENTER_SERVER: optionalText,
  VCENTER_USERNAME: optionalText,
  VCENTER_PASSWORD: z.string().optional(),
  /** kn-go-tagging's name for the server (`https://vc01.corp.local`). */
  VCENTER_URL: optionalText,
  /** Folder with the files `username` and `password` (kn-go-tagging's mounted secret). */
  VCENTER_SECRET_PATH: optionalText,
};

/** What `vcenterOptionsFromConfig` accepts: `VCenterConfig`, or the same with kn-go-tagging's keys. */
export type VCenterConfigInput = Omit<
  VCenterConfig,
  'VCENTER_SERVER' | 'VCENTER_USERNAME' | 'VCENTER_PASSWORD'
> & {
  VCENTER_SERVER?: string | undefined;
  VCENTER_USERNAME?: string | undefined;
  VCENTER_PASSWORD?: string | undefined;
  VCENTER_URL?: string | undefined;
  VCENTER_SECRET_PATH?: string | undefined;
};

/** The server and credentials, from the individual keys first, then kn-go-tagging's. */
function serverAndCredentials(config: VCenterConfigInput): {
  server: string;
  username: string;
  password: string;
} {
  const issues: string[] = [];
  const server = config.VCENTER_SERVER ?? config.VCENTER_URL;
  if (server === undefined)
    issues.push('VCENTER_SERVER: missing (looked in VCENTER_SERVER and VCENTER_URL)');
  let username = nonEmpty(config.VCENTER_USERNAME);
  let password = nonEmpty(config.VCENTER_PASSWORD);
  if (username === undefined || password === undefined) {
    const folder = config.VCENTER_SECRET_PATH ?? DEFAULT_SECRET_PATH;
    username ??= readSecretFile(folder, 'username', 'VCENTER_USERNAME', issues);
    password ??= readSecretFile(folder, 'password', 'VCENTER_PASSWORD', issues);
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return { server: server!, username: username!, password: password! };
}

/** One key of a mounted Secret; a trailing newline (a secret made `--from-file`) is not part of it. */
function readSecretFile(
  folder: string,
  file: string,
  key: string,
  issues: string[],
): string | undefined {
  const path = join(folder, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    issues.push(`${key}: missing (looked in ${key} and the file ${path}, VCENTER_SECRET_PATH)`);
    return undefined;
  }
  const value = text.replace(/\r?\n$/, '');
  if (value === '') issues.push(`${key}: the file ${path} is empty`);
  return value === '' ? undefined : value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

/**
 * Maps loaded config to client options. `VCENTER_INSECURE=true` or
 * `VCENTER_CERTIFICATE_ACTION=Ignore` switch verification off; `VCENTER_CA_FILE` is read when
 * the client is created, so a wrong path fails init. With `vcenterGoExampleConfig`, a missing
 * server comes from `VCENTER_URL` and missing credentials from the files in
 * `VCENTER_SECRET_PATH`; what is still missing throws `ConfigError` naming the key.
 */
export function vcenterOptionsFromConfig(
  config: VCenterConfigInput,
  extra: Partial<Omit<VCenterClientOptions, 'server' | 'username' | 'password'>> = {},
): VCenterClientOptions {
  const action = config.VCENTER_CERTIFICATE_ACTION;
  const insecure = config.VCENTER_INSECURE === true || action === 'ignore';
  const { server, username, password } = serverAndCredentials(config);
  return {
    server,
    username,
    password,
    flavour: config.VCENTER_API_FLAVOUR,
    insecure,
    ...(config.VCENTER_CA_FILE === undefined ? {} : { ca: config.VCENTER_CA_FILE }),
    keepAliveIntervalMs: Math.round(config.VCENTER_KEEPALIVE_SECONDS * 1000),
    requestTimeoutMs: Math.round(config.VCENTER_REQUEST_TIMEOUT_SECONDS * 1000),
    createMissingTags: config.VCENTER_CREATE_MISSING_TAGS,
    ...extra,
  };
}
