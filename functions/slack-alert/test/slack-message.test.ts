import { describe, expect, it } from 'vitest';
import {
  BUDGET,
  buildSlackMessage,
  eventFamily,
  type SlackBlock,
  type SlackMessage,
} from '../src/slack-message.js';
import {
  SLACK_LIMITS,
  escapeAndTruncate,
  escapeMrkdwn,
  truncateText,
} from '../src/slack-limits.js';
import { FIXTURES, fixtureEvent } from './fixtures.js';

/** The event class as the broker names it: `com.vmware.vsphere.<X>.v0`, or the router's subject. */
function classOf(event: Record<string, unknown>): string {
  const type = String(event.type);
  const v0 = /^com\.vmware\.vsphere\.(.+)\.v0$/.exec(type);
  return v0 ? v0[1]! : String(event.subject);
}

function allBlocks(message: SlackMessage): SlackBlock[] {
  return [...message.blocks, ...(message.attachments ?? []).flatMap((a) => a.blocks)];
}

function textOf(message: SlackMessage): string {
  return allBlocks(message)
    .flatMap((b) =>
      b.type === 'header'
        ? [b.text]
        : b.type === 'section'
          ? [b.text, ...(b.fields ?? [])]
          : b.type === 'context'
            ? b.elements
            : [],
    )
    .map((t) => t?.text ?? '')
    .join('\n');
}

/** Every limit Slack documents for what we send (see src/slack-limits.ts for the sources). */
function expectWithinSlackLimits(message: SlackMessage): void {
  expect(message.text.length).toBeGreaterThan(0);
  expect(message.text.length).toBeLessThanOrEqual(SLACK_LIMITS.messageText);
  const blocks = allBlocks(message);
  expect(blocks.length).toBeLessThanOrEqual(SLACK_LIMITS.blocksPerMessage);
  let total = 0;
  for (const block of blocks) {
    if (block.type === 'header') {
      expect(block.text.type).toBe('plain_text');
      expect(block.text.text.length).toBeGreaterThan(0);
      expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.headerText);
      total += block.text.text.length;
    }
    if (block.type === 'section') {
      expect(block.text !== undefined || (block.fields?.length ?? 0) > 0).toBe(true);
      if (block.text) {
        expect(block.text.text.length).toBeGreaterThan(0);
        expect(block.text.text.length).toBeLessThanOrEqual(SLACK_LIMITS.sectionText);
        total += block.text.text.length;
      }
      expect(block.fields?.length ?? 0).toBeLessThanOrEqual(SLACK_LIMITS.sectionFields);
      for (const field of block.fields ?? []) {
        expect(field.text.length).toBeGreaterThan(0);
        expect(field.text.length).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
        total += field.text.length;
      }
    }
    if (block.type === 'context') {
      expect(block.elements.length).toBeLessThanOrEqual(SLACK_LIMITS.contextElements);
      for (const element of block.elements) total += element.text.length;
    }
  }
  expect(total).toBeLessThanOrEqual(SLACK_LIMITS.totalBlockText);
  // JSON round trip: nothing that cannot be serialised (undefined in arrays, cycles).
  expect(JSON.parse(JSON.stringify(message))).toEqual(message);
}

const postedFixtures = FIXTURES.filter((f) => f.expected.outcome === 'posted');

