import { CloudEvent } from 'cloudevents';
import { InvalidEventError } from '@veba-functions/runtime';
import { parseVSphereEvent } from '@veba-functions/vsphere-events';
import { describe, expect, it } from 'vitest';
import { buildNotification } from '../src/model.js';
import { SLACK_LIMITS, escapeAndTruncate, escapeMrkdwn } from '../src/slack/slack-limits.js';
import {
  BUDGET,
  renderSlackDigest,
  renderSlackMessage,
  type SlackBlock,
  type SlackMessage,
} from '../src/slack/slack-message.js';
import { truncateText } from '../src/text.js';
import { EXPECTED, corpusEvent, vsphereCorpusFiles } from './corpus.js';

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

/** Every limit Slack documents for what we send (see src/slack/slack-limits.ts for the sources). */
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

const slack = (file: string, data?: Record<string, unknown>, pretext?: string) =>
  renderSlackMessage(buildNotification(corpusEvent(file, data)), { pretext });

describe('the model and the Slack layout over the VEBA sample events', () => {
  it('knows the outcome of every vSphere sample of the corpus', () => {
    expect(vsphereCorpusFiles().sort()).toEqual([...EXPECTED.keys()].sort());
  });

  it.each([...EXPECTED.entries()])('%s', (file, expected) => {
    if (expected.outcome === 'invalid') {
      expect(() => buildNotification(corpusEvent(file))).toThrow(InvalidEventError);
      expect(() => buildNotification(corpusEvent(file))).toThrow(expected.reason);
      return;
    }
    const event = corpusEvent(file);
    const notification = buildNotification(event);
    expect(notification.family).toBe(expected.family);
    const message = renderSlackMessage(notification);
    expectWithinSlackLimits(message);
    const summary = event.fullFormattedMessage?.trim().split('\n')[0]!.trim() ?? '';
    if (summary) {
      expect(textOf(message)).toContain(escapeMrkdwn(summary));
      expect(message.text).toContain(escapeMrkdwn(summary).slice(0, 100));
    }
    expect(message.blocks.some((b) => b.type === 'header')).toBe(true);
  });

  it('formats a VM power-off with the VM, host, cluster and datacenter as facts', () => {
    const message = slack('kn-ps-slack__test-payload.json');
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
    expect(textOf(slack('kn-pcli-telegram__test-payload.json'))).toContain(
      '*From host*\n192.168.30.101',
    );
    const reconfigured = textOf(slack('legacy/openfaas-pagerduty-trigger__valid-event.json'));
    expect(reconfigured).toContain(
      '*Changes*\n```Modified:\nconfig.memoryHotAddEnabled: true -&gt; false;',
    );
    // The change list is shown once, in its own block, not repeated in the summary.
    expect(reconfigured.split('memoryHotAddEnabled').length - 1).toBe(1);
  });

  it.each([
    ['red', 'danger', ':red_circle:'],
    ['yellow', 'warning', ':large_yellow_circle:'],
    ['green', 'good', ':large_green_circle:'],
    ['gray', '#9e9e9e', ':white_circle:'],
    ['purple', '#9e9e9e', ':white_circle:'],
    ['constructor', '#9e9e9e', ':white_circle:'],
    ['__proto__', '#9e9e9e', ':white_circle:'],
  ])('colours an alarm turning %s as %s', (to, color, emoji) => {
    const message = slack('kn-ps-slack-vsphere-alarm__test-payload.json', { To: to });
    expect(message.attachments).toHaveLength(1);
    expect(message.attachments![0]!.color).toBe(color);
    const header = message.blocks.find((b) => b.type === 'header');
    expect(header?.type === 'header' && header.text.text).toContain(emoji);
    expect(header?.type === 'header' && header.text.text).toContain(
      `VEBA-DATASTORE-WARN: gray → ${to}`,
    );
    expect(JSON.stringify(message)).not.toContain('undefined');
    expect(textOf(message)).toContain('*Entity*\nsm-vsanDatastore (datastore)');
    expectWithinSlackLimits(message);
  });

  it('shows no empty line for what the event does not name (a datastore alarm has no VM)', () => {
    const text = textOf(slack('kn-ps-slack-vsphere-alarm__test-payload.json'));
    expect(text).not.toContain('*VM*');
    expect(text).not.toContain('*Host*');
  });

  it('formats host maintenance, tasks, tag attach/detach, SSO login failures, HA and backup jobs', () => {
    expect(slack('kn-pcli-hostmaint-alarms__enter-maint-payload.json').text).toMatch(
      /^:construction: Host entered maintenance mode: Host esx02/,
    );
    const task = slack('kn-ps-twillio-sms__test-payload.json');
    expect(task.text).toMatch(/^:clipboard: Task VirtualMachine\.createSnapshot \(queued\)/);
    expect(textOf(task)).toContain('*Object*\nUbuntu-18.04');

    const attach = slack('kn-pcli-nsx-tag-sync__test-payload.json');
    expect(attach.text).toMatch(/^:label: Tag attached/);
    expect(textOf(attach)).toContain('*Tag*\nexample-tag');
    expect(textOf(attach)).toContain('*Object*\nexample-vm');

    const sso = textOf(slack('kn-ps-zapier__test-payload.json'));
    expect(sso).toContain('*User*\nhacker@vsphere.local');
    expect(sso).toContain('*From*\n10.0.1.337');

    const ha = slack('kn-pcli-ha-restarted-vms__test-payload.json');
    expect(ha.text).toMatch(/^:shield: vSphere HA: cluster failover action completed/);
    expect(textOf(ha)).toContain('*Object*\nCL1 (cluster)');

    const backup = slack('kn-ps-google-chat__test-payload.json');
    expect(backup.text).toMatch(/^:x: vCenter backup job failed: Backup job failed/);
    expect(textOf(backup)).toContain('*Appliance*\nvcsa.primp-industries.local');
  });

  it('falls back to FullFormattedMessage for an event class it has no layout for', () => {
    const message = slack('kn-ps-slack__test-payload.json', {
      FullFormattedMessage: 'Renamed datastore from a to b',
    });
    expect(message.text).toContain('Renamed datastore from a to b');
    const generic = renderSlackMessage(
      buildNotification(
        corpusEvent('kn-pcli-vds-pg-config__test-payload.json', {
          FullFormattedMessage: 'Renamed datastore from a to b',
        }),
      ),
    );
    expect(generic.text).toBe(
      ':information_source: DVPortgroup Reconfigured Event: Renamed datastore from a to b',
    );
  });
});

