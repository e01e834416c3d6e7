/**
 * The forms a secret can leak in: those of test-helpers' `secretForms` (as it is, URL-encoded,
 * base64, base64url), and, for a password inside a Basic token, the token and the stretch of it
 * that encodes the password alone.
 */
import { secretForms as plainForms } from '@veba-functions/test-helpers/vitest';

/** Base64 of `secret` as it sits after `prefix` in a longer base64 text (e.g. `user:` in a Basic token). */
export function base64Inside(prefix: string, secret: string): string {
  const shift = Buffer.byteLength(prefix) % 3;
  const bytes = Buffer.concat([Buffer.alloc(shift), Buffer.from(secret)]);
  const start = Math.ceil((shift * 8) / 6);
  const end = Math.floor(((shift + Buffer.byteLength(secret)) * 8) / 6);
  return bytes.toString('base64').slice(start, end);
}

/** Every form of `secret` the suite greps for (forms shorter than 8 characters are left out). */
export function secretForms(secret: string, options: { basicUser?: string } = {}): string[] {
  const forms = new Set(plainForms(secret));
  if (options.basicUser !== undefined) {
    const token = Buffer.from(`${options.basicUser}:${secret}`).toString('base64');
    forms.add(token);
    forms.add(base64Inside(`${options.basicUser}:`, secret));
  }
  return [...forms].filter((form) => form.length >= 8);
}

/** The forms of any of `secrets` found in `text` (empty: none leaked). */
export function leaks(text: string, secrets: readonly string[]): string[] {
  return secrets.filter((form) => text.includes(form));
}
