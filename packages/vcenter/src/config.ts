/**
 * The configuration keys VEBA users already have, as a zod raw shape for the runtime's config
 * loader, and the mapping from a loaded config to client options.
 */
import { booleanFromEnv } from '@veba-functions/runtime';
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

/**
 * Maps loaded config to client options. `VCENTER_INSECURE=true` or
 * `VCENTER_CERTIFICATE_ACTION=Ignore` switch verification off; `VCENTER_CA_FILE` is read when
 * the client is created, so a wrong path fails init.
 */
export function vcenterOptionsFromConfig(
  config: VCenterConfig,
  extra: Partial<Omit<VCenterClientOptions, 'server' | 'username' | 'password'>> = {},
): VCenterClientOptions {
  const action = config.VCENTER_CERTIFICATE_ACTION;
  const insecure = config.VCENTER_INSECURE === true || action === 'ignore';
  return {
    server: config.VCENTER_SERVER,
    username: config.VCENTER_USERNAME,
    password: config.VCENTER_PASSWORD,
    flavour: config.VCENTER_API_FLAVOUR,
    insecure,
    ...(config.VCENTER_CA_FILE === undefined ? {} : { ca: config.VCENTER_CA_FILE }),
    keepAliveIntervalMs: Math.round(config.VCENTER_KEEPALIVE_SECONDS * 1000),
    requestTimeoutMs: Math.round(config.VCENTER_REQUEST_TIMEOUT_SECONDS * 1000),
    createMissingTags: config.VCENTER_CREATE_MISSING_TAGS,
    ...extra,
  };
}
