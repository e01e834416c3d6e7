/**
 * Renders the message model for a Microsoft Teams channel through a Power Automate Workflows
 * webhook ("When a Teams webhook request is received"): a message with one attachment of
 * `contentType: application/vnd.microsoft.card.adaptive` whose `content` is an Adaptive Card.
 *
 * - Workflows take Adaptive Cards only, not the retired connectors' MessageCard:
 *   https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using
 * - Message size limit 28 KB (a larger one is refused):
 *   https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook
 * - Card version 1.4 (Teams renders up to 1.5), elements from the 1.0 set only (TextBlock,
 *   Container, FactSet): https://adaptivecards.io/explorer/
 *
 * Every part is cut to a budget, and the whole body is measured and shrunk until it fits, so an
 * event is never failed for its length.
 */
import {
  digestLine,
  digestTitle,
  familyCounts,
  moreLine,
  scaledDigestLines,
  worstSeverity,
} from '../digest.js';
import { fitBytes, scaled, unicodeEmoji } from '../fit.js';
import { eventContext, type Notification, type Severity } from '../model.js';
import { truncateText } from '../text.js';

/** An Adaptive Card element the renderer uses. */
export type CardElement =
  | {
      type: 'TextBlock';
      text: string;
      wrap?: boolean;
      size?: 'Small' | 'Default' | 'Medium' | 'Large';
      weight?: 'Bolder' | 'Default' | 'Lighter';
      isSubtle?: boolean;
      fontType?: 'Default' | 'Monospace';
      style?: 'default' | 'heading';
      spacing?: 'None' | 'Small' | 'Default' | 'Medium';
    }
  | { type: 'FactSet'; facts: Array<{ title: string; value: string }> }
  | { type: 'Container'; style?: ContainerStyle; items: CardElement[] };

type ContainerStyle = 'default' | 'emphasis' | 'good' | 'attention' | 'warning' | 'accent';

/** The Adaptive Card. */
export interface AdaptiveCard {
  $schema: 'http://adaptivecards.io/schemas/adaptive-card.json';
  type: 'AdaptiveCard';
  version: '1.4';
  body: CardElement[];
  fallbackText: string;
}

/** The JSON body POSTed to the Workflows webhook. */
export interface TeamsMessage {
  type: 'message';
  attachments: Array<{
    contentType: 'application/vnd.microsoft.card.adaptive';
    contentUrl: null;
    content: AdaptiveCard;
  }>;
}

/** Options of the Teams renderer. */
export interface TeamsRenderOptions {
  /** Text shown above every card (`TEAMS_MESSAGE_PRETEXT`). */
  pretext?: string | undefined;
}

/** Teams' documented limit, with room for the HTTP framing Teams may count. */
export const TEAMS_MAX_BYTES = 27 * 1024;

const BUDGET = {
  pretext: 500,
  title: 200,
  summary: 3000,
  factTitle: 40,
  factValue: 400,
  detail: 3000,
  context: 300,
  digestLines: 20,
  digestLine: 200,
} as const;

const STYLES: ReadonlyMap<Severity, ContainerStyle> = new Map<Severity, ContainerStyle>([
  ['danger', 'attention'],
  ['warning', 'warning'],
  ['good', 'good'],
  ['info', 'emphasis'],
  ['neutral', 'default'],
]);

/**
 * Adaptive Card text is Markdown: a value like `[x](https://evil)` would render as a link. A
 * zero-width space between `]` and `(` keeps the text as it reads and breaks the link syntax.
 */
export function teamsText(raw: string, max: number): string {
  return truncateText(raw.replace(/\]\(/g, ']\u200b('), max);
}

/**
 * One event as a Teams message.
 *
 * @example renderTeamsMessage(buildNotification(event), { pretext: 'vc-prod' })
 */
export function renderTeamsMessage(
  n: Notification,
  options: TeamsRenderOptions = {},
): TeamsMessage {
  return fitBytes(TEAMS_MAX_BYTES, (scale) => wrap(cardFor(n, options, scale), fallbackOf(n)));
}