describe('escaping and limits', () => {
  it('escapes &, < and > in everything taken from the event, so no mention or link can be injected', () => {
    const message = slack('kn-ps-slack__test-payload.json', {
      FullFormattedMessage: 'vm <!channel> & <https://evil.example|click>',
      Vm: { Name: '<@U123>', Vm: { Type: 'VirtualMachine', Value: 'vm-1' } },
      UserName: 'a>b',
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
      Arguments: Array.from({ length: 30 }, (_, i) => ({ Key: `${huge}${i}`, Value: huge })),
    };
    for (const type of [
      'VmReconfiguredEvent',
      'com.vmware.some.Event',
      'AlarmStatusChangedEvent',
      'TaskEvent',
    ]) {
      const event = corpusEvent('kn-ps-slack__test-payload.json', data);
      const retyped = corpusEventOfType(type, event.data);
      const message = renderSlackMessage(buildNotification(retyped), { pretext: huge });
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
    const message = slack('kn-ps-slack__test-payload.json', {}, '<!here> prod vCenter');
    expect(message.blocks[0]).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: '<!here> prod vCenter' },
    });
    expect(message.text.startsWith('<!here> prod vCenter\n')).toBe(true);
    expect(slack('kn-ps-slack__test-payload.json', {}, '  ').blocks[0]!.type).toBe('header');
  });

  it('truncation helpers count UTF-16 units and end with an ellipsis', () => {
    expect(escapeAndTruncate('a&b', 10)).toBe('a&amp;b');
    expect(escapeAndTruncate('&&&&', 10)).toBe('&amp;…');
    expect(truncateText('😀😀😀', 5)).toBe('😀😀…');
    expect(truncateText('short', 5)).toBe('short');
    expect(BUDGET.fieldValue).toBeLessThanOrEqual(SLACK_LIMITS.fieldText);
  });
});

describe('the Slack digest', () => {
  it('counts per family, lists the first events and says how many more, within the limits', () => {
    const events = [...EXPECTED.entries()]
      .filter(([, e]) => e.outcome === 'posted')
      .map(([file]) => buildNotification(corpusEvent(file)));
    const many = Array.from({ length: 300 }, (_, i) => events[i % events.length]!);
    const message = renderSlackDigest(many, { pretext: 'prod' });
    expectWithinSlackLimits(message);
    const text = textOf(message);
    expect(text).toContain('300 vSphere events');
    expect(text).toMatch(/^\d+ VM events · \d+ tasks · \d+ alarms · /m);
    expect(text).toContain(`_and ${300 - BUDGET.digestLines} more_`);
    expect(message.text.startsWith('prod\n:bell: 300 vSphere events')).toBe(true);
  });
});

/** The same data under another event class (the v0 type names the class). */
function corpusEventOfType(eventClass: string, data: Readonly<Record<string, unknown>>) {
  return corpusEventWith({ type: `com.vmware.vsphere.${eventClass}.v0`, data: { ...data } });
}

function corpusEventWith(attributes: { type: string; data: unknown }) {
  return parseVSphereEvent(
    new CloudEvent<unknown>(
      { specversion: '1.0', id: '1', source: 'https://vc.example/sdk', ...attributes },
      false,
    ),
  );
}
