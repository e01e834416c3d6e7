/**
 * Turns a vSphere event into a Slack Block Kit message. Pure: no I/O, no clock, no config reads.
 *
 * Layout (https://docs.slack.dev/reference/block-kit/blocks):
 *   [pretext section]  header  summary section  facts (section fields)  [detail section]  context
 * Alarms put everything after the header into one secondary attachment whose `color` follows the
 * alarm's new status (https://docs.slack.dev/messaging/formatting-message-text#color and
 * https://api.slack.com/reference/messaging/attachments: an attachment may carry `blocks` and a
 * `color` of `good`, `warning`, `danger` or a hex code). The header also carries a coloured emoji,
 * so the status survives where attachments are collapsed and in the notification `text`.
 */
import { SLACK_LIMITS, escapeAndTruncate, escapeMrkdwn, truncateText } from './slack-limits.js';

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

/** What the formatter needs to know about one event. */
export interface MessageInput {
  /** The vSphere event class (`VmPoweredOnEvent`) or, for EventEx/ExtendedEvent, the `EventTypeId`. */
  eventClass: string;
  /** The vSphere event (the CloudEvent's `data`). */
  data: Readonly<Record<string, unknown>>;
  /** The CloudEvent `source` (`https://<vcenter>/sdk`); only its host is shown. */
  source?: string;
  /** Operator-supplied text shown above the message (`SLACK_MESSAGE_PRETEXT`); mrkdwn allowed. */
  pretext?: string;
}

/** The families the formatter knows; anything else is `generic`. */
export type EventFamily =
  | 'vm'
  | 'alarm'
  | 'host-maintenance'
  | 'task'
  | 'tagging'
  | 'sso-login-failure'
  | 'eventex'
  | 'generic';

interface Formatted {
  title: string;
  emoji: string;
  facts: Array<[label: string, value: string | undefined]>;
  /** Extra mrkdwn detail (already escaped), e.g. a VM's config changes. */
  detail?: string;
  color?: string;
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
} as const;

const ALARM_STATUS: Record<string, { emoji: string; color: string }> = {
  red: { emoji: ':red_circle:', color: 'danger' },
  yellow: { emoji: ':large_yellow_circle:', color: 'warning' },
  green: { emoji: ':large_green_circle:', color: 'good' },
  gray: { emoji: ':white_circle:', color: '#9e9e9e' },
};

const VM_TITLES: Record<string, [emoji: string, title: string]> = {
  VmPoweredOnEvent: [':large_green_circle:', 'VM powered on'],
  DrsVmPoweredOnEvent: [':large_green_circle:', 'VM powered on by DRS'],
  VmPoweredOffEvent: [':red_circle:', 'VM powered off'],
  VmSuspendedEvent: [':double_vertical_bar:', 'VM suspended'],
  VmGuestShutdownEvent: [':red_circle:', 'VM guest shut down'],
  VmResettingEvent: [':arrows_counterclockwise:', 'VM reset'],
  VmMigratedEvent: [':twisted_rightwards_arrows:', 'VM migrated'],
  DrsVmMigratedEvent: [':twisted_rightwards_arrows:', 'VM migrated by DRS'],
  VmRelocatedEvent: [':twisted_rightwards_arrows:', 'VM relocated'],
  VmReconfiguredEvent: [':gear:', 'VM reconfigured'],
  VmRemovedEvent: [':wastebasket:', 'VM removed'],
  VmCreatedEvent: [':new:', 'VM created'],
  VmDeployedEvent: [':rocket:', 'VM deployed'],
  VmClonedEvent: [':busts_in_silhouette:', 'VM cloned'],
  VmRenamedEvent: [':pencil2:', 'VM renamed'],
};

const HOST_MAINTENANCE: Record<string, [emoji: string, title: string]> = {
  EnteringMaintenanceModeEvent: [':hourglass_flowing_sand:', 'Host entering maintenance mode'],
  EnteredMaintenanceModeEvent: [':construction:', 'Host entered maintenance mode'],
  ExitMaintenanceModeEvent: [':white_check_mark:', 'Host exited maintenance mode'],
  CanceledHostMaintenanceEvent: [':x:', 'Host maintenance canceled'],
};

