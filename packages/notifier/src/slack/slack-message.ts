/**
 * Renders the message model as a Slack Block Kit message. Pure.
 *
 * Layout (https://docs.slack.dev/reference/block-kit/blocks):
 *   [pretext section]  header  summary section  facts (section fields)  [detail section]  context
 * Alarms put everything after the header into one secondary attachment whose `color` follows the
 * alarm's new status (https://docs.slack.dev/messaging/formatting-message-text#color and
 * https://api.slack.com/reference/messaging/attachments: an attachment may carry `blocks` and a
 * `color` of `good`, `warning`, `danger` or a hex code). The header also carries a coloured emoji,
 * so the status survives where attachments are collapsed and in the notification `text`.
 */
import { digestLine, digestTitle, familyCounts, moreLine } from '../digest.js';
import { eventContext, type Fact, type Icon, type Notification } from '../model.js';
import { truncateText } from '../text.js';
import { SLACK_LIMITS, escapeAndTruncate } from './slack-limits.js';

export interface TextObject {
  type: 'mrkdwn' | 'plain_text';
  text: string;
  emoji?: boolean;
}
export type SlackBlock =
  | { type: 'header'; text: TextObject }
  | { type: 'section'; text?: TextObject; fields?: TextObject[] }
  | { type: 'context'; elements: TextObject[] }
  | { type: 'divider' };
export interface SlackAttachment {
  color: string;
  fallback: string;
  blocks: SlackBlock[];
}
/** The JSON body POSTed to the incoming webhook. */
export interface SlackMessage {
  text: string;
  blocks: SlackBlock[];
  attachments?: SlackAttachment[];
}

/** Options of the Slack renderer. */
export interface SlackRenderOptions {
  /** Operator-supplied mrkdwn shown above every message (`SLACK_MESSAGE_PRETEXT`); not escaped. */
  pretext?: string | undefined;
}

/**
 * Our per-part budgets. Each is within Slack's per-block limit, and together they stay under
 * SLACK_LIMITS.totalBlockText: pretext 1000 + header 150 + summary 3000 + fields 10 x (40 + 300)
 * + detail 2000 + context 300 = 9850.
 */
export const BUDGET = {
  pretext: 1000,
  summary: SLACK_LIMITS.sectionText,
  fieldLabel: 36,
  fieldValue: 300,
  detail: 2000,
  context: 300,
  /** The top-level `text` after the pretext (Slack allows 40000; it is a one-line notification). */
  notification: 500,
  /** A digest's list of events (one section). */
  digestList: 2500,
  /** How many events a digest lists by name before "and N more". */
  digestLines: 15,
} as const;

const EMOJI: ReadonlyMap<Icon, string> = new Map<Icon, string>([
  ['green-circle', ':large_green_circle:'],
  ['red-circle', ':red_circle:'],
  ['yellow-circle', ':large_yellow_circle:'],
  ['white-circle', ':white_circle:'],
  ['pause', ':double_vertical_bar:'],
  ['reset', ':arrows_counterclockwise:'],
  ['migrate', ':twisted_rightwards_arrows:'],
  ['gear', ':gear:'],
  ['wastebasket', ':wastebasket:'],
  ['new', ':new:'],
  ['rocket', ':rocket:'],
  ['clone', ':busts_in_silhouette:'],
  ['pencil', ':pencil2:'],
  ['computer', ':computer:'],
  ['hourglass', ':hourglass_flowing_sand:'],
  ['construction', ':construction:'],
  ['check', ':white_check_mark:'],
  ['cross', ':x:'],
  ['clipboard', ':clipboard:'],
  ['label', ':label:'],
  ['siren', ':rotating_light:'],
  ['info', ':information_source:'],
  ['warning', ':warning:'],
  ['user', ':bust_in_silhouette:'],
  ['shield', ':shield:'],
  ['floppy', ':floppy_disk:'],
]);

const ALARM_COLORS: ReadonlyMap<string, string> = new Map([
  ['red', 'danger'],
  ['yellow', 'warning'],
  ['green', 'good'],
  ['gray', '#9e9e9e'],
]);

/** The Slack emoji code of an icon. */
export function slackEmoji(icon: Icon): string {
  return EMOJI.get(icon) ?? ':information_source:';
}

/**
 * Renders one event as a Block Kit message, inside Slack's size limits.
 *
 * @example
 * const message = renderSlackMessage(buildNotification(event), { pretext: ':rotating_light: prod' });
 */
