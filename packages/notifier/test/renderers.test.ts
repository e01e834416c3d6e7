/**
 * Every target's renderer over the corpus, the Object.prototype names and a fuzz: never a throw,
 * never over the target's documented size, Teams cards valid against the Adaptive Card schema.
 */
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { CloudEvent } from 'cloudevents';
import fc from 'fast-check';
import { parseVSphereEvent, type VSphereEvent } from '@veba-functions/vsphere-events';
import { describe, expect, it } from 'vitest';
import { buildNotification, notificationOf, type Notification } from '../src/model.js';
import { SLACK_LIMITS } from '../src/slack/slack-limits.js';
import {
  renderSlackDigest,
  renderSlackMessage,
  type SlackMessage,
} from '../src/slack/slack-message.js';
import {
  TEAMS_MAX_BYTES,
  renderTeamsDigest,
  renderTeamsMessage,
  type TeamsMessage,
} from '../src/teams/teams-card.js';
import {
  GOOGLE_CHAT_MAX_BYTES,
  renderGoogleChatDigest,
  renderGoogleChatMessage,
  threadKeyOf,
  type GoogleChatMessage,
} from '../src/google-chat/google-chat-message.js';
import { jsonBytes } from '../src/fit.js';
import { EXPECTED, corpusEvent } from './corpus.js';

const schema = JSON.parse(
  readFileSync(new URL('./adaptive-card.schema.json', import.meta.url), 'utf8'),
) as object;
const validateCard = new Ajv({ allErrors: true, strict: false }).compile(schema);

/** Teams: one adaptive-card attachment, a valid card, within 28 KB. */
function expectValidTeams(message: TeamsMessage): void {
  expect(message.type).toBe('message');
  expect(message.attachments).toHaveLength(1);
  expect(message.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
  const card = message.attachments[0]!.content;
  const valid = validateCard(card);
  expect(validateCard.errors ?? [], JSON.stringify(card).slice(0, 500)).toEqual([]);
  expect(valid).toBe(true);
  expect(Number(card.version)).toBeLessThanOrEqual(1.5);
  expect(jsonBytes(message)).toBeLessThanOrEqual(TEAMS_MAX_BYTES);
}

/** Google Chat: text, one card with a header and at most 100 widgets, within 32,000 bytes. */
function expectValidGoogleChat(message: GoogleChatMessage): void {
  expect(message.text.length).toBeGreaterThan(0);
  expect(message.cardsV2).toHaveLength(1);
  const card = message.cardsV2[0]!.card;
  expect(card.header.title.length).toBeGreaterThan(0);
  const widgets = card.sections.flatMap((s) => s.widgets);
  expect(widgets.length).toBeGreaterThan(0);
  expect(widgets.length).toBeLessThanOrEqual(100);
  for (const widget of widgets) {
    const text = 'textParagraph' in widget ? widget.textParagraph.text : widget.decoratedText.text;
    expect(text.length).toBeGreaterThan(0);
  }
  expect(jsonBytes(message)).toBeLessThanOrEqual(GOOGLE_CHAT_MAX_BYTES);
}

/** Slack's per-block limits (the full check lives in slack-message.test.ts). */
function expectValidSlack(message: SlackMessage): void {
  expect(message.text.length).toBeGreaterThan(0);
  expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.messageText);
  const blocks = [...message.blocks, ...(message.attachments ?? []).flatMap((a) => a.blocks)];
  let total = 0;
  for (const block of blocks) {
    if (block.type === 'header') {
      expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
      total += block.text.text.length;
    } else if (block.type === 'section') {
      if (block.text) expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
      total += block.text?.text.length ?? 0;
      expect(block.fields?.length ?? 0).toBeLessThanOrEqual(SLACK_LIMITS.sectionFields);
      for (const field of block.fields ?? []) total += field.text.length;
    } else if (block.type === 'context') {
      for (const element of block.elements) total += element.text.length;
    }
  }
  expect(total).toBeLessThanOrEqual(SLACK_LIMITS.totalBlockText);
}

