/**
 * Parses an HTTP `Retry-After` value into milliseconds from `now`: delta-seconds (RFC 9110 section
 * 10.2.3: `Retry-After: 120`), fractional seconds (sent by Slack and some proxies: `1.5`) or an
 * HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`, in the past = 0). `undefined` when absent or
 * unreadable, so the caller applies its own default.
 *
 * @example
 * parseRetryAfter('30');   // 30000
 * parseRetryAfter('0.25'); // 250
 * parseRetryAfter(null);   // undefined
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  // An HTTP-date names a weekday and GMT; a bare number or garbage must not pass Date.parse.
  if (!/[A-Za-z]/.test(trimmed)) return undefined;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