export function renderSlackMessage(
  n: Notification,
  options: SlackRenderOptions = {},
): SlackMessage {
  const emoji = slackEmoji(n.icon);
  // vCenter's message repeats a reconfiguration's change list; when the list has its own block
  // the summary keeps only the first line.
  const summaryRaw = n.detail ? n.headline : n.summary;
  const body: SlackBlock[] = [
    { type: 'section', text: mrkdwn(escapeAndTruncate(summaryRaw, BUDGET.summary)) },
  ];
  const fields = n.facts
    .slice(0, SLACK_LIMITS.sectionFields)
    .map((f) => mrkdwn(`*${escapeAndTruncate(f.label, BUDGET.fieldLabel)}*\n${factValue(f)}`));
  if (fields.length > 0) body.push({ type: 'section', fields });
  if (n.detail) body.push({ type: 'section', text: mrkdwn(detailText(n.detail)) });
  body.push({ type: 'context', elements: [mrkdwn(contextLine(n))] });

  const { top, lead } = pretextAndHeader(`${emoji} ${n.title}`, emoji, options);
  // The notification text: one line, short enough for a phone's lock screen.
  const text = lead + escapeAndTruncate(`${n.title}: ${n.headline}`, BUDGET.notification);

  const color = n.alarm ? ALARM_COLORS.get(n.alarm.status) : undefined;
  if (color) return { text, blocks: top, attachments: [{ color, fallback: text, blocks: body }] };
  return { text, blocks: [...top, ...body] };
}

/**
 * Renders a storm digest: one message for many events (counts per family, the first events by
 * name, "and N more"), inside Slack's size limits whatever the number of events.
 */
export function renderSlackDigest(
  notifications: readonly Notification[],
  options: SlackRenderOptions = {},
): SlackMessage {
  const emoji = ':bell:';
  const title = digestTitle(notifications);
  const counts = familyCounts(notifications)
    .map((c) => `${c.count} ${c.name}`)
    .join(' · ');
  const lines: string[] = [];
  let used = 0;
  let listed = 0;
  for (const n of notifications) {
    if (listed >= BUDGET.digestLines) break;
    const line = `${slackEmoji(n.icon)} ${escapeAndTruncate(digestLine(n), 200)}`;
    if (used + line.length + 1 > BUDGET.digestList) break;
    lines.push(line);
    used += line.length + 1;
    listed += 1;
  }
  if (listed < notifications.length) lines.push(`_${moreLine(notifications.length - listed)}_`);
  const { top, lead } = pretextAndHeader(`${emoji} ${title}`, emoji, options);
  const blocks: SlackBlock[] = [
    ...top,
    { type: 'section', text: mrkdwn(escapeAndTruncate(counts, BUDGET.summary)) },
    { type: 'section', text: mrkdwn(lines.join('\n')) },
    {
      type: 'context',
      elements: [
        mrkdwn(
          escapeAndTruncate(
            'Posted as one digest: these events arrived faster than Slack accepts messages',
            BUDGET.context,
          ),
        ),
      ],
    },
  ];
  const text = lead + escapeAndTruncate(`${title}: ${counts}`, BUDGET.notification);
  return { text, blocks };
}

function pretextAndHeader(
  headerText: string,
  emoji: string,
  options: SlackRenderOptions,
): { top: SlackBlock[]; lead: string } {
  const top: SlackBlock[] = [];
  const pretext = options.pretext?.trim()
    ? truncateText(options.pretext.trim(), BUDGET.pretext)
    : undefined;
  if (pretext) top.push({ type: 'section', text: mrkdwn(pretext) });
  top.push({
    type: 'header',
    text: {
      type: 'plain_text',
      emoji: true,
      text: truncateText(headerText, SLACK_LIMITS.headerText),
    },
  });
  return { top, lead: pretext ? `${pretext}\n${emoji} ` : `${emoji} ` };
}

function contextLine(n: Notification): string {
  return escapeAndTruncate(eventContext(n), BUDGET.context);
}

/** A change list as a code block (its whitespace matters); the closing fence is never cut off. */
function detailText(detail: { label: string; text: string }): string {
  const label = escapeAndTruncate(detail.label, BUDGET.fieldLabel);
  const fenceBudget = BUDGET.detail - `*${label}*\n\`\`\`\`\`\``.length;
  return `*${label}*\n\`\`\`${escapeAndTruncate(detail.text.replace(/`/g, "'"), fenceBudget)}\`\`\``;
}

/** Slack renders `<!date^…>` in the reader's time zone; the fallback is the raw timestamp. */
function factValue(f: Fact): string {
  if (f.time === undefined) return escapeAndTruncate(f.value, BUDGET.fieldValue);
  const seconds = Math.floor(f.time.getTime() / 1000);
  return `<!date^${seconds}^{date_short_pretty} {time_secs}|${escapeAndTruncate(f.value, 64)}>`;
}

function mrkdwn(text: string): TextObject {
  return { type: 'mrkdwn', text };
}