/** Every renderer of every target, alone and as a digest. */
function renderAll(notifications: Notification[], pretext?: string): void {
  for (const n of notifications) {
    expectValidSlack(renderSlackMessage(n, { pretext }));
    expectValidTeams(renderTeamsMessage(n, { pretext }));
    expectValidGoogleChat(renderGoogleChatMessage(n, { pretext }));
    for (const text of [
      JSON.stringify(renderSlackMessage(n)),
      JSON.stringify(renderTeamsMessage(n)),
      JSON.stringify(renderGoogleChatMessage(n)),
    ]) {
      expect(text).not.toContain('undefined');
      expect(text).not.toContain('[object Object]');
      expect(text).not.toMatch(/function \w*\(/);
    }
  }
  expectValidSlack(renderSlackDigest(notifications, { pretext }));
  expectValidTeams(renderTeamsDigest(notifications, { pretext }));
  expectValidGoogleChat(renderGoogleChatDigest(notifications, { pretext }));
}

function eventOf(eventClass: string, data: unknown): VSphereEvent {
  return parseVSphereEvent(
    new CloudEvent<unknown>(
      {
        specversion: '1.0',
        id: '1',
        source: 'https://vc.example/sdk',
        type: `com.vmware.vsphere.${eventClass}.v0`,
        data,
      },
      false,
    ),
  );
}

const posted = [...EXPECTED.entries()].filter(([, e]) => e.outcome === 'posted').map(([f]) => f);

describe('every target renders every corpus event its Triggers may select', () => {
  it.each(posted)('%s', (file) => {
    renderAll([buildNotification(corpusEvent(file))], 'prod vCenter');
  });

  it('a digest of the whole corpus, 300 times over', () => {
    const all = posted.map((file) => buildNotification(corpusEvent(file)));
    renderAll(Array.from({ length: 300 }, (_, i) => all[i % all.length]!));
  });
});

describe('Teams cards', () => {
  it('carry the title in a styled container, the facts in a FactSet, and version 1.4', () => {
    const message = renderTeamsMessage(
      buildNotification(corpusEvent('kn-ps-slack-vsphere-alarm__test-payload.json', { To: 'red' })),
      { pretext: 'vc-prod' },
    );
    const card = message.attachments[0]!.content;
    expect(card.version).toBe('1.4');
    expect(card.body[0]).toEqual({
      type: 'TextBlock',
      text: 'vc-prod',
      wrap: true,
      isSubtle: true,
    });
    expect(card.body[1]).toMatchObject({ type: 'Container', style: 'attention' });
    expect(card.body[1]!.type === 'Container' && card.body[1]!.items[0]).toMatchObject({
      type: 'TextBlock',
      text: '🔴 Alarm VEBA-DATASTORE-WARN: gray → red',
      weight: 'Bolder',
    });
    expect(card.body[2]).toMatchObject({
      type: 'FactSet',
      facts: expect.arrayContaining([
        { title: 'Entity', value: 'sm-vsanDatastore (datastore)' },
      ]) as unknown,
    });
  });

  it('break Markdown link syntax from event text, keeping the text', () => {
    const message = renderTeamsMessage(
      buildNotification(
        corpusEvent('kn-ps-slack__test-payload.json', {
          Vm: {
            Name: '[click me](https://evil.example)',
            Vm: { Type: 'VirtualMachine', Value: 'vm-1' },
          },
        }),
      ),
    );
    const json = JSON.stringify(message);
    expect(json).not.toContain('](https://evil');
    expect(json).toContain('[click me]\\u200b(https://evil.example)'.replace('\\u200b', '\u200b'));
  });

  it('shrink a huge event to fit 28 KB instead of failing it', () => {
    const huge = 'x'.repeat(60_000);
    const message = renderTeamsMessage(
      buildNotification(
        eventOf('com.vmware.some.Event', {
          Key: 1,
          FullFormattedMessage: huge,
          Arguments: Array.from({ length: 200 }, (_, i) => ({ Key: `k${i}`, Value: huge })),
        }),
      ),
    );
    expectValidTeams(message);
    // Shrunk, not emptied: every argument is still there, each cut shorter.
    expect(jsonBytes(message)).toBeGreaterThan(10_000);
    const facts = message.attachments[0]!.content.body.find((e) => e.type === 'FactSet');
    expect(facts?.type === 'FactSet' && facts.facts).toHaveLength(200);
  });

  it('the schema refuses what Teams would not render (an element outside the subset, a bad enum)', () => {
    const card = renderTeamsMessage(
      buildNotification(corpusEvent('kn-ps-slack__test-payload.json')),
    ).attachments[0]!.content;
    expect(validateCard({ ...card, body: [...card.body, { type: 'Table', rows: [] }] })).toBe(
      false,
    );
    expect(validateCard({ ...card, msteams: { width: 'Full' } })).toBe(false);
    expect(
      validateCard({ ...card, body: [{ type: 'TextBlock', text: 'x', weight: 'bold' }] }),
    ).toBe(false);
  });
});

describe('Google Chat messages', () => {
  it('thread the events of one alarm on one object, and only those', () => {
    const alarm = (to: string, entity = 'datastore-13') =>
      renderGoogleChatMessage(
        buildNotification(
          corpusEvent('kn-ps-slack-vsphere-alarm__test-payload.json', {
            To: to,
            Entity: { Name: 'ds', Entity: { Type: 'Datastore', Value: entity } },
          }),
        ),
      );
    const red = alarm('red');
    expect(red.thread?.threadKey).toMatch(/^veba-[0-9a-f]{32}$/);
    expect(alarm('yellow').thread).toEqual(red.thread);
    expect(alarm('green').thread).toEqual(red.thread);
    expect(alarm('red', 'datastore-99').thread).not.toEqual(red.thread);
    expect(red.thread!.threadKey).toBe(
      threadKeyOf('https://vcenter.local/sdk|alarm-906|datastore-13'),
    );
    expect(
      renderGoogleChatMessage(buildNotification(corpusEvent('kn-ps-slack__test-payload.json')))
        .thread,
    ).toBeUndefined();
  });

  it('escape HTML in card text and mentions in the fallback text', () => {
    const message = renderGoogleChatMessage(
      buildNotification(
        corpusEvent('kn-ps-slack__test-payload.json', {
          FullFormattedMessage: '<users/all> <a href="https://evil">x</a> & co',
        }),
      ),
    );
    const json = JSON.stringify(message);
    expect(json).not.toContain('<users/all>');
    expect(json).not.toContain('<a href');
    expect(json).toContain('&lt;users/all&gt;');
    expect(message.text).toContain('‹users/all›');
  });
});

const PROTOTYPE_NAMES = [
  'constructor',
  'toString',
  'valueOf',
  'hasOwnProperty',
  '__proto__',
  'isPrototypeOf',
  'propertyIsEnumerable',
  'toLocaleString',
];

describe('names of Object.prototype members never match a lookup table', () => {
  it.each(PROTOTYPE_NAMES)(
    '%s as the class, the alarm status, the severity and field names',
    (name) => {
      const data = JSON.parse(
        JSON.stringify({
          Key: 1,
          FullFormattedMessage: name,
          To: name,
          From: name,
          Severity: name,
          EventTypeId: name,
          Alarm: { Name: name },
          Arguments: [{ Key: name, Value: name }],
          Info: { State: name, Name: name },
          Vm: { Name: name, Vm: { Type: 'VirtualMachine', Value: 'vm-1' } },
        }),
      ) as Record<string, unknown>;
      const notifications = [
        name,
        'AlarmStatusChangedEvent',
        'TaskEvent',
        'VmPoweredOnEvent',
        `com.vmware.${name}`,
        'EnteredMaintenanceModeEvent',
      ].map((cls) => notificationOf(eventOf(cls, data)));
      for (const n of notifications) {
        expect(n.title).not.toContain('undefined');
        expect(typeof n.icon).toBe('string');
      }
      renderAll(notifications);
    },
  );
});

describe('fuzz: no event makes a builder throw or exceed a size limit', () => {
  const text = fc.oneof(
    fc.string({ maxLength: 50 }),
    fc.string({ unit: 'grapheme', maxLength: 3000 }),
    fc.constantFrom(
      ...PROTOTYPE_NAMES,
      '<!channel>',
      '<users/all>',
      '[x](https://e)',
      '&amp;',
      '😀',
    ),
  );
  const ref = (kind: string) =>
    fc.oneof(
      fc.constant(null),
      fc.record({ Name: text, [kind]: fc.record({ Type: text, Value: text }) }),
      fc.jsonValue({ maxDepth: 2 }),
    );
  const data = fc.record(
    {
      Key: fc.oneof(fc.integer({ min: 0, max: 2 ** 31 - 1 }), text),
      FullFormattedMessage: text,
      UserName: text,
      CreatedTime: fc.oneof(
        text,
        fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
      ),
      Vm: ref('Vm'),
      Host: ref('Host'),
      Datacenter: ref('Datacenter'),
      ComputeResource: ref('ComputeResource'),
      Ds: ref('Datastore'),
      Net: ref('Network'),
      Alarm: ref('Alarm'),
      Entity: ref('Entity'),
      To: text,
      From: text,
      Severity: text,
      EventTypeId: text,
      ObjectName: text,
      ObjectType: text,
      Info: fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.record({ State: text, Name: text, EntityName: text }),
      ),
      ConfigChanges: fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.record({ Modified: text })),
      Arguments: fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.array(fc.record({ Key: text, Value: text }), { maxLength: 40 }),
      ),
    },
    { requiredKeys: [] },
  );
  const eventClass = fc.oneof(
    fc.constantFrom(
      'VmPoweredOnEvent',
      'DrsVmPoweredOnEvent',
      'VmMigratedEvent',
      'VmReconfiguredEvent',
      'AlarmStatusChangedEvent',
      'EnteredMaintenanceModeEvent',
      'TaskEvent',
      'com.vmware.cis.tagging.attach',
      'com.vmware.sso.LoginFailure',
      'com.vmware.vc.HA.DasHostFailedEvent',
      'com.vmware.applmgmt.backup.job.failed.event',
      ...PROTOTYPE_NAMES,
    ),
    // A v0 type names the class between `com.vmware.vsphere.` and `.v0`: no white space.
    fc.stringMatching(/^[\w.$-]{1,80}$/),
  );

  it('over 300 random events, alone and as digests', () => {
    fc.assert(
      fc.property(eventClass, data, fc.option(text, { nil: undefined }), (cls, body, pretext) => {
        renderAll([notificationOf(eventOf(cls, body))], pretext);
      }),
      { numRuns: 300 },
    );
  });
});