/** Many events as one digest card: counts per family, the first events, "and N more". */
export function renderTeamsDigest(
  notifications: readonly Notification[],
  options: TeamsRenderOptions = {},
): TeamsMessage {
  const title = digestTitle(notifications);
  return fitBytes(TEAMS_MAX_BYTES, (scale) => {
    const body: CardElement[] = pretextBlock(options, scale);
    body.push({
      type: 'Container',
      style: STYLES.get(worstSeverity(notifications)) ?? 'default',
      items: [
        {
          type: 'TextBlock',
          text: teamsText(`🔔 ${title}`, scaled(BUDGET.title, scale)),
          size: 'Medium',
          weight: 'Bolder',
          wrap: true,
          style: 'heading',
        },
      ],
    });
    body.push({
      type: 'FactSet',
      facts: familyCounts(notifications).map((c) => ({ title: c.name, value: String(c.count) })),
    });
    const lines = scaledDigestLines(
      notifications,
      scale,
      BUDGET.digestLines,
      (n) =>
        `- ${unicodeEmoji(n.icon)} ${teamsText(digestLine(n), scaled(BUDGET.digestLine, scale))}`,
      (count) => `- ${moreLine(count)}`,
    );
    body.push({ type: 'TextBlock', text: lines.join('\n'), wrap: true });
    body.push({
      type: 'TextBlock',
      text: 'Posted as one digest: these events arrived faster than Teams accepts messages',
      isSubtle: true,
      size: 'Small',
      wrap: true,
    });
    return wrap(card(body), truncateText(title, 200));
  });
}

function cardFor(n: Notification, options: TeamsRenderOptions, scale: number): AdaptiveCard {
  const body: CardElement[] = pretextBlock(options, scale);
  const head: CardElement[] = [
    {
      type: 'TextBlock',
      text: teamsText(`${unicodeEmoji(n.icon)} ${n.title}`, scaled(BUDGET.title, scale)),
      size: 'Medium',
      weight: 'Bolder',
      wrap: true,
      style: 'heading',
    },
  ];
  if (scale > 0) {
    head.push({
      type: 'TextBlock',
      text: teamsText(n.detail ? n.headline : n.summary, scaled(BUDGET.summary, scale)),
      wrap: true,
    });
  }
  body.push({ type: 'Container', style: STYLES.get(n.severity) ?? 'default', items: head });
  if (scale > 0 && n.facts.length > 0) {
    body.push({
      type: 'FactSet',
      facts: n.facts.map((f) => ({
        title: teamsText(f.label, BUDGET.factTitle),
        value: teamsText(f.value, scaled(BUDGET.factValue, scale)),
      })),
    });
  }
  if (scale > 0 && n.detail) {
    body.push({
      type: 'TextBlock',
      text: teamsText(`${n.detail.label}:\n${n.detail.text}`, scaled(BUDGET.detail, scale)),
      fontType: 'Monospace',
      wrap: true,
    });
  }
  const context = eventContext(n);
  body.push({
    type: 'TextBlock',
    text: teamsText(context, scaled(BUDGET.context, scale)),
    isSubtle: true,
    size: 'Small',
    wrap: true,
  });
  return card(body);
}

function pretextBlock(options: TeamsRenderOptions, scale: number): CardElement[] {
  const pretext = options.pretext?.trim();
  if (!pretext) return [];
  return [
    {
      type: 'TextBlock',
      text: teamsText(pretext, scaled(BUDGET.pretext, scale)),
      wrap: true,
      isSubtle: true,
    },
  ];
}

function fallbackOf(n: Notification): string {
  return truncateText(`${n.title}: ${n.headline}`, 300);
}

function card(body: CardElement[]): AdaptiveCard {
  return {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body,
    fallbackText: '',
  };
}

function wrap(content: AdaptiveCard, fallbackText: string): TeamsMessage {
  content.fallbackText = fallbackText;
  return {
    type: 'message',
    attachments: [
      { contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content },
    ],
  };
}
