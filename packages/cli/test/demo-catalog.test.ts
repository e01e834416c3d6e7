import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  ALARM_SAMPLE,
  alarmBackToGreen,
  DEMO_FUNCTIONS,
  DEMO_SCENARIO,
} from '../src/demo/catalog.js';
import { corpusEvents } from '../src/demo/corpus.js';
import { instanceName } from '../src/demo/demo-function.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

describe('the demo catalog', () => {
  it('runs every function of the repository, each instance under its own name', () => {
    const functions = readdirSync(new URL('functions/', `file://${repoRoot}`)).sort();
    expect([...new Set(DEMO_FUNCTIONS.map((e) => e.name))].sort()).toEqual(functions);
    const names = DEMO_FUNCTIONS.map(instanceName);
    expect(new Set(names).size).toBe(names.length);
  });

  it("is what turbo builds before the CLI's tests (the demo runs the functions' dist)", () => {
    const turbo = JSON.parse(readFileSync(`${repoRoot}turbo.json`, 'utf8')) as {
      tasks: Record<string, { dependsOn: string[] }>;
    };
    const needs = turbo.tasks['@veba-functions/cli#test']!.dependsOn;
    for (const name of new Set(DEMO_FUNCTIONS.map((e) => e.name)))
      expect(needs).toContain(`@veba-functions/${name}#build`);
  });

  it('runs vm-tag twice on one tag and one Redis: attach fed power-ons, detach power-offs', () => {
    const pair = DEMO_FUNCTIONS.filter((e) => e.name === 'vm-tag');
    expect(
      pair.map((e) => [instanceName(e), e.triggers, e.serialGroup, e.redis, e.events.corpus]),
    ).toEqual([
      [
        'vm-tag-attach',
        [{ attributes: { type: 'com.vmware.vsphere.VmPoweredOnEvent.v0' } }],
        'vm-tag',
        true,
        false,
      ],
      [
        'vm-tag-detach',
        [{ attributes: { type: 'com.vmware.vsphere.VmPoweredOffEvent.v0' } }],
        'vm-tag',
        true,
        false,
      ],
    ]);
  });

  it('powers a VM on last and another off last, cloned and created by two users (quick too)', () => {
    const quick = DEMO_SCENARIO.filter((s) => s.quick);
    const last = (vm: string) => quick.filter((s) => s.vm === vm).at(-1)?.action;
    expect([last('demo-web-01'), last('demo-db-01')]).toEqual(['powerOn', 'powerOff']);
    expect(quick.filter((s) => s.action === 'clone' || s.action === 'create')).toEqual([
      expect.objectContaining({ action: 'clone', user: 'CORP\\alice' }),
      expect.objectContaining({ action: 'create', user: 'svc-terraform@corp.local' }),
    ]);
  });
});

describe('alarmBackToGreen (the resolve pagerduty-alert gets later)', () => {
  const corpus = corpusEvents().events;

  it('is the alarm sample, then the same alarm on the same object turned green with the next Key', () => {
    const events = alarmBackToGreen(corpus, ALARM_SAMPLE);
    expect(events).toHaveLength(2);
    const [trigger, resolve] = events as [
      (typeof events)[number] & { data: Record<string, unknown> },
      (typeof events)[number] & { data: Record<string, unknown> },
    ];
    expect(trigger).toBe(corpus.find((e) => e.origin === ALARM_SAMPLE));
    expect(trigger.data).toMatchObject({ From: 'gray', To: 'yellow', Key: 4269111 });
    expect(resolve.data).toMatchObject({
      From: 'yellow',
      To: 'green',
      Key: 4269112,
      ChainId: 4269112,
      Alarm: trigger.data.Alarm,
      Entity: trigger.data.Entity,
      FullFormattedMessage:
        "Alarm 'VEBA-DATASTORE-WARN' on sm-vsanDatastore changed from Yellow to Green",
    });
    expect(Date.parse(String(resolve.data.CreatedTime))).toBeGreaterThan(
      Date.parse(String(trigger.data.CreatedTime)),
    );
    // Its own event: same source and type, another id; sent from `data`, not the sample's bytes.
    expect(resolve.attributes).toEqual({
      ...trigger.attributes,
      id: `${trigger.attributes.id}-green`,
    });
    expect(resolve.rawBody).toBeUndefined();
  });

  it('is nothing when the sample is not there', () => {
    expect(alarmBackToGreen(corpus, 'no-such-sample.json')).toEqual([]);
  });
});
