import { booleanFromEnv, isRecord, type Config } from '@veba-functions/runtime';
import { vcenterConfig } from '@veba-functions/vcenter';
import { z } from 'zod';

/** The placeholders an owner tag template may use. */
export const TEMPLATE_PLACEHOLDERS = ['user', 'domain', 'fullUser'] as const;

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** A template naming only known placeholders, at least one of them. */
const template = z
  .string()
  .trim()
  .min(1)
  .refine((text) => {
    const used = [...text.matchAll(PLACEHOLDER)].map((m) => m[1] ?? '');
    return (
      used.length > 0 &&
      used.every((name) => (TEMPLATE_PLACEHOLDERS as readonly string[]).includes(name))
    );
  }, `expected text with {user}, {domain} or {fullUser} and no other placeholder`)
  .default('{user}');

/**
 * `OWNER_USER_MAP`: a JSON object (text in a variable, an object inside a JSON secret) of user
 * name -> owner to record, or `""` to record none. Keys are compared in lower case (vSphere SSO
 * and Active Directory names are case-insensitive); the result is a Map, so a user called
 * `constructor` or `__proto__` can never match an inherited key.
 */
const userMap = z
  .union([z.string(), z.record(z.string(), z.unknown())])
  .optional()
  .transform((value, ctx): ReadonlyMap<string, string> => {
    if (value === undefined || (typeof value === 'string' && value.trim() === '')) return new Map();
    let parsed: unknown = value;
    if (typeof value === 'string') {
      try {
        parsed = JSON.parse(value);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not valid JSON (expected a JSON object)' });
        return z.NEVER;
      }
    }
    if (!isRecord(parsed)) {
      ctx.addIssue({ code: 'custom', message: 'expected a JSON object of user name -> owner' });
      return z.NEVER;
    }
    const map = new Map<string, string>();
    for (const [user, owner] of Object.entries(parsed)) {
      if (typeof owner !== 'string') {
        ctx.addIssue({
          code: 'custom',
          message: `the owner of "${user}" must be a string ("" for none)`,
        });
        return z.NEVER;
      }
      map.set(user.trim().toLowerCase(), owner.trim());
    }
    return map;
  });

/**
 * vm-owner-tag's keys: the vCenter connection and the owner tags. The runtime's, dedupe and
 * ordering keys apply as well.
 */
export const config = {
  ...vcenterConfig,
  /** The category of the owner tags; created (single cardinality, for VirtualMachine) when missing. */
  OWNER_TAG_CATEGORY: z.string().trim().min(1).default('Owner'),
  /** The owner tag's name from the event's user: `{user}` (no domain), `{domain}`, `{fullUser}`. */
  OWNER_TAG_TEMPLATE: template,
  /** Service accounts (Terraform, Aria, CAPV) -> the owner to record, or `""` to record none. */
  OWNER_USER_MAP: userMap,
  /** A VM that already carries an owner tag gets the new one instead (default: it keeps its own). */
  OWNER_TAG_REPLACE: booleanFromEnv().default(false),
};

/** JSON secret variables, read in this order after the individual variables. */
export const secretVariables: string[] = ['VCENTER_SECRET', 'TAG_SECRET'];

/** `VCENTER_PASSWORD` and the secret variables are secret by name already. */
export const sensitiveKeys: string[] = [];

export type VmOwnerTagConfig = Config<typeof config>;