describe('buildSlackMessage over the VEBA sample events', () => {
  it.each(postedFixtures.map((f) => [f.file, f] as const))(
    '%s: family, limits, summary',
    (_file, fixture) => {
      const event = fixtureEvent(fixture);
      const data = event.data as Record<string, unknown>;
      const eventClass = classOf(event);
      const family = eventFamily(eventClass, data);
      expect(family).toBe(fixture.expected.outcome === 'posted' ? fixture.expected.family : 'n/a');

      const message = buildSlackMessage({ eventClass, data, source: String(event.source) });
      expectWithinSlackLimits(message);
      const summary =
        typeof data.FullFormattedMessage === 'string'
          ? data.FullFormattedMessage.trim().split('\n')[0]!.trim()
          : '';
      if (summary) {
        expect(textOf(message)).toContain(escapeMrkdwn(summary));
        expect(message.text).toContain(escapeMrkdwn(summary).slice(0, 100));
      }
      expect(message.blocks.some((b) => b.type === 'header')).toBe(true);
    },
  );

  it('formats a VM power-off with the VM, host, cluster and datacenter as facts', () => {
    const fixture = FIXTURES.find((f) => f.file === 'kn-ps-slack__test-payload.json')!;
    const event = fixtureEvent(fixture);
    const message = buildSlackMessage({
      eventClass: 'VmPoweredOffEvent',
      data: event.data as Record<string, unknown>,
      source: 'https://vcenter.local/sdk',
    });
    const header = message.blocks.find((b) => b.type === 'header');
    expect(header?.type === 'header' && header.text.text).toBe(':red_circle: VM powered off');
    const text = textOf(message);
    for (const label of ['*VM*', '*Host*', '*Cluster*', '*Datacenter*', '*User*', '*Time*'])
      expect(text).toContain(label);
    expect(text).toContain('vCenter vcenter.local');
    expect(message.text).toMatch(/^:red_circle: VM powered off: /);
    expect(message.attachments).toBeUndefined();
  });

  it('shows a migration source host and a reconfiguration change list', () => {
    const migrated = fixtureEvent(
      FIXTURES.find((f) => f.file === 'kn-pcli-telegram__test-payload.json')!,
    );
    const migratedText = textOf(
      buildSlackMessage({
        eventClass: 'VmMigratedEvent',
        data: migrated.data as Record<string, unknown>,
      }),
    );
    expect(migratedText).toContain('*From host*\n192.168.30.101');

    const reconfigured = fixtureEvent(
      FIXTURES.find((f) => f.file === 'legacy/openfaas-pagerduty-trigger__valid-event.json')!,
    );
    const reconfiguredText = textOf(
      buildSlackMessage({
        eventClass: 'VmReconfiguredEvent',
        data: reconfigured.data as Record<string, unknown>,
      }),
    );
    expect(reconfiguredText).toContain(
      '*Changes*\n```Modified:\nconfig.memoryHotAddEnabled: true -&gt; false;',
    );
    // The change list is shown once, in its own block, not repeated in the summary.
    expect(reconfiguredText.split('memoryHotAddEnabled').length - 1).toBe(1);
  });

  it.each([
    ['red', 'danger', ':red_circle:'],
    ['yellow', 'warning', ':large_yellow_circle:'],
    ['green', 'good', ':large_green_circle:'],
    ['gray', '#9e9e9e', ':white_circle:'],
    ['purple', '#9e9e9e', ':white_circle:'],
  ])('colours an alarm turning %s as %s', (to, color, emoji) => {
    const event = fixtureEvent(
      FIXTURES.find((f) => f.file === 'kn-ps-slack-vsphere-alarm__test-payload.json')!,
    );
    const data = { ...(event.data as Record<string, unknown>), To: to };
    const message = buildSlackMessage({ eventClass: 'AlarmStatusChangedEvent', data });
    expect(message.attachments).toHaveLength(1);
    expect(message.attachments![0]!.color).toBe(color);
    const header = message.blocks.find((b) => b.type === 'header');
    expect(header?.type === 'header' && header.text.text).toContain(emoji);
    expect(header?.type === 'header' && header.text.text).toContain(
      `VEBA-DATASTORE-WARN: gray → ${to}`,
    );
    expect(textOf(message)).toContain('*Entity*\nsm-vsanDatastore');
    expectWithinSlackLimits(message);
  });

  it('formats host maintenance, tasks, tag attach/detach and SSO login failures', () => {
    const enter = fixtureEvent(
      FIXTURES.find((f) => f.file === 'kn-pcli-hostmaint-alarms__enter-maint-payload.json')!,
    );
    expect(
      buildSlackMessage({
        eventClass: 'EnteredMaintenanceModeEvent',
        data: enter.data as Record<string, unknown>,
      }).text,
    ).toMatch(/^:construction: Host entered maintenance mode: Host esx02/);

    const task = fixtureEvent(
      FIXTURES.find((f) => f.file === 'kn-ps-twillio-sms__test-payload.json')!,
    );
    const taskMessage = buildSlackMessage({
      eventClass: 'TaskEvent',
      data: task.data as Record<string, unknown>,
    });
    expect(taskMessage.text).toMatch(/^:clipboard: Task VirtualMachine\.createSnapshot \(queued\)/);
    expect(textOf(taskMessage)).toContain('*Object*\nUbuntu-18.04');

    const tag = fixtureEvent(
      FIXTURES.find((f) => f.file === 'kn-pcli-nsx-tag-sync__test-payload.json')!,
    );
    const tagData = tag.data as Record<string, unknown>;
    const attach = buildSlackMessage({
      eventClass: 'com.vmware.cis.tagging.attach',
      data: tagData,
    });
    expect(attach.text).toMatch(/^:label: Tag attached/);
    expect(textOf(attach)).toContain('*Tag*\nexample-tag');
    expect(textOf(attach)).toContain('*Object*\nexample-vm');
    const detach = buildSlackMessage({
      eventClass: 'com.vmware.cis.tagging.detach',
      data: { ...tagData, EventTypeId: 'com.vmware.cis.tagging.detach' },
    });
    expect(detach.text).toMatch(/^:label: Tag detached/);

    const sso = fixtureEvent(FIXTURES.find((f) => f.file === 'kn-ps-zapier__test-payload.json')!);
    const ssoText = textOf(
      buildSlackMessage({
        eventClass: 'com.vmware.sso.LoginFailure',
        data: sso.data as Record<string, unknown>,
      }),
    );
    expect(ssoText).toContain('*User*\nhacker@vsphere.local');
    expect(ssoText).toContain('*From*\n10.0.1.337');
  });

  it('falls back to FullFormattedMessage for an event class it has no layout for', () => {
    const message = buildSlackMessage({
      eventClass: 'DatastoreRenamedEvent',
      data: {
        Key: 7,
        FullFormattedMessage: 'Renamed datastore from a to b',
        Ds: { Name: 'b', Datastore: { Type: 'Datastore', Value: 'datastore-1' } },
      },
    });
    expect(message.text).toBe(
      ':information_source: Datastore Renamed Event: Renamed datastore from a to b',
    );
    expect(textOf(message)).toContain('*Datastore*\nb');
  });
});

