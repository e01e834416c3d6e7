/**
 * The message model as an email: a subject, a plain-text part and an HTML part (every piece of
 * event text HTML-escaped), a `Message-ID` derived from the event's identity so that a broker
 * retry carries the same id (receiving systems that drop duplicates by Message-ID drop it), and a
 * `References` header per alarm conversation so that mail clients thread red -> yellow -> green.
 * Pure: no I/O, no clock.
 */
import { createHash } from 'node:crypto';
import { unicodeEmoji } from '../fit.js';
import type { Notification, Severity } from '../model.js';
import { truncateText } from '../text.js';

/** One email, ready for the SMTP client. */
export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
  /** `<veba.<hash>@<domain>>`: the same for every delivery of one event. */
  messageId: string;
  /** `<veba.alarm.<hash>@<domain>>` for alarms: one thread per alarm, object and vCenter. */
  references?: string;
}

/** Options of {@link renderEmailMessage}. */
export interface EmailRenderOptions {
  /** Put before every subject (`EMAIL_SUBJECT`, e.g. VEBA's `⚠️ [VM Delete Notification] ⚠️`). */
  subjectPrefix?: string | undefined;
  /** The right side of the Message-ID: the sender's domain. Default `veba-functions.invalid`. */
  domain?: string | undefined;
}

/** Sizes: mail has no hard limit, but a page-long alert helps nobody and some relays cap size. */
export const EMAIL_LIMITS = {
  subject: 200,
  summary: 10_000,
  factValue: 2_000,
  detail: 50_000,
} as const;

const COLOURS: ReadonlyMap<Severity, string> = new Map<Severity, string>([
  ['danger', '#d13438'],
  ['warning', '#f2a900'],
  ['good', '#2eb67d'],
  ['info', '#2f6fdb'],
  ['neutral', '#8a8886'],
]);

const HTML_ESCAPES: ReadonlyMap<string, string> = new Map([
  ['&', '&amp;'],
  ['<', '&lt;'],
  ['>', '&gt;'],
  ['"', '&quot;'],
  ["'", '&#39;'],
]);

/**
 * Escapes the five characters that make markup or end an attribute in HTML.
 *
 * @example escapeHtml('<b onclick="x">') // '&lt;b onclick=&quot;x&quot;&gt;'
 */
export function escapeHtml(raw: string): string {
  return raw.replace(/[&<>"']/g, (c) => HTML_ESCAPES.get(c) ?? c);
}

/**
 * The Message-ID of an event's mail: a hash of its identity (`source`, `id`), so every delivery
 * of one event carries the same id and no delivery of another event does.
 *
 * @example emailMessageId({ source: 'https://vc/sdk', id: '42' }, 'corp.com') // '<veba.3f0c…@corp.com>'
 */
export function emailMessageId(identity: { source: string; id: string }, domain?: string): string {
  return `<veba.${hash(`${identity.source}\n${identity.id}`)}@${safeDomain(domain)}>`;
}

/**
 * Renders one event as an email.
 *
 * @example renderEmailMessage(buildNotification(event), { subjectPrefix: '[vCenter]', domain: 'corp.com' })
 */
export function renderEmailMessage(
  n: Notification,
  options: EmailRenderOptions = {},
): EmailMessage {
  const title =
    n.object && !n.title.includes(n.object.name) ? `${n.title}: ${n.object.name}` : n.title;
  const prefix = options.subjectPrefix?.trim();
  const subject = truncateText(
    oneLine(prefix ? `${prefix} ${title}` : title),
    EMAIL_LIMITS.subject,
  );
  const identity = n.identity ?? {
    source: n.vcenter ?? '',
    id: `${n.eventClass}|${n.key ?? ''}|${n.summary}`,
  };
  const message: EmailMessage = {
    subject,
    text: renderText(n, title),
    html: renderHtml(n, title),
    messageId: emailMessageId(identity, options.domain),
  };
  if (n.conversation !== undefined) {
    message.references = `<veba.alarm.${hash(n.conversation)}@${safeDomain(options.domain)}>`;
  }
  return message;
}

function renderText(n: Notification, title: string): string {
  const lines: string[] = [title, ''];
  const summary = truncateText(n.summary, EMAIL_LIMITS.summary);
  if (summary !== title) lines.push(summary, '');
  const width = Math.max(0, ...n.facts.map((f) => f.label.length)) + 1;
  for (const fact of n.facts) {
    lines.push(
      `${`${fact.label}:`.padEnd(width + 1)}${truncateText(fact.value, EMAIL_LIMITS.factValue)}`,
    );
  }
  if (n.detail)
    lines.push('', `${n.detail.label}:`, truncateText(n.detail.text, EMAIL_LIMITS.detail));
  lines.push('', '-- ', footer(n));
  return lines.join('\n');
}

function renderHtml(n: Notification, title: string): string {
  const colour = COLOURS.get(n.severity) ?? '#8a8886';
  const summary = truncateText(n.summary, EMAIL_LIMITS.summary);
  const rows = n.facts
    .map(
      (fact) =>
        `<tr><th align="left" style="padding:2px 12px 2px 0;color:#555;font-weight:600;vertical-align:top">${escapeHtml(fact.label)}</th>` +
        `<td style="padding:2px 0">${escapeHtml(truncateText(fact.value, EMAIL_LIMITS.factValue))}</td></tr>`,
    )
    .join('');
  const detail = n.detail
    ? `<h3 style="margin:12px 0 4px;font-size:14px">${escapeHtml(n.detail.label)}</h3>` +
      `<pre style="margin:0;padding:8px;background:#f4f4f4;white-space:pre-wrap">${escapeHtml(truncateText(n.detail.text, EMAIL_LIMITS.detail))}</pre>`
    : '';
  return [
    '<!DOCTYPE html>',
    '<html><head><meta charset="utf-8">',
    `<title>${escapeHtml(title)}</title></head>`,
    '<body style="font-family:Segoe UI,Helvetica,Arial,sans-serif;font-size:14px;color:#222">',
    `<div style="border-left:6px solid ${colour};padding:8px 12px">`,
    `<h2 style="margin:0 0 8px;font-size:18px">${unicodeEmoji(n.icon)} ${escapeHtml(title)}</h2>`,
    summary !== title
      ? `<p style="margin:0 0 8px;white-space:pre-wrap">${escapeHtml(summary)}</p>`
      : '',
    rows ? `<table style="border-collapse:collapse">${rows}</table>` : '',
    detail,
    '</div>',
    `<p style="color:#777;font-size:12px">${escapeHtml(footer(n))}</p>`,
    '</body></html>',
  ].join('\n');
}

function footer(n: Notification): string {
  const parts = [
    n.vcenter ? `vCenter ${n.vcenter}` : undefined,
    n.eventClass,
    n.key !== undefined ? `event ${n.key}` : undefined,
  ].filter((part): part is string => part !== undefined);
  return `${parts.join(' · ')} · sent by veba-functions email-alert`;
}

/** A header value on one line: CR, LF and other control characters become spaces. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
}

function hash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 32);
}

/** A domain usable on the right of a Message-ID (letters, digits, dots, hyphens), or a stand-in. */
function safeDomain(domain: string | undefined): string {
  const trimmed = domain?.trim().toLowerCase();
  return trimmed && /^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$/.test(trimmed)
    ? trimmed
    : 'veba-functions.invalid';
}