const SEVERITY_EMOJI: Record<string, string> = {
  error: ':red_circle:',
  warning: ':warning:',
  info: ':information_source:',
  user: ':bust_in_silhouette:',
};

/**
 * Decides which family formats an event.
 *
 * @example eventFamily('DrsVmPoweredOnEvent', {}) // 'vm'
 */
export function eventFamily(
  eventClass: string,
  data: Readonly<Record<string, unknown>>,
): EventFamily {
  const typeId = str(data, 'EventTypeId') ?? eventClass;
  if (typeId === 'com.vmware.cis.tagging.attach' || typeId === 'com.vmware.cis.tagging.detach')
    return 'tagging';
  if (typeId === 'com.vmware.sso.LoginFailure') return 'sso-login-failure';
  if (eventClass === 'AlarmStatusChangedEvent') return 'alarm';
  if (eventClass in HOST_MAINTENANCE) return 'host-maintenance';
  if (eventClass === 'TaskEvent') return 'task';
  if (/^(Drs)?Vm[A-Z]/.test(eventClass)) return 'vm';
  if (str(data, 'EventTypeId') !== undefined || eventClass.includes('.')) return 'eventex';
  return 'generic';
}

/**
 * Builds the Block Kit message for one vSphere event, inside Slack's size limits.
 *
 * @example
 * const message = buildSlackMessage({ eventClass: 'VmPoweredOffEvent', data: event.data, source: event.source });
 * await webhook.post(message, { deadline });
 */
export function buildSlackMessage(input: MessageInput): SlackMessage {
  const { eventClass, data } = input;
  const family = eventFamily(eventClass, data);
  const formatted = FORMATTERS[family](eventClass, data);
  const fullMessage = str(data, 'FullFormattedMessage')?.trim() || formatted.title;
  // vCenter's message repeats a reconfiguration's change list; when the list has its own block
  // the summary keeps only the first line.
  const firstLine =
    fullMessage
      .split('\n')
      .find((line) => line.trim() !== '')
      ?.trim() ?? fullMessage;
  const summaryRaw = formatted.detail ? firstLine : fullMessage;
  const vcenter = sourceHost(input.source);

  const header: SlackBlock = {
    type: 'header',
    text: {
      type: 'plain_text',
      emoji: true,
      text: truncateText(`${formatted.emoji} ${formatted.title}`, SLACK_LIMITS.headerText),
    },
  };
  const body: SlackBlock[] = [
    { type: 'section', text: mrkdwn(escapeAndTruncate(summaryRaw, BUDGET.summary)) },
  ];
  const fields = formatted.facts
    .filter((fact): fact is [string, string] => fact[1] !== undefined && fact[1] !== '')
    .slice(0, SLACK_LIMITS.sectionFields)
    .map(([label, value]) => mrkdwn(`*${escapeAndTruncate(label, BUDGET.fieldLabel)}*\n${value}`));
  if (fields.length > 0) body.push({ type: 'section', fields });
  if (formatted.detail) body.push({ type: 'section', text: mrkdwn(formatted.detail) });
  const contextParts = [
    vcenter ? `vCenter ${vcenter}` : undefined,
    `event ${eventKey(data) ?? '?'}`,
    eventClass,
  ].filter((part): part is string => part !== undefined);
  body.push({
    type: 'context',
    elements: [mrkdwn(escapeAndTruncate(contextParts.join(' · '), BUDGET.context))],
  });

  const top: SlackBlock[] = [];
  const pretext = input.pretext?.trim()
    ? truncateText(input.pretext.trim(), BUDGET.pretext)
    : undefined;
  if (pretext) top.push({ type: 'section', text: mrkdwn(pretext) });
  top.push(header);

  const lead = pretext ? `${pretext}\n${formatted.emoji} ` : `${formatted.emoji} `;
  // The notification text: one line, short enough for a phone's lock screen.
  const text = lead + escapeAndTruncate(`${formatted.title}: ${firstLine}`, BUDGET.notification);

  if (formatted.color) {
    const attachment: SlackAttachment = { color: formatted.color, fallback: text, blocks: body };
    return { text, blocks: top, attachments: [attachment] };
  }
  return { text, blocks: [...top, ...body] };
}

