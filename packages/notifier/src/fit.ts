/**
 * Helpers shared by the renderers whose limit is the size of the whole request body (Teams'
 * 28 KB, Google Chat's 32,000 bytes, PagerDuty's 512 KB): render with a budget scale, measure,
 * shrink until it fits.
 */
import type { Icon } from './model.js';

/** UTF-8 bytes of a value's JSON. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/**
 * Renders with budgets scaled by 1, then smaller factors, until the JSON fits `maxBytes`; the last
 * factor (0) must render a minimal message (a title only) that always fits.
 *
 * @example fitBytes(28_000, (scale) => renderCard(n, scale))
 */
export function fitBytes<M>(maxBytes: number, render: (scale: number) => M): M {
  for (const scale of [1, 0.5, 0.25, 0.1, 0.03]) {
    const message = render(scale);
    if (jsonBytes(message) <= maxBytes) return message;
  }
  return render(0);
}

/** A budget scaled down, never below `min`. */
export function scaled(budget: number, scale: number, min = 20): number {
  return Math.max(min, Math.floor(budget * scale));
}

const UNICODE: ReadonlyMap<Icon, string> = new Map<Icon, string>([
  ['green-circle', '🟢'],
  ['red-circle', '🔴'],
  ['yellow-circle', '🟡'],
  ['white-circle', '⚪'],
  ['pause', '⏸️'],
  ['reset', '🔄'],
  ['migrate', '🔀'],
  ['gear', '⚙️'],
  ['wastebasket', '🗑️'],
  ['new', '🆕'],
  ['rocket', '🚀'],
  ['clone', '👥'],
  ['pencil', '✏️'],
  ['computer', '💻'],
  ['hourglass', '⏳'],
  ['construction', '🚧'],
  ['check', '✅'],
  ['cross', '❌'],
  ['clipboard', '📋'],
  ['label', '🏷️'],
  ['siren', '🚨'],
  ['info', 'ℹ️'],
  ['warning', '⚠️'],
  ['user', '👤'],
  ['shield', '🛡️'],
  ['floppy', '💾'],
]);

/** An icon as a Unicode emoji (Teams and Google Chat have no `:code:` emoji in cards). */
export function unicodeEmoji(icon: Icon): string {
  return UNICODE.get(icon) ?? 'ℹ️';
}