describe('escaping and limits', () => {
  it('escapes &, < and > in everything taken from the event, so no mention or link can be injected', () => {
    const message = buildSlackMessage({
      eventClass: 'VmPoweredOnEvent',
      data: {
        Key: 1,
        FullFormattedMessage: 'vm <!channel> & <https://evil.example|click>',
        Vm: { Name: '<@U123>', Vm: { Type: 'VirtualMachine', Value: 'vm-1' } },
        UserName: 'a>b',
      },
    });
    const everything = JSON.stringify(message);
    expect(everything).not.toContain('<!channel>');
    expect(everything).not.toContain('<@U123>');
    expect(everything).not.toContain('<https://evil');
    expect(textOf(message)).toContain(
      'vm &lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;',
    );
    expect(textOf(message)).toContain('*VM*\n&lt;@U123&gt;');
    expect(message.text).toContain('&lt;!channel&gt;');
  });

  it('keeps a huge event inside every limit without splitting an entity or a surrogate pair', () => {
    const huge = '<&>😀'.repeat(5000);
    const data: Record<string, unknown> = {
      Key: 1,
      FullFormattedMessage: huge,
      UserName: huge,
      Vm: { Name: huge, Vm: { Type: 'VirtualMachine', Value: 'vm-1' } },
      Host: { Name: huge, Host: { Type: 'HostSystem', Value: 'host-1' } },
      ComputeResource: { Name: huge },
      Datacenter: { Name: huge },
      Ds: { Name: huge },
      Net: { Name: huge },
      ConfigChanges: { Modified: huge, Added: huge, Deleted: huge },
      EventTypeId: 'x',
      Arguments: Array.from({ length: 30 }, (_, i) => ({ Key: `${huge}${i}`, Value: huge })),
    };
    for (const eventClass of [
      'VmReconfiguredEvent',
      'com.vmware.some.Event',
      huge,
      'AlarmStatusChangedEvent',
      'TaskEvent',
    ]) {
      const message = buildSlackMessage({
        eventClass,
        data,
        pretext: huge,
        source: 'https://vc.example/sdk',
      });
      expectWithinSlackLimits(message);
      const json = JSON.stringify(message);
      // A cut entity would leave '&am' or '&l' before a non-';' character.
      expect(json).not.toMatch(/&(a|am|amp|l|lt|g|gt)(?![a-z;])/);
      // A lone surrogate cannot survive JSON.stringify unescaped.
      expect(json).not.toMatch(/\\ud83d(?!\\ude00)/i);
      const detail = allBlocks(message).find(
        (b) => b.type === 'section' && b.text?.text.startsWith('*Changes*'),
      );
      if (detail?.type === 'section') expect(detail.text!.text.endsWith('```')).toBe(true);
    }
  });

  it('puts SLACK_MESSAGE_PRETEXT first, as operator mrkdwn, in the blocks and the fallback text', () => {
    const message = buildSlackMessage({
      eventClass: 'VmPoweredOnEvent',
      data: { Key: 1, FullFormattedMessage: 'on' },
      pretext: '<!here> prod vCenter',
    });
    expect(message.blocks[0]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '<!here> prod vCenter' },
    });
    expect(message.text.startsWith('<!here> prod vCenter\n')).toBe(true);
    expect(
      buildSlackMessage({ eventClass: 'VmPoweredOnEvent', data: { Key: 1 }, pretext: '  ' })
        .blocks[0]!.type,
    ).toBe('header');
  });

  it('truncation helpers count UTF-16 units and end with an ellipsis', () => {
    expect(escapeAndTruncate('a&b', 10)).toBe('a&amp;b');
    expect(escapeAndTruncate('&&&&', 10)).toBe('&amp;…');
    expect(truncateText('😀😀😀', 5)).toBe('😀😀…');
    expect(truncateText('short', 5)).toBe('short');
    expect(BUDGET.fieldValue).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
  });
});