type Formatter = (eventClass: string, data: Readonly<Record<string, unknown>>) => Formatted;

const FORMATTERS: Record<EventFamily, Formatter> = {
  vm: (eventClass, data) => {
    const [emoji, title] = VM_TITLES[eventClass] ?? [':computer:', `VM: ${words(eventClass)}`];
    const facts = commonFacts(data);
    if (eventClass.endsWith('MigratedEvent') || eventClass === 'VmRelocatedEvent') {
      facts.splice(
        1,
        0,
        ['From host', fact(refName(data, 'SourceHost'))],
        ['From datastore', fact(refName(data, 'SourceDatastore'))],
      );
    }
    return { emoji, title, facts, detail: configChanges(data) };
  },
  alarm: (_eventClass, data) => {
    const to = (str(data, 'To') ?? 'gray').toLowerCase();
    const from = (str(data, 'From') ?? '').toLowerCase();
    const status = ALARM_STATUS[to] ?? ALARM_STATUS.gray!;
    const alarmName = refName(data, 'Alarm') ?? 'alarm';
    return {
      emoji: status.emoji,
      title: `Alarm ${alarmName}: ${from ? `${from} → ` : ''}${to}`,
      color: status.color,
      facts: [
        ['Entity', fact(refName(data, 'Entity') ?? refName(data, 'Source'))],
        ['Status', fact(from ? `${from} → ${to}` : to)],
        ...commonFacts(data).filter(([label]) => label !== 'User'),
      ],
    };
  },
  'host-maintenance': (eventClass, data) => {
    const [emoji, title] = HOST_MAINTENANCE[eventClass]!;
    return { emoji, title, facts: commonFacts(data) };
  },
  task: (_eventClass, data) => {
    const info = obj(data, 'Info') ?? {};
    const state = str(info, 'State');
    const errorMessage = str(obj(info, 'Error') ?? {}, 'LocalizedMessage');
    const name = str(info, 'DescriptionId') ?? str(info, 'Name') ?? 'task';
    return {
      emoji: state === 'error' ? ':x:' : state === 'success' ? ':white_check_mark:' : ':clipboard:',
      title: `Task ${name}${state ? ` (${state})` : ''}`,
      facts: [
        ['Task', fact(str(info, 'Name'))],
        ['Object', fact(str(info, 'EntityName'))],
        ['State', fact(state)],
        ['Error', fact(errorMessage)],
        ...commonFacts(data).filter(([label]) => label !== 'User'),
        ['User', fact(str(obj(info, 'Reason') ?? {}, 'UserName') ?? str(data, 'UserName'))],
      ],
    };
  },
  tagging: (_eventClass, data) => {
    const detach = (str(data, 'EventTypeId') ?? _eventClass).endsWith('detach');
    return {
      emoji: ':label:',
      title: detach ? 'Tag detached' : 'Tag attached',
      facts: [
        ['Tag', fact(argument(data, 'Tag'))],
        ['Object', fact(argument(data, 'Object'))],
        ['User', fact(argument(data, 'User') ?? str(data, 'UserName'))],
        ['Time', slackDate(str(data, 'CreatedTime'))],
      ],
    };
  },
  'sso-login-failure': (_eventClass, data) => ({
    emoji: ':rotating_light:',
    title: 'SSO login failure',
    facts: [
      ['User', fact(argument(data, 'userName') ?? str(data, 'UserName'))],
      ['From', fact(argument(data, 'userIp'))],
      ['SSO host', fact(argument(data, '_sourcehost_'))],
      ['Reason', fact(argument(data, 'description'))],
      ['Time', slackDate(str(data, 'CreatedTime'))],
    ],
  }),
  eventex: (eventClass, data) => {
    const typeId = str(data, 'EventTypeId') ?? eventClass;
    const severity = (str(data, 'Severity') ?? 'info').toLowerCase();
    const args = Array.isArray(data.Arguments) ? data.Arguments : [];
    const argFacts = args
      .filter(isRecord)
      .map((a): [string, string | undefined] => [str(a, 'Key') ?? '?', fact(str(a, 'Value'))]);
    return {
      emoji: SEVERITY_EMOJI[severity] ?? ':information_source:',
      title: typeId,
      facts: [...commonFacts(data), ...argFacts],
    };
  },
  generic: (eventClass, data) => ({
    emoji: ':information_source:',
    title: words(eventClass),
    facts: commonFacts(data),
  }),
};

