/**
 * Where an email function sends, from its keys. VEBA's email secrets (kn-ps-email's
 * `EMAIL_SECRET`, kn-pcli-datastore-usage-email's and kn-pcli-ha-restarted-vms' JSON) work
 * unchanged: `SMTP_PORT` as a string, `EMAIL_TO` as a comma-separated string or a JSON array,
 * empty `SMTP_USERNAME` / `SMTP_PASSWORD` for a relay without authentication.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '@veba-functions/runtime';
import type { SmtpSecurity, SmtpSettings } from './smtp-client.js';

/** The keys read (values as the config loader produced them). */
export interface SmtpKeys {
  SMTP_SERVER?: string | undefined;
  SMTP_PORT?: number | undefined;
  SMTP_SECURITY?: SmtpSecurity | undefined;
  SMTP_ALLOW_INSECURE?: boolean | undefined;
  SMTP_USERNAME?: string | undefined;
  SMTP_PASSWORD?: string | undefined;
  SMTP_CA_FILE?: string | undefined;
  EMAIL_FROM?: string | undefined;
  EMAIL_TO?: readonly string[] | undefined;
}

/** The resolved settings, the sender's domain (for Message-IDs) and warnings for the start log. */
export interface ResolvedSmtpSettings {
  settings: SmtpSettings;
  domain: string;
  warnings: string[];
}

const DEFAULT_PORTS: ReadonlyMap<SmtpSecurity, number> = new Map<SmtpSecurity, number>([
  ['starttls', 587],
  ['tls', 465],
  ['none', 25],
]);

const ADDRESS = /^[^\s@<>,;"]+@[^\s@<>,;"]+$/;

/**
 * `SMTP_SECURITY` defaults to `tls` on port 465 (implicit TLS, what VEBA's PowerShell examples'
 * MailKit does there) and to `starttls` otherwise; `none` needs `SMTP_ALLOW_INSECURE=true`.
 * `SMTP_PORT` defaults to 587, 465 or 25 by security.
 *
 * @throws ConfigError naming each key that is wrong, never a value.
 * @example resolveSmtpSettings({ SMTP_SERVER: 'smtp.corp', EMAIL_FROM: 'veba@corp', EMAIL_TO: ['ops@corp'] })
 */
export function resolveSmtpSettings(keys: SmtpKeys): ResolvedSmtpSettings {
  const issues: string[] = [];
  const warnings: string[] = [];
  const host = keys.SMTP_SERVER?.trim();
  if (!host) issues.push('SMTP_SERVER: missing (a host name or address of the SMTP server)');
  else if (!/^[A-Za-z0-9.:[\]_-]+$/.test(host))
    issues.push('SMTP_SERVER: invalid: expected a host name or an IP address, no scheme or path');
  const security: SmtpSecurity =
    keys.SMTP_SECURITY ?? (keys.SMTP_PORT === 465 ? 'tls' : 'starttls');
  if (security === 'none' && keys.SMTP_ALLOW_INSECURE !== true) {
    issues.push(
      'SMTP_SECURITY: none sends mail (and any credentials) in plain text: set SMTP_ALLOW_INSECURE=true to accept that',
    );
  }
  const port = keys.SMTP_PORT ?? DEFAULT_PORTS.get(security)!;
  const username = keys.SMTP_USERNAME?.trim() || undefined;
  const password = keys.SMTP_PASSWORD || undefined;
  if (username !== undefined && password === undefined)
    issues.push('SMTP_PASSWORD: missing (SMTP_USERNAME is set)');
  if (username === undefined && password !== undefined)
    issues.push('SMTP_USERNAME: missing (SMTP_PASSWORD is set)');
  if (security === 'none' && username !== undefined) {
    warnings.push(
      'SMTP_SECURITY=none with credentials: the password crosses the network in plain text',
    );
  }
  const from = keys.EMAIL_FROM?.trim();
  const fromAddress = from ? addressOf(from) : undefined;
  if (!from) issues.push('EMAIL_FROM: missing (the sender address)');
  else if (fromAddress === undefined)
    issues.push('EMAIL_FROM: invalid: expected an address (name@domain, or "Name <name@domain>")');
  const to = (keys.EMAIL_TO ?? []).map((address) => address.trim()).filter((a) => a !== '');
  if (to.length === 0)
    issues.push('EMAIL_TO: missing (one or more addresses, comma-separated or a JSON array)');
  const invalid = to.filter((address) => addressOf(address) === undefined).length;
  if (invalid > 0) issues.push(`EMAIL_TO: ${invalid} invalid address(es): expected name@domain`);
  let ca: string | undefined;
  if (keys.SMTP_CA_FILE) {
    try {
      ca = readFileSync(keys.SMTP_CA_FILE, 'utf8');
    } catch {
      issues.push('SMTP_CA_FILE: cannot be read (expected a PEM bundle)');
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  const settings: SmtpSettings = {
    host: host!,
    port,
    security,
    from: from!,
    to,
    ...(username !== undefined ? { username, password } : {}),
    ...(ca !== undefined ? { ca } : {}),
  };
  return { settings, domain: fromAddress!.split('@')[1]!, warnings };
}

/** The address of `name@domain` or `Name <name@domain>`, or undefined. */
function addressOf(value: string): string | undefined {
  const angle = /<([^<>]+)>\s*$/.exec(value);
  const address = (angle ? angle[1]! : value).trim();
  return ADDRESS.test(address) ? address : undefined;
}
