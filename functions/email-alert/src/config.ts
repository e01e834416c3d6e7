import { booleanFromEnv, stringList, type Config } from '@veba-functions/runtime';
import { notifierConfigShape } from '@veba-functions/notifier';
import { z } from 'zod';

/** An empty string (VEBA's secrets hold `"SMTP_PORT": ""` placeholders) reads as unset. */
const emptyAsUnset = (value: unknown) => (value === '' ? undefined : value);

/**
 * email-alert's keys: the SMTP server and how to reach it, the mail's sender, recipients and
 * subject prefix, and the notifier core's shared keys (Redis, maintenance suppression).
 *
 * VEBA's email secrets work unchanged as JSON secret variables: kn-ps-email's `EMAIL_SECRET`
 * (`SMTP_SERVER`, `SMTP_PORT` as a string, `SMTP_USERNAME`, `SMTP_PASSWORD`, `EMAIL_SUBJECT`,
 * `EMAIL_TO` comma-separated, `EMAIL_FROM`), and the SMTP and email keys of
 * kn-pcli-ha-restarted-vms' `HA_SECRET` and kn-pcli-datastore-usage-email's `DATASTORE_SECRET`
 * (`EMAIL_TO` as a JSON array, empty `SMTP_USERNAME` / `SMTP_PASSWORD` for no authentication).
 */
export const config = {
  SMTP_SERVER: z.string().optional(),
  SMTP_PORT: z.preprocess(emptyAsUnset, z.coerce.number().int().min(1).max(65_535).optional()),
  SMTP_SECURITY: z.preprocess(
    (value) => (typeof value === 'string' ? emptyAsUnset(value.trim().toLowerCase()) : value),
    z.enum(['starttls', 'tls', 'none']).optional(),
  ),
  /** `none` sends in plain text only with this explicit opt-in. */
  SMTP_ALLOW_INSECURE: booleanFromEnv().default(false),
  SMTP_USERNAME: z.string().optional(),
  SMTP_PASSWORD: z.string().optional(),
  /** PEM bundle to trust for the server's certificate (a private CA). */
  SMTP_CA_FILE: z.string().optional(),
  /** Per-mail timeout (connect, each reply), capped by the event's deadline. */
  SMTP_TIMEOUT_SECONDS: z.coerce.number().positive().max(300).default(30),
  EMAIL_FROM: z.string().optional(),
  EMAIL_TO: stringList().default([]),
  /** Put before every subject. */
  EMAIL_SUBJECT: z.string().optional(),
  ...notifierConfigShape,
};

/** VEBA's JSON secrets holding these keys (individual variables win). */
export const secretVariables: string[] = ['EMAIL_SECRET', 'HA_SECRET', 'DATASTORE_SECRET'];

/** The SMTP credentials are secrets whatever their names say (the user name too). */
export const sensitiveKeys: string[] = ['SMTP_USERNAME', 'SMTP_PASSWORD'];

export type EmailAlertConfig = Config<typeof config>;