function commonFacts(data: Readonly<Record<string, unknown>>): Array<[string, string | undefined]> {
  return [
    ['VM', fact(refName(data, 'Vm'))],
    ['Host', fact(refName(data, 'Host'))],
    ['Cluster', fact(refName(data, 'ComputeResource'))],
    ['Datacenter', fact(refName(data, 'Datacenter'))],
    ['Datastore', fact(refName(data, 'Ds'))],
    ['Network', fact(refName(data, 'Net'))],
    ['User', fact(str(data, 'UserName'))],
    ['Time', slackDate(str(data, 'CreatedTime'))],
  ];
}

/** VmReconfiguredEvent's change list, as a code block (its whitespace matters). */
function configChanges(data: Readonly<Record<string, unknown>>): string | undefined {
  const changes = obj(data, 'ConfigChanges');
  if (!changes) return undefined;
  const parts: string[] = [];
  for (const kind of ['Modified', 'Added', 'Deleted']) {
    const list = str(changes, kind)?.trim();
    if (list) parts.push(`${kind}:\n${list}`);
  }
  if (parts.length === 0) return undefined;
  // Escape first, then fit inside the fence so the closing ``` is never cut off.
  const fenceBudget = BUDGET.detail - '*Changes*\n``````'.length;
  return `*Changes*\n\`\`\`${escapeAndTruncate(parts.join('\n').replace(/`/g, "'"), fenceBudget)}\`\`\``;
}

/** A fact's value: escaped and capped. */
function fact(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  return escapeAndTruncate(raw.trim(), BUDGET.fieldValue);
}

/** Slack renders `<!date^…>` in the reader's time zone; the fallback is the raw timestamp. */
function slackDate(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return fact(iso);
  const seconds = Math.floor(ms / 1000);
  return `<!date^${seconds}^{date_short_pretty} {time_secs}|${escapeMrkdwn(iso.slice(0, 64))}>`;
}

function eventKey(data: Readonly<Record<string, unknown>>): string | undefined {
  const key = data.Key;
  return typeof key === 'number' || typeof key === 'string' ? String(key) : undefined;
}

function sourceHost(source: string | undefined): string | undefined {
  if (!source) return undefined;
  try {
    return new URL(source).hostname || undefined;
  } catch {
    return undefined;
  }
}

function argument(data: Readonly<Record<string, unknown>>, key: string): string | undefined {
  if (!Array.isArray(data.Arguments)) return undefined;
  const hit = data.Arguments.find(
    (a): a is Record<string, unknown> => isRecord(a) && a.Key === key,
  );
  return hit ? str(hit, 'Value') : undefined;
}

function refName(data: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const ref = obj(data, key);
  return ref ? str(ref, 'Name') : undefined;
}

function obj(
  data: Readonly<Record<string, unknown>>,
  key: string,
): Record<string, unknown> | undefined {
  const value = data[key];
  return isRecord(value) ? value : undefined;
}

function str(data: Readonly<Record<string, unknown>>, key: string): string | undefined {
  const value = data[key];
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function mrkdwn(text: string): TextObject {
  return { type: 'mrkdwn', text };
}

/** `DrsVmPoweredOnEvent` -> `Drs Vm Powered On Event`, for classes we have no title for. */
function words(eventClass: string): string {
  return eventClass.replace(/([a-z0-9])([A-Z])/g, '$1 $2');
}
